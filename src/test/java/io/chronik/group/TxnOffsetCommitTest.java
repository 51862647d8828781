package io.chronik.group;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.chronik.testing.TxnOffsetsWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Transactional offsets on a broker alone, through the wire without a transaction coordinator: TxnOffsetCommit makes
 * offsets pending (invisible to Admin and consumers, UNSTABLE_OFFSET_COMMIT for require_stable), a COMMIT marker on
 * the group's __consumer_offsets partition makes them committed, an ABORT drops them; pending offsets survive a
 * restart and are committed by a marker after it.
 */
@Timeout(180)
class TxnOffsetCommitTest {
    private static final int PARTITIONS = 3;
    private static final String TOPIC = "orders";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    /** Markers are written by hand here, for producers with no transaction: partition verification stays off. */
    private static final Map<String, String> SETTINGS = Map.of("chronik.group.offsets-topic-partitions", "" + PARTITIONS,
            "chronik.transaction.partition-verification", "false");

    @TempDir
    Path dataDir;

    @Test
    void offsetsOfATransactionAreVisibleOnlyOnceItsMarkerCommitsThem() throws Exception {
        String group = "txn-group";
        int offsetsPartition = TxnOffsetsWire.offsetsPartition(group, PARTITIONS);
        try (TestBroker broker = TestBroker.start(dataDir, SETTINGS)) {
            Clients.createTopic(broker, TOPIC, 1);
            produce(broker, 10);
            long pid;
            short epoch;
            try (TxnOffsetsWire wire = new TxnOffsetsWire(broker.port())) {
                InitProducerIdResponseData producer = wire.initProducerId();
                pid = producer.producerId();
                epoch = producer.producerEpoch();

                assertThat(wire.txnOffsetCommit(group, pid, epoch, TOPIC, 0, 4)).isEqualTo(Errors.NONE);
                assertThat(committed(broker, group)).as("pending, not committed").isEmpty();
                assertUnstable(wire, group);
                assertThatThrownBy(() -> readCommittedConsumerCommitted(broker, group))
                        .as("a read_committed consumer waits for the transaction (require_stable)")
                        .isInstanceOf(TimeoutException.class);

                assertThat(wire.marker(pid, epoch, true, "__consumer_offsets", offsetsPartition)).isEqualTo(Errors.NONE);
                assertThat(committed(broker, group)).containsEntry(TP, 4L);
                assertStable(wire, group, 4);
                assertThat(readCommittedConsumerCommitted(broker, group)).isEqualTo(4);

                // The next transaction of the producer is aborted: its offset never shows.
                assertThat(wire.txnOffsetCommit(group, pid, epoch, TOPIC, 0, 8)).isEqualTo(Errors.NONE);
                assertUnstable(wire, group);
                assertThat(wire.marker(pid, epoch, false, "__consumer_offsets", offsetsPartition)).isEqualTo(Errors.NONE);
                assertThat(committed(broker, group)).containsEntry(TP, 4L);
                assertStable(wire, group, 4);

                // An offset left pending across a restart.
                assertThat(wire.txnOffsetCommit(group, pid, epoch, TOPIC, 0, 7)).isEqualTo(Errors.NONE);
            }
            broker.restart();
            try (TxnOffsetsWire wire = new TxnOffsetsWire(broker.port())) {
                awaitUnstable(wire, group);
                assertThat(committed(broker, group)).containsEntry(TP, 4L);
                assertThat(wire.marker(pid, epoch, true, "__consumer_offsets", offsetsPartition)).isEqualTo(Errors.NONE);
                assertThat(committed(broker, group)).containsEntry(TP, 7L);
            }
            assertThat(resume(broker, group)).isEqualTo(7);
            broker.restart();
            assertThat(committed(broker, group)).as("replayed after a restart: committed, nothing pending")
                    .containsEntry(TP, 7L);
            try (TxnOffsetsWire wire = new TxnOffsetsWire(broker.port())) {
                awaitStable(wire, group, 7);
            }
        }
    }

