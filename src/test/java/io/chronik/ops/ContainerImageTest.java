package io.chronik.ops;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.FixedHostPortGenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Builds the Dockerfile and runs a producer/consumer round trip against the container. Needs a Docker engine. */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageTest {

    @Test
    void producerAndConsumerRoundTripAgainstTheImage() throws Exception {
        int kafkaPort = 39092;
        ImageFromDockerfile image = new ImageFromDockerfile("chronik-test", false).withFileFromPath(".", Path.of("."));
        try (@SuppressWarnings("deprecation") FixedHostPortGenericContainer<?> chronik = new FixedHostPortGenericContainer<>(image.get())) {
            chronik.withFixedExposedPort(kafkaPort, kafkaPort).withExposedPorts(8080)
                    .withEnv("CHRONIK_LISTENER_PORT", Integer.toString(kafkaPort))
                    .withEnv("CHRONIK_ADVERTISED_HOST", "127.0.0.1")
                    .waitingFor(Wait.forHttp("/actuator/health/readiness").forPort(8080).withStartupTimeout(Duration.ofMinutes(2)));
            chronik.start();
            String bootstrap = "127.0.0.1:" + kafkaPort;
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                    "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName()))) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("container", 0, "k", "v" + i)).get(30, TimeUnit.SECONDS);
                }
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                    "key.deserializer", StringDeserializer.class.getName(), "value.deserializer", StringDeserializer.class.getName(),
                    "auto.offset.reset", "earliest"))) {
                TopicPartition tp = new TopicPartition("container", 0);
                consumer.assign(List.of(tp));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (records.size() < 100 && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                }
                assertThat(records).hasSize(100);
                assertThat(records.get(99).value()).isEqualTo("v99");
            }
        }
    }
}
