package io.chronik.config;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

import java.util.function.Predicate;

/**
 * Whether a {@code chronik.*} setting was set by the operator (command line, environment variable, system property,
 * an application.yml of their own) rather than left at Chronik's default, which includes the application.yml packaged
 * in the jar. DescribeConfigs reports the first as STATIC_BROKER_CONFIG and the second as DEFAULT_CONFIG.
 */
final class ExplicitSettings implements Predicate<String> {
    /** The name Spring gives the property source of the application.yml inside the jar. */
    private static final String PACKAGED = "class path resource [application.yml]";

    private final Environment environment;

    ExplicitSettings(Environment environment) {
        this.environment = environment;
    }

    @Override
    public boolean test(String key) {
        ConfigurationPropertyName name = ConfigurationPropertyName.of(key);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                Object underlying = source.getUnderlyingSource();
                return !(underlying instanceof PropertySource<?> ps && ps.getName().contains(PACKAGED));
            }
        }
        return false;
    }
}