    @Test
    void txnOffsetCommitChecksTheGroupAndTheTopic() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, SETTINGS);
             TxnOffsetsWire wire = new TxnOffsetsWire(broker.port())) {
            Clients.createTopic(broker, TOPIC, 1);
            InitProducerIdResponseData producer = wire.initProducerId();
            long pid = producer.producerId();
            short epoch = producer.producerEpoch();
            assertThat(wire.txnOffsetCommit(group(), pid, epoch, "missing", 0, 1))
                    .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
            // A generation or member id given for a group that does not exist.
            assertThat(wire.txnOffsetCommit((short) 3, group(), pid, epoch, 3, "m-1", TOPIC, 0, 1))
                    .isEqualTo(Errors.ILLEGAL_GENERATION);
            // Version 0 has no membership fields at all.
            assertThat(wire.txnOffsetCommit((short) 0, group(), pid, epoch, -1, "", TOPIC, 0, 1)).isEqualTo(Errors.NONE);
            // A member of a live classic group with the wrong member id or generation.
            try (KafkaConsumer<String, String> member = Clients.consumer(broker, Map.of(
                    ConsumerConfig.GROUP_ID_CONFIG, "live", ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic"))) {
                member.subscribe(List.of(TOPIC));
                Clients.pollUntil(List.of(member), () -> !member.assignment().isEmpty(), "assignment");
                assertThat(wire.txnOffsetCommit((short) 3, "live", pid, epoch, 1, "nobody", TOPIC, 0, 1))
                        .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
                String memberId = member.groupMetadata().memberId();
                int generation = member.groupMetadata().generationId();
                assertThat(wire.txnOffsetCommit((short) 3, "live", pid, epoch, generation + 5, memberId, TOPIC, 0, 1))
                        .isEqualTo(Errors.ILLEGAL_GENERATION);
                assertThat(wire.txnOffsetCommit((short) 3, "live", pid, epoch, generation, memberId, TOPIC, 0, 1))
                        .isEqualTo(Errors.NONE);
            }
        }
    }

    private static String group() {
        return "checks";
    }

    private static void assertUnstable(TxnOffsetsWire wire, String group) throws Exception {
        OffsetFetchResponseData v7 = wire.offsetFetch((short) 7, group, TOPIC, 0, true);
        assertThat(Errors.forCode(v7.errorCode())).isEqualTo(Errors.UNSTABLE_OFFSET_COMMIT);
        assertThat(Errors.forCode(v7.topics().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.UNSTABLE_OFFSET_COMMIT);
        OffsetFetchResponseData v9 = wire.offsetFetch((short) 9, group, TOPIC, 0, true);
        assertThat(Errors.forCode(v9.groups().get(0).errorCode())).isEqualTo(Errors.NONE);
        OffsetFetchResponseData.OffsetFetchResponsePartitions p = v9.groups().get(0).topics().get(0).partitions().get(0);
        assertThat(Errors.forCode(p.errorCode())).isEqualTo(Errors.UNSTABLE_OFFSET_COMMIT);
        assertThat(p.committedOffset()).isEqualTo(-1);
        // Without require_stable: the committed value, whatever is pending.
        OffsetFetchResponseData plain = wire.offsetFetch((short) 9, group, TOPIC, 0, false);
        assertThat(Errors.forCode(plain.groups().get(0).topics().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.NONE);
    }

    private static void assertStable(TxnOffsetsWire wire, String group, long offset) throws Exception {
        OffsetFetchResponseData v7 = wire.offsetFetch((short) 7, group, TOPIC, 0, true);
        assertThat(Errors.forCode(v7.errorCode())).isEqualTo(Errors.NONE);
        assertThat(v7.topics().get(0).partitions().get(0).committedOffset()).isEqualTo(offset);
        OffsetFetchResponseData v9 = wire.offsetFetch((short) 9, group, TOPIC, 0, true);
        OffsetFetchResponseData.OffsetFetchResponsePartitions p = v9.groups().get(0).topics().get(0).partitions().get(0);
        assertThat(Errors.forCode(p.errorCode())).isEqualTo(Errors.NONE);
        assertThat(p.committedOffset()).isEqualTo(offset);
    }

    /** After a restart the group's partition loads first (COORDINATOR_LOAD_IN_PROGRESS meanwhile). */
    private static void awaitUnstable(TxnOffsetsWire wire, String group) throws Exception {
        awaitLoaded(wire, group);
        assertUnstable(wire, group);
    }

    private static void awaitStable(TxnOffsetsWire wire, String group, long offset) throws Exception {
        awaitLoaded(wire, group);
        assertStable(wire, group, offset);
    }

    private static void awaitLoaded(TxnOffsetsWire wire, String group) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Errors.forCode(wire.offsetFetch((short) 9, group, TOPIC, 0, false).groups().get(0).errorCode())
                == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
            assertThat(System.nanoTime()).as("loaded in time").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void produce(TestBroker broker, int count) throws Exception {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, null, "v" + i)).get(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Map<TopicPartition, Long> committed(TestBroker broker, String group) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, Long> plain = new java.util.HashMap<>();
            offsets.forEach((tp, o) -> {
                if (o != null) {
                    plain.put(tp, o.offset());
                }
            });
            return plain;
        }
    }

    /** What a read_committed consumer (OffsetFetch with require_stable) reads as committed, within 2 s. */
    private static long readCommittedConsumerCommitted(TestBroker broker, String group) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            OffsetAndMetadata committed = consumer.committed(Set.of(TP), Duration.ofSeconds(2)).get(TP);
            return committed == null ? -1 : committed.offset();
        }
    }

    /** The offset of the first record a consumer of the group reads. */
    private static long resume(TestBroker broker, String group) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            consumer.subscribe(List.of(TOPIC));
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
