package io.chronik.txn;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A compacted topic written by a transactional Java producer (committed overwrites, aborted transactions, a committed
 * tombstone) interleaved with plain writes: once the log cleaner ran, read_uncommitted and read_committed consumers
 * read exactly the latest committed value of each key, nothing aborted, the deleted key gone, from a smaller log;
 * and the same after a restart, which rebuilds producer state and the txn index from the cleaned log.
 */
@Timeout(180)
class TransactionalCompactionTest {
    private static final String TOPIC = "txn-compacted";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final int KEYS = 20;
    private static final int ROUNDS = 12;

    @TempDir
    Path dataDir;

    private record Seen(long offset, String key, String value) {
    }

    private static KafkaProducer<String, String> transactional(TestBroker broker) {
        return Clients.producer(broker, Map.of("transactional.id", "compacting-writer", "max.block.ms", "60000"));
    }

    /** Everything a consumer with {@code isolation} reads from the start up to its end offset (bounded in time). */
    private static List<Seen> readAll(TestBroker broker, String isolation) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", isolation,
                "max.poll.records", "2000"))) {
            consumer.assign(List.of(TP));
            consumer.seekToBeginning(List.of(TP));
            long end = consumer.endOffsets(List.of(TP)).get(TP);
            List<Seen> seen = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(TP) < end) {
                assertThat(System.nanoTime()).as("reading %s (%s) to offset %d", TOPIC, isolation, end)
                        .isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    seen.add(new Seen(r.offset(), r.key(), r.value()));
                }
            }
            return seen;
        }
    }

    private static Map<String, String> asMap(List<Seen> seen) {
        Map<String, String> latest = new LinkedHashMap<>();
        seen.forEach(s -> latest.put(s.key(), s.value()));
        return latest;
    }

    private static long sizeOnDisk(TestBroker broker) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            return admin.describeLogDirs(List.of(0)).allDescriptions().get(30, TimeUnit.SECONDS).get(0).values()
                    .stream().mapToLong(d -> d.replicaInfos().containsKey(TP) ? d.replicaInfos().get(TP).size() : 0)
                    .sum();
        }
    }

    private static long latestOffset(TestBroker broker, IsolationLevel isolation) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            return admin.listOffsets(Map.of(TP, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
                    .get(30, TimeUnit.SECONDS).get(TP).offset();
        }
    }

    /** Reads (read_uncommitted) until {@code done} holds; fails after 60 s. */
    private static List<Seen> readUntil(TestBroker broker, Predicate<List<Seen>> done, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<Seen> seen = readAll(broker, "read_uncommitted");
            if (done.test(seen)) {
                return seen;
            }
            assertThat(System.nanoTime()).as("timed out waiting for %s; last read %d records: %s", what, seen.size(),
                    seen).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    @Test
    void theCleanerKeepsTheLatestCommittedValuePerKeyAndDropsAbortedTransactionsAcrossARestart() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.log.cleaner.backoff", "100ms",
                "chronik.listener.port", Integer.toString(port)))) {
            try (Admin admin = Clients.admin(broker)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                        "segment.bytes", "4096", "segment.ms", "1000", "min.cleanable.dirty.ratio", "0.01",
                        "delete.retention.ms", "1000", "min.compaction.lag.ms", "3600000")))).all()
                        .get(30, TimeUnit.SECONDS);
            }
            Map<String, String> expected = new HashMap<>();
            String padding = "x".repeat(60);
            try (KafkaProducer<String, String> txn = transactional(broker);
                 KafkaProducer<String, String> plain = Clients.producer(broker, Map.of("acks", "all"))) {
                txn.initTransactions();
                for (int round = 0; round < ROUNDS; round++) {
                    txn.beginTransaction();
                    for (int k = 0; k < KEYS; k++) {
                        String value = "committed-" + k + "-" + round + "-" + padding;
                        txn.send(new ProducerRecord<>(TOPIC, 0, "key-" + k, value));
                        expected.put("key-" + k, value);
                    }
                    txn.commitTransaction();
                    String plainValue = "plain-" + round + "-" + padding;
                    plain.send(new ProducerRecord<>(TOPIC, 0, "plain-" + (round % 4), plainValue)).get(30, TimeUnit.SECONDS);
                    expected.put("plain-" + (round % 4), plainValue);
                    if (round % 3 == 1) {
                        txn.beginTransaction();
                        for (int k = 0; k < KEYS; k++) {
                            txn.send(new ProducerRecord<>(TOPIC, 0, "key-" + k, "aborted-" + k + "-" + round + padding));
                        }
                        txn.send(new ProducerRecord<>(TOPIC, 0, "only-aborted", "aborted"));
                        txn.flush();
                        txn.abortTransaction();
                    }
                }
                // A committed tombstone, and an abort that would have brought the key back.
                txn.beginTransaction();
                txn.send(new ProducerRecord<>(TOPIC, 0, "key-0", null));
                txn.commitTransaction();
                expected.remove("key-0");
                txn.beginTransaction();
                txn.send(new ProducerRecord<>(TOPIC, 0, "key-0", "aborted-resurrection"));
                txn.flush();
                txn.abortTransaction();
                // A record in the future rolls the segment (segment.ms): everything before it can be cleaned.
                plain.send(new ProducerRecord<>(TOPIC, 0, System.currentTimeMillis() + 60_000, "roll", "roll"))
                        .get(30, TimeUnit.SECONDS);
                expected.put("roll", "roll");
            }
            long written = latestOffset(broker, IsolationLevel.READ_UNCOMMITTED);
            assertThat(latestOffset(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(written);

            // Before cleaning, the aborted records are in the log (read_uncommitted sees them).
            List<Seen> before = readAll(broker, "read_uncommitted");
            assertThat(before).anyMatch(s -> s.value() != null && s.value().startsWith("aborted"));
            long sizeBefore = sizeOnDisk(broker);
            assertThat(sizeBefore).isGreaterThan(20_000);

            // min.compaction.lag.ms held the cleaner back so far; without it the log is cleaned.
            try (Admin admin = Clients.admin(broker)) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC), List.of(
                        new AlterConfigOp(new ConfigEntry("min.compaction.lag.ms", "0"), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS);
            }
            // Cleaned (tombstone past delete.retention.ms included): one record per live key, nothing aborted.
            List<Seen> cleaned = readUntil(broker, seen -> seen.size() == expected.size(), "the cleaning");
            assertViews(broker, cleaned, expected, written);
            long sizeAfter = sizeOnDisk(broker);
            assertThat(sizeAfter).as("log size after cleaning, was %d", sizeBefore).isLessThan(sizeBefore / 4);

            // A restart rebuilds producer state and the txn index from the cleaned log: same answers, no open
            // transaction holding read_committed consumers back, and the producer goes on.
            broker.restart();
            assertViews(broker, readAll(broker, "read_uncommitted"), expected, written);
            try (KafkaProducer<String, String> txn = transactional(broker)) {
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>(TOPIC, 0, "key-1", "after-restart"));
                txn.commitTransaction();
            }
            expected.put("key-1", "after-restart");
            assertThat(asMap(readAll(broker, "read_committed"))).isEqualTo(expected);
        }
    }

    private static void assertViews(TestBroker broker, List<Seen> uncommitted, Map<String, String> expected,
                                    long written) throws Exception {
        assertThat(uncommitted).noneMatch(s -> s.value() != null && s.value().startsWith("aborted"));
        assertThat(uncommitted).extracting(Seen::key).doesNotHaveDuplicates().doesNotContain("key-0", "only-aborted");
        assertThat(asMap(uncommitted)).isEqualTo(expected);
        List<Seen> committed = readAll(broker, "read_committed");
        assertThat(committed).isEqualTo(uncommitted);
        assertThat(latestOffset(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(written);
        assertThat(latestOffset(broker, IsolationLevel.READ_UNCOMMITTED)).isEqualTo(written);
    }
}
