package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.chronik.testing.TxnWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions as partition leaders and consumers see them, through the wire: transactional batches produced raw,
 * COMMIT/ABORT markers written with WriteTxnMarkers (as a transaction coordinator sends them), and Java consumers
 * reading with isolation.level read_committed and read_uncommitted, across a broker restart.
 */
@Timeout(180)
class TransactionalFetchTest {
    private static final TopicPartition TP = new TopicPartition("txn", 0);
    /** No transaction coordinator takes part here: the partition leader appends without asking one. */
    private static final Map<String, String> RAW = Map.of("chronik.transaction.partition-verification", "false");

    @TempDir
    Path dataDir;

    @Test
    void readCommittedConsumersSeeExactlyTheCommittedAndNonTransactionalRecords() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, RAW)) {
            Clients.createTopic(broker, "txn", 1);
            try (TxnWire wire = new TxnWire(broker.port(), "txn")) {
                assertThat(wire.produceTxn(1000L, (short) 0, 0, "a1", "a2")).isZero();
                assertThat(wire.producePlain("p1")).isEqualTo(2);
                assertThat(wire.produceTxn(2000L, (short) 0, 0, "b1")).isEqualTo(3);
                assertThat(wire.marker(1000L, (short) 0, true)).isEqualTo(Errors.NONE);
                assertThat(wire.marker(2000L, (short) 0, false)).isEqualTo(Errors.NONE);
                // Each marker took one offset (4 and 5).
                assertThat(wire.producePlain("p2")).isEqualTo(6);
            }
            assertThat(values(broker, "read_committed", 7)).containsExactly("a1", "a2", "p1", "p2");
            assertThat(values(broker, "read_uncommitted", 7)).containsExactly("a1", "a2", "p1", "b1", "p2");
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(7);
            try (Stream<Path> files = Files.list(dataDir.resolve("txn-0"))) {
                assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".txnindex"));
            }

            broker.restart();
            assertThat(values(broker, "read_committed", 7)).containsExactly("a1", "a2", "p1", "p2");
            assertThat(values(broker, "read_uncommitted", 7)).containsExactly("a1", "a2", "p1", "b1", "p2");
        }
    }

    @Test
    void anOpenTransactionHoldsReadCommittedConsumersAtTheLastStableOffset() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, RAW)) {
            Clients.createTopic(broker, "txn", 1);
            try (TxnWire wire = new TxnWire(broker.port(), "txn")) {
                wire.producePlain("x1");
                assertThat(wire.produceTxn(3000L, (short) 1, 0, "c1")).isEqualTo(1);
                wire.producePlain("x2");
            }
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
            assertThat(latest(broker, IsolationLevel.READ_UNCOMMITTED)).isEqualTo(3);
            assertHeldAtLastStableOffset(broker);
            assertThat(values(broker, "read_uncommitted", 3)).containsExactly("x1", "c1", "x2");

            broker.restart(); // the producer state snapshot keeps the open transaction
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
            assertHeldAtLastStableOffset(broker);

            try (TxnWire wire = new TxnWire(broker.port(), "txn")) {
                assertThat(wire.marker(3000L, (short) 0, true)).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
                assertThat(wire.marker(3000L, (short) 1, true, "no-such-topic"))
                        .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
                assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
                assertThat(wire.marker(3000L, (short) 1, true)).isEqualTo(Errors.NONE);
            }
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(4);
            assertThat(values(broker, "read_committed", 4)).containsExactly("x1", "c1", "x2");
        }
    }

    /** A read_committed consumer gets x1, reaches the LSO (1) and stays there; its end offset is the LSO too. */
    private static void assertHeldAtLastStableOffset(TestBroker broker) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker,
                Map.of("isolation.level", "read_committed"))) {
            List<String> seen = readUntil(consumer, 1);
            for (int i = 0; i < 5; i++) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.value()));
            }
            assertThat(seen).containsExactly("x1");
            assertThat(consumer.position(TP)).isEqualTo(1);
            assertThat(consumer.endOffsets(List.of(TP))).containsEntry(TP, 1L);
        }
    }

    /** Every value from the beginning until the consumer's position reaches {@code end}. */
    private static List<String> values(TestBroker broker, String isolation, long end) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", isolation))) {
            return readUntil(consumer, end);
        }
    }

    private static List<String> readUntil(KafkaConsumer<String, String> consumer, long end) {
        consumer.assign(List.of(TP));
        consumer.seekToBeginning(List.of(TP));
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.position(TP) < end) {
            assertThat(System.nanoTime()).as("position %s never reached %s", consumer.position(TP), end)
                    .isLessThan(deadline);
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                seen.add(record.value());
            }
        }
        return seen;
    }

    private static long latest(TestBroker broker, IsolationLevel isolation) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            return admin.listOffsets(Map.of(TP, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
                    .get(30, TimeUnit.SECONDS).get(TP).offset();
        }
    }
}
