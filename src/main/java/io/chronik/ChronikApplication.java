package io.chronik;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Entry point: one Chronik broker. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ChronikApplication {
    public static void main(String[] args) {
        SpringApplication.run(ChronikApplication.class, args);
    }
}
