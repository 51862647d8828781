package io.chronik.group;

import io.chronik.handler.CoordinatorPlacement;
import io.chronik.testing.TestCluster;
import io.chronik.testing.TxnOffsetsWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactional offsets in a three-broker cluster, through the wire without a transaction coordinator: the leader of
 * the group's replicated __consumer_offsets partition takes TxnOffsetCommit and the markers; an offset left pending
 * when that leader is killed (kill -9) is pending at the new leader, whose COMMIT marker makes it the group's.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TxnOffsetsClusterTest {
    private static final int OFFSETS_PARTITIONS = 5;
    private static final String TOPIC = "orders";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final String GROUP = "txn-cluster-group";

    @TempDir
    Path dir;

    @Test
    void pendingOffsetsSurviveTheDeathOfTheirCoordinatorAndAreCommittedByTheNewOne() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "txn-offsets-cluster-test", 3,
                "--chronik.group.offsets-topic-partitions=" + OFFSETS_PARTITIONS,
                // Markers are written by hand, for a producer with no transaction: no partition verification.
                "--chronik.transaction.partition-verification=false");
             Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, TOPIC, 3, 60);
            produce(cluster, 12);
            // The first coordinator lookup creates the offsets topic.
            TestCluster.await("the offsets topic", 60, () -> {
                admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                return true;
            }, ok -> ok);
            cluster.awaitIsr(admin, OffsetsTopicStore.TOPIC, 3, 90);
            int partition = CoordinatorPlacement.partitionFor(GROUP, OFFSETS_PARTITIONS);
            int leader = TestCluster.leaderOf(TestCluster.describe(admin, OffsetsTopicStore.TOPIC), partition);

            long pid;
            short epoch;
            try (TxnOffsetsWire wire = new TxnOffsetsWire(cluster.broker(leader).port())) {
                InitProducerIdResponseData producer = wire.initProducerId();
                pid = producer.producerId();
                epoch = producer.producerEpoch();
                assertThat(wire.txnOffsetCommit(GROUP, pid, epoch, TOPIC, 0, 4)).isEqualTo(Errors.NONE);
                assertThat(committed(admin)).isEmpty();
                assertThat(unstable(wire)).isTrue();
                assertThat(wire.marker(pid, epoch, true, OffsetsTopicStore.TOPIC, partition)).isEqualTo(Errors.NONE);
                assertThat(committed(admin)).containsEntry(TP, 4L);
                assertThat(unstable(wire)).isFalse();

                assertThat(wire.txnOffsetCommit(GROUP, pid, epoch, TOPIC, 0, 9)).isEqualTo(Errors.NONE);
                assertThat(wire.marker(pid, epoch, false, OffsetsTopicStore.TOPIC, partition)).isEqualTo(Errors.NONE);
                assertThat(committed(admin)).as("aborted").containsEntry(TP, 4L);

                assertThat(wire.txnOffsetCommit(GROUP, pid, epoch, TOPIC, 0, 7)).isEqualTo(Errors.NONE);
            }

            cluster.kill(leader);
            int newLeader = TestCluster.await("a new leader of the group's offsets partition", 60,
                    () -> TestCluster.leaderOf(TestCluster.describe(admin, OffsetsTopicStore.TOPIC), partition),
                    l -> l >= 0 && l != leader);
            try (TxnOffsetsWire wire = new TxnOffsetsWire(cluster.broker(newLeader).port())) {
                TestCluster.await("the group loaded at the new leader", 60, () -> Errors.forCode(
                                wire.offsetFetch((short) 9, GROUP, TOPIC, 0, false).groups().get(0).errorCode()),
                        e -> e == Errors.NONE);
                assertThat(unstable(wire)).as("the pending offset survived its coordinator").isTrue();
                assertThat(committed(admin)).containsEntry(TP, 4L);
                assertThat(wire.marker(pid, epoch, true, OffsetsTopicStore.TOPIC, partition)).isEqualTo(Errors.NONE);
                assertThat(committed(admin)).containsEntry(TP, 7L);
                assertThat(unstable(wire)).isFalse();
            }
            assertThat(resume(cluster, leader)).isEqualTo(7);

            // The killed broker comes back and follows; the group's offsets stay as committed.
            cluster.startBroker(leader);
            cluster.awaitIsr(admin, OffsetsTopicStore.TOPIC, 3, 90);
            assertThat(committed(admin)).containsEntry(TP, 7L);
        }
    }

    /** OffsetFetch v9 with require_stable at the coordinator: whether the offset is pending. */
    private static boolean unstable(TxnOffsetsWire wire) throws Exception {
        OffsetFetchResponseData r = wire.offsetFetch((short) 9, GROUP, TOPIC, 0, true);
        assertThat(Errors.forCode(r.groups().get(0).errorCode())).isEqualTo(Errors.NONE);
        Errors error = Errors.forCode(r.groups().get(0).topics().get(0).partitions().get(0).errorCode());
        assertThat(error).isIn(Errors.NONE, Errors.UNSTABLE_OFFSET_COMMIT);
        return error == Errors.UNSTABLE_OFFSET_COMMIT;
    }

    private static Map<TopicPartition, Long> committed(Admin admin) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(GROUP)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> plain = new HashMap<>();
        offsets.forEach((tp, o) -> {
            if (o != null) {
                plain.put(tp, o.offset());
            }
        });
        return plain;
    }

    private static void produce(TestCluster cluster, int count) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, null, "v" + i)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The offset of the first record a read_committed consumer of the group reads (through the live brokers). */
    private static long resume(TestCluster cluster, int dead) throws Exception {
        Integer[] live = cluster.ids().stream().filter(id -> id != dead).toArray(Integer[]::new);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap(live), ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            assertThat(records).isNotEmpty();
            return records.get(0).offset();
        }
    }
}
