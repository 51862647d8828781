package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Restarting on the same data directory: nothing acknowledged is lost, a torn tail is cut off. */
class RestartRecoveryTest {
    @TempDir
    Path dataDir;

    @Test
    void everythingAcknowledgedIsReadBackAfterARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "durable", 2);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "all"))) {
                for (int i = 0; i < 3000; i++) {
                    producer.send(new ProducerRecord<>("durable", i % 2, "k" + i, "v" + i));
                }
                producer.flush();
            }
            broker.restart();
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer,
                        List.of(new TopicPartition("durable", 0), new TopicPartition("durable", 1)), 3000, Duration.ofSeconds(30));
                assertThat(records).hasSize(3000);
                assertThat(records.stream().map(ConsumerRecord::value).distinct()).hasSize(3000);
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                assertThat(producer.send(new ProducerRecord<>("durable", 0, "k", "after")).get(30, TimeUnit.SECONDS).offset())
                        .isEqualTo(1500);
            }
        }
    }

    @Test
    void tornTailIsTruncatedAndThePartitionAcceptsNewWrites() throws Exception {
        TopicPartition tp = new TopicPartition("torn", 0);
        TestBroker broker = TestBroker.start(dataDir);
        try {
            Clients.createTopic(broker, "torn", 1);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("linger.ms", "0"))) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("torn", 0, "k", "v" + i)).get(30, TimeUnit.SECONDS);
                }
            }
        } finally {
            broker.stop();
        }
        // Simulate a crash in the middle of writing the last batch: cut its tail off and drop the clean-shutdown marker.
        Path segment;
        try (Stream<Path> files = Files.list(dataDir.resolve("torn-0"))) {
            segment = files.filter(p -> p.toString().endsWith(".log")).max(Comparator.naturalOrder()).orElseThrow();
        }
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.setLength(file.length() - 7);
        }
        Files.deleteIfExists(dataDir.resolve(".clean-shutdown"));

        broker = TestBroker.start(dataDir);
        try {
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, List.of(tp), 99, Duration.ofSeconds(30));
                assertThat(records).hasSize(99);
                assertThat(records.get(98).value()).isEqualTo("v98");
                assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 99L);
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                assertThat(producer.send(new ProducerRecord<>("torn", 0, "k", "new")).get(30, TimeUnit.SECONDS).offset())
                        .isEqualTo(99);
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, List.of(tp), 100, Duration.ofSeconds(30));
                assertThat(records).hasSize(100);
                assertThat(records.get(99).value()).isEqualTo("new");
            }
        } finally {
            broker.close();
        }
    }
}
