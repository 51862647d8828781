package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker alone keeps group offsets in {@code __consumer_offsets}: a data directory of the previous release (offsets
 * in {@code __chronik_offsets}) is moved into it at the first start, and consumers resume exactly where they were.
 */
@Timeout(180)
class OffsetsMigrationTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path dataDir;

    @Test
    void offsetsOfTheOldStoreAreMovedIntoTheOffsetsTopicAndConsumersResumeThere() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.offsets-topic-partitions", "4"))) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("orders", 0, null, "v" + i)).get(10, TimeUnit.SECONDS);
                }
            }
            try (Admin admin = Clients.admin(broker)) {
                // Alone, the offsets topic exists from the start, internal as in Kafka.
                TopicDescription offsets = admin.describeTopics(Set.of("__consumer_offsets")).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get("__consumer_offsets");
                assertThat(offsets.isInternal()).isTrue();
                assertThat(offsets.partitions()).hasSize(4);
                assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).containsExactly("orders");
            }
        }
        // The data directory as the previous release left it: offsets committed through its store.
        LegacyOffsetLog old = new LegacyOffsetLog(dataDir);
        for (int g = 0; g < 20; g++) {
            old.commit("group-" + g, new OffsetStore.TopicPartition("orders", 0), new Committed(g % 10, -1, "m" + g, 1000 + g));
        }
        old.delete("group-19", new OffsetStore.TopicPartition("orders", 0));

        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.offsets-topic-partitions", "4"))) {
            assertThat(dataDir.resolve(LocalOffsetsTopic.LEGACY)).doesNotExist();
            assertThat(dataDir.resolve(LocalOffsetsTopic.RETIRED)).isDirectory();
            assertCommitted(broker);
            assertThat(resume(broker, "group-7")).isEqualTo(7);
            assertThat(resume(broker, "group-19")).as("a deleted offset stays deleted: earliest").isZero();
        }
        // Moved once: a restart serves them from the topic, and a new commit survives it.
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.offsets-topic-partitions", "4"))) {
            assertCommitted(broker);
            try (Admin admin = Clients.admin(broker)) {
                admin.alterConsumerGroupOffsets("group-3", Map.of(TP, new OffsetAndMetadata(9)))
                        .all().get(10, TimeUnit.SECONDS);
            }
        }
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.offsets-topic-partitions", "4"))) {
            assertThat(resume(broker, "group-3")).isEqualTo(9);
            assertThat(resume(broker, "group-5")).isEqualTo(5);
        }
    }

    private static void assertCommitted(TestBroker broker) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            for (int g = 0; g < 19; g++) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("group-" + g)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                assertThat(offsets).as("group-" + g).containsOnlyKeys(TP);
                assertThat(offsets.get(TP).offset()).isEqualTo(g % 10);
                assertThat(offsets.get(TP).metadata()).isEqualTo("m" + g);
            }
            assertThat(admin.listConsumerGroupOffsets("group-19").partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS)).isEmpty();
        }
    }

    /** The offset of the first record a consumer of the group reads. */
    private static long resume(TestBroker broker, String group) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"))) {
            consumer.subscribe(List.of("orders"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            assertThat(records).as("records for " + group).isNotEmpty();
            return records.get(0).offset();
        }
    }
}
