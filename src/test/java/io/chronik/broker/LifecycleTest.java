package io.chronik.broker;

import io.chronik.testing.ChildBroker;
import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The broker as a process: SIGTERM, and configuration that must stop startup. */
class LifecycleTest {
    @TempDir
    Path dataDir;

    @Test
    void sigtermFinishesCleanlyWithExitCodeZeroAndKeepsAcknowledgedRecords() throws Exception {
        try (ChildBroker child = ChildBroker.start(dataDir)) {
            Properties props = new Properties();
            props.put("bootstrap.servers", child.bootstrapServers());
            props.put("key.serializer", StringSerializer.class.getName());
            props.put("value.serializer", StringSerializer.class.getName());
            props.put("acks", "all");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
                for (int i = 0; i < 500; i++) {
                    producer.send(new ProducerRecord<>("sigterm", 0, "k", "v" + i));
                }
                producer.send(new ProducerRecord<>("sigterm", 0, "k", "last")).get(30, TimeUnit.SECONDS);
            }
            long start = System.nanoTime();
            child.terminate();
            Integer exit = child.awaitExit(10, TimeUnit.SECONDS);
            assertThat(exit).as("exit code after SIGTERM; output:\n%s", child.output()).isZero();
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
        try (TestBroker broker = TestBroker.start(dataDir);
             KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> records = Clients.readAll(consumer,
                    List.of(new TopicPartition("sigterm", 0)), 501, Duration.ofSeconds(30));
            assertThat(records).hasSize(501);
            assertThat(records.get(500).value()).isEqualTo("last");
        }
    }

    @Test
    void negativePortStopsStartupNamingTheKeyAndValue() throws Exception {
        assertStartupFails("--chronik.listener.port=-1", "chronik.listener.port", "-1");
    }

    @Test
    void unknownEnumValueStopsStartupNamingTheKeyAndValue() throws Exception {
        assertStartupFails("--chronik.listener.transport=TURBO", "chronik.listener.transport", "TURBO");
    }

    @Test
    void unwritableDataDirStopsStartupNamingTheKey() throws Exception {
        assertStartupFails("--chronik.data-dir=/proc/chronik-data", "chronik.data-dir", "/proc/chronik-data");
    }

    private void assertStartupFails(String arg, String key, String value) throws Exception {
        try (ChildBroker child = ChildBroker.start(dataDir, arg)) {
            Integer exit = child.awaitExit(90, TimeUnit.SECONDS);
            String output = child.output();
            assertThat(exit).as("exit code; output:\n%s", output).isNotNull().isNotZero();
            assertThat(output).contains(key).contains(value).doesNotContain("Kafka listener bound");
        }
    }
}
