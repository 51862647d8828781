package io.chronik;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;
import sun.misc.Signal;

/** Entry point: one Chronik broker. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ChronikApplication {
    private static final Logger log = LoggerFactory.getLogger(ChronikApplication.class);

    public static void main(String[] args) {
        ConfigurableApplicationContext context = SpringApplication.run(ChronikApplication.class, args);
        exitCleanlyOnSigterm(context);
    }

    /**
     * SIGTERM is the normal way to stop a broker (Kubernetes, systemd), so it is not an error: stop accepting,
     * finish in-flight requests, close the logs, and exit 0 rather than the JVM's default 143.
     */
    private static void exitCleanlyOnSigterm(ConfigurableApplicationContext context) {
        try {
            Signal.handle(new Signal("TERM"), signal -> {
                log.info("SIGTERM received, shutting down");
                int code = 1;
                try {
                    code = SpringApplication.exit(context, () -> 0);
                } catch (Throwable t) {
                    log.error("Shutdown failed; exiting anyway", t);
                } finally {
                    // Whatever happened, a terminated broker must not linger.
                    System.exit(code);
                }
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.debug("SIGTERM handler not installed: {}", e.toString());
        }
    }
}
