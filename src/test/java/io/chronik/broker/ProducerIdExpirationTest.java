package io.chronik.broker;

import io.chronik.log.Log;
import io.chronik.log.LogManager;
import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Idempotent producers that go quiet are forgotten by the broker; the Java client does not notice. */
@Timeout(120)
class ProducerIdExpirationTest {
    private static final String TOPIC = "expiring";
    private static final Map<String, Object> IDEMPOTENT = Map.of("enable.idempotence", "true", "acks", "all");

    @TempDir
    Path dataDir;

    private static void awaitProducerIds(Log log, IntPredicate condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.test(log.producerIdCount())) {
            assertThat(System.nanoTime()).as(what + " (tracked: " + log.producerIdCount() + ")").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void shortLivedProducersAreForgottenAndAQuietProducerCarriesOn() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir,
                Map.of("chronik.storage.producer-id-expiration-check-interval", "100ms"))) {
            try (Admin admin = Clients.admin(broker)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)
                        .configs(Map.of("producer.id.expiration.ms", "2000")))).all().get(30, TimeUnit.SECONDS);
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
                Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
                assertThat(config.get("producer.id.expiration.ms").value()).isEqualTo("2000");
            }
            Log log = broker.bean(LogManager.class).log(TOPIC, 0).orElseThrow();

            for (int i = 0; i < 20; i++) {
                try (KafkaProducer<String, String> producer = Clients.producer(broker, IDEMPOTENT)) {
                    producer.send(new ProducerRecord<>(TOPIC, "short-" + i)).get(30, TimeUnit.SECONDS);
                    assertThat(log.producerIdCount()).as("producer %d is tracked after its send", i).isPositive();
                }
            }
            awaitProducerIds(log, n -> n == 0, "the short-lived producers are forgotten");

            try (KafkaProducer<String, String> quiet = Clients.producer(broker, IDEMPOTENT)) {
                for (int i = 0; i < 3; i++) {
                    quiet.send(new ProducerRecord<>(TOPIC, "quiet-" + i)).get(30, TimeUnit.SECONDS);
                }
                awaitProducerIds(log, n -> n == 0, "the quiet producer is forgotten");
                // Its next batch carries sequence 3 for a producer the broker no longer knows: accepted, as in Kafka.
                RecordMetadata next = quiet.send(new ProducerRecord<>(TOPIC, "quiet-3")).get(30, TimeUnit.SECONDS);
                assertThat(next.offset()).isEqualTo(23);
                assertThat(log.producerIdCount()).isEqualTo(1);
                quiet.send(new ProducerRecord<>(TOPIC, "quiet-4")).get(30, TimeUnit.SECONDS);
            }

            TopicPartition tp = new TopicPartition(TOPIC, 0);
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, List.of(tp), 25,
                        Duration.ofSeconds(30));
                assertThat(records).extracting(ConsumerRecord::value).hasSize(25).doesNotHaveDuplicates()
                        .endsWith("quiet-0", "quiet-1", "quiet-2", "quiet-3", "quiet-4");
            }
        }
    }

    @Test
    void anInvalidTopicSettingIsRejectedNamingTheKey() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir); Admin admin = Clients.admin(broker)) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad-expiration", 1, (short) 1)
                    .configs(Map.of("producer.id.expiration.ms", "0")))).all().get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("producer.id.expiration.ms");
        }
    }

    @ParameterizedTest
    @CsvSource({"chronik.storage.producer-id-expiration,0s", "chronik.storage.producer-id-expiration,25d",
            "chronik.storage.producer-id-expiration-check-interval,0s"})
    void invalidBrokerSettingsStopStartup(String key, String value) {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir, Map.of(key, value)).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains(key);
    }
}
