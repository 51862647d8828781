package io.chronik.testing;

import io.chronik.ChronikApplication;
import io.chronik.server.KafkaServer;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** A Chronik broker running inside the test JVM on ephemeral ports, restartable on the same data directory. */
public final class TestBroker implements AutoCloseable {
    private final Path dataDir;
    private final Map<String, String> overrides;
    private ConfigurableApplicationContext context;

    private TestBroker(Path dataDir, Map<String, String> overrides) {
        this.dataDir = dataDir;
        this.overrides = overrides;
    }

    public static TestBroker start(Path dataDir) {
        return start(dataDir, Map.of());
    }

    public static TestBroker start(Path dataDir, Map<String, String> overrides) {
        TestBroker broker = new TestBroker(dataDir, overrides);
        broker.startContext();
        return broker;
    }

    private void startContext() {
        List<String> args = new ArrayList<>();
        if (!overrides.containsKey("chronik.listener.port")) {
            args.add("--chronik.listener.port=0");
        }
        args.add("--chronik.listener.host=127.0.0.1");
        args.add("--chronik.advertised-host=127.0.0.1");
        args.add("--chronik.data-dir=" + dataDir);
        args.add("--server.port=0");
        args.add("--server.address=127.0.0.1");
        args.add("--logging.level.org.apache.kafka=WARN");
        overrides.forEach((k, v) -> args.add("--" + k + "=" + v));
        context = new SpringApplicationBuilder(ChronikApplication.class)
                .web(WebApplicationType.REACTIVE)
                .run(args.toArray(String[]::new));
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port();
    }

    public int port() {
        return context.getBean(KafkaServer.class).port();
    }

    /** The Actuator HTTP port. */
    public int httpPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /** A clean stop (as on SIGTERM) followed by a start on the same data directory. */
    public void restart() {
        stop();
        startContext();
    }

    public void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    public Properties clientProperties() {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers());
        return props;
    }

    @Override
    public void close() {
        stop();
    }
}
