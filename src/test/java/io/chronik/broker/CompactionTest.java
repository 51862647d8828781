package io.chronik.broker;

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
import org.apache.kafka.common.InvalidRecordException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** cleanup.policy=compact through the Java client: what consumers read once the log cleaner has run. */
@Timeout(120)
class CompactionTest {
    @TempDir
    static Path dataDir;
    /** One broker for all tests (distinct topics), on a fixed port so a producer finds it again after a restart. */
    private static TestBroker broker;

    /** A record as consumed: offset, key, value (null for a tombstone). */
    private record Seen(long offset, String key, String value) {
    }

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        broker = TestBroker.start(dataDir, Map.of("chronik.log.cleaner.backoff", "100ms",
                "chronik.storage.retention-check-interval", "200ms", "chronik.listener.port", Integer.toString(port)));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static void createTopic(String name, Map<String, String> configs) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(configs))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, String> compacted(String... more) {
        Map<String, String> cfg = new HashMap<>(Map.of("cleanup.policy", "compact", "segment.bytes", "4096",
                "segment.ms", "1000", "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "1000"));
        for (int i = 0; i < more.length; i += 2) {
            cfg.put(more[i], more[i + 1]);
        }
        return cfg;
    }

    /** Every record from the beginning to the current end offset. */
    private static List<Seen> readAll(String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("max.poll.records", "2000"))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            List<Seen> seen = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(tp) < end) {
                assertThat(System.nanoTime()).as("reading %s to offset %d", topic, end).isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    seen.add(new Seen(r.offset(), r.key(), r.value()));
                }
            }
            return seen;
        }
    }

    /** Reads the topic until {@code done} holds for what was read (bounded in time). */
    private static List<Seen> readUntil(String topic, Predicate<List<Seen>> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<Seen> seen = readAll(topic);
            if (done.test(seen)) {
                return seen;
            }
            assertThat(System.nanoTime()).as("timed out waiting for %s; last read %d records", what, seen.size())
                    .isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** Sends everything, waits for every acknowledgement, and returns offset -> record as the broker placed them. */
    private static Map<Long, Seen> sendAll(KafkaProducer<String, String> producer, List<ProducerRecord<String, String>> records)
            throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (ProducerRecord<String, String> r : records) {
            acks.add(producer.send(r));
        }
        Map<Long, Seen> placed = new LinkedHashMap<>();
        for (int i = 0; i < records.size(); i++) {
            long offset = acks.get(i).get(30, TimeUnit.SECONDS).offset();
            placed.put(offset, new Seen(offset, records.get(i).key(), records.get(i).value()));
        }
        return placed;
    }

    /** The latest record of each key, in offset order. */
    private static List<Seen> latestPerKey(Map<Long, Seen> placed) {
        Map<String, Seen> latest = new HashMap<>();
        placed.values().forEach(s -> latest.put(s.key(), s));
        return latest.values().stream().sorted((a, b) -> Long.compare(a.offset(), b.offset())).toList();
    }

    @Test
    void consumersReadTheLatestValueOfEachKeyAtItsOriginalOffsetAndTombstonesGoAfterDeleteRetentionMs() throws Exception {
        createTopic("compacted", compacted());
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int k = 0; k < 50; k++) {
                records.add(new ProducerRecord<>("compacted", 0, "key-" + k, "value-" + k + "-" + round + "-" + "x".repeat(40)));
            }
        }
        for (int k = 0; k < 10; k++) {
            records.add(new ProducerRecord<>("compacted", 0, "key-" + k, null)); // tombstones
        }
        Map<Long, Seen> placed;
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "all"))) {
            placed = sendAll(producer, records);
            // A last record in the future rolls the segment (segment.ms): everything before it can be cleaned.
            placed.putAll(sendAll(producer, List.of(new ProducerRecord<>("compacted", 0,
                    System.currentTimeMillis() + 60_000, "roll", "roll"))));
        }
        List<Seen> latest = latestPerKey(placed);
        assertThat(latest).hasSize(51);

        // Cleaned: exactly the latest record of each key (tombstones included), each at the offset it was written at.
        List<Seen> cleaned = readUntil("compacted", seen -> seen.size() <= latest.size(), "the first cleaning");
        assertThat(cleaned).containsExactlyElementsOf(latest);
        for (Seen s : cleaned) {
            assertThat(placed.get(s.offset())).isEqualTo(s);
        }

        // delete.retention.ms (1 s) after that cleaning, the tombstones are gone too.
        List<Seen> withoutTombstones = latest.stream().filter(s -> s.value() != null).toList();
        assertThat(readUntil("compacted", seen -> seen.size() == withoutTombstones.size(), "tombstone removal"))
                .containsExactlyElementsOf(withoutTombstones);
        TopicPartition tp = new TopicPartition("compacted", 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            assertThat(consumer.beginningOffsets(List.of(tp))).containsEntry(tp, 0L);
            assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 1011L);
        }
    }

    @Test
    void compactOnlyTopicsOutliveRetentionMsWhileCompactDeleteTopicsDoNot() throws Exception {
        createTopic("kept", compacted("retention.ms", "1000", "min.cleanable.dirty.ratio", "0.99"));
        createTopic("expiring", compacted("cleanup.policy", "compact,delete", "retention.ms", "1000",
                "min.cleanable.dirty.ratio", "0.99"));
        long old = System.currentTimeMillis() - 3_600_000;
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "all"))) {
            List<ProducerRecord<String, String>> records = new ArrayList<>();
            for (int k = 0; k < 20; k++) {
                records.add(new ProducerRecord<>("kept", 0, old, "key-" + k, "v" + k));
                records.add(new ProducerRecord<>("expiring", 0, old, "key-" + k, "v" + k));
            }
            sendAll(producer, records);
        }
        TopicPartition expiring = new TopicPartition("expiring", 0);
        TopicPartition kept = new TopicPartition("kept", 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.beginningOffsets(List.of(expiring)).get(expiring) < 20) {
                assertThat(System.nanoTime()).as("compact,delete topic expired by retention.ms").isLessThan(deadline);
                TimeUnit.MILLISECONDS.sleep(100);
            }
            // Retention ran on both; the compact-only topic still starts at 0 with every record.
            assertThat(consumer.beginningOffsets(List.of(kept))).containsEntry(kept, 0L);
        }
        assertThat(readAll("kept")).hasSize(20);
    }

    @Test
    void anIdempotentProducerKeepsProducingAcrossCleaningsAndARestart() throws Exception {
        createTopic("idem", compacted());
        Map<String, Object> idempotent = Map.of("enable.idempotence", "true", "acks", "all",
                "max.in.flight.requests.per.connection", "5");
        Map<Long, Seen> placed = new HashMap<>();
        try (KafkaProducer<String, String> producer = Clients.producer(broker, idempotent)) {
            for (int round = 0; round < 4; round++) {
                List<ProducerRecord<String, String>> records = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    records.add(new ProducerRecord<>("idem", 0, "key-" + (i % 30), "r" + round + "-" + i + "-" + "y".repeat(30)));
                }
                placed.putAll(sendAll(producer, records));
                // Alone in its batch, so it starts a new segment (segment.ms) and the ones before can be cleaned.
                placed.putAll(sendAll(producer, List.of(new ProducerRecord<>("idem", 0,
                        System.currentTimeMillis() + 60_000, "roll", "r" + round))));
                int total = placed.size();
                // Wait for this round's cleaning before producing the next one with the same producer.
                readUntil("idem", seen -> seen.size() < total / 2, "cleaning round " + round);
            }
            broker.restart();
            placed.putAll(sendAll(producer, List.of(new ProducerRecord<>("idem", 0, "key-0", "after restart"))));
        }
        List<Seen> latest = latestPerKey(placed);
        List<Seen> read = readAll("idem");
        Map<String, String> lastRead = new LinkedHashMap<>();
        read.forEach(s -> lastRead.put(s.key(), s.value()));
        latest.forEach(s -> assertThat(lastRead.get(s.key())).as(s.key()).isEqualTo(s.value()));
        assertThat(lastRead.get("key-0")).isEqualTo("after restart");
        read.forEach(s -> assertThat(placed.get(s.offset())).isEqualTo(s));
    }

    @Test
    void theBrokerDescribesItsCleanerSettingsAndTheTopicItsPolicy() throws Exception {
        createTopic("described", compacted("cleanup.policy", "compact,delete"));
        ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, "0");
        ConfigResource topicResource = new ConfigResource(ConfigResource.Type.TOPIC, "described");
        try (Admin admin = Clients.admin(broker)) {
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(brokerResource, topicResource)).all()
                    .get(30, TimeUnit.SECONDS);
            Config brokerConfig = configs.get(brokerResource);
            assertThat(brokerConfig.get("log.cleaner.enable").value()).isEqualTo("true");
            assertThat(brokerConfig.get("log.cleaner.threads").value()).isEqualTo("1");
            assertThat(brokerConfig.get("log.cleaner.backoff.ms").value()).isEqualTo("100");
            assertThat(brokerConfig.get("log.cleaner.dedupe.buffer.size").value()).isEqualTo(Long.toString(32L << 20));
            assertThat(configs.get(topicResource).get("cleanup.policy").value()).isEqualTo("compact,delete");
            assertThat(configs.get(topicResource).get("delete.retention.ms").value()).isEqualTo("1000");
        }
    }

    @Test
    void aRecordWithoutKeyIsRefusedByACompactedTopic() throws Exception {
        createTopic("keyed", compacted());
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("linger.ms", "0"))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("keyed", 0, null, "no key")).get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("Compacted topic cannot accept message without key");
            assertThat(producer.send(new ProducerRecord<>("keyed", 0, "k", "v")).get(30, TimeUnit.SECONDS).offset()).isZero();
        }
        assertThat(readAll("keyed")).extracting(Seen::key).allMatch(Objects::nonNull).hasSize(1);
    }
}
