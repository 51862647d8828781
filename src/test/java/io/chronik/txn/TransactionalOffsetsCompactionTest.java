package io.chronik.txn;

import io.chronik.handler.CoordinatorPlacement;
import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group offsets committed inside transactions, on a {@code __consumer_offsets} partition the log cleaner compacts:
 * after many committed and aborted transactions the cleaner shrinks the group's partition, and the committed offset
 * stays the last committed transaction's, never an aborted one's, with nothing pending; the same after a restart,
 * whose coordinator rebuilds the offsets from the cleaned log.
 */
@Timeout(180)
class TransactionalOffsetsCompactionTest {
    private static final String GROUP = "compacted-txn-group";
    private static final TopicPartition CONSUMED = new TopicPartition("consumed", 0);
    private static final int ROUNDS = 60;

    @TempDir
    Path dataDir;

    private static long committed(Admin admin) throws Exception {
        OffsetAndMetadata offset = admin.listConsumerGroupOffsets(Map.of(GROUP,
                        new org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec()),
                new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata(GROUP).get(30, TimeUnit.SECONDS).get(CONSUMED);
        return offset == null ? -1 : offset.offset();
    }

    private static long partitionSize(Admin admin, TopicPartition tp) throws Exception {
        return admin.describeLogDirs(List.of(0)).allDescriptions().get(30, TimeUnit.SECONDS).get(0).values().stream()
                .mapToLong(d -> d.replicaInfos().containsKey(tp) ? d.replicaInfos().get(tp).size() : 0).sum();
    }

    @Test
    void transactionalOffsetsStayTheLastCommittedOnesWhenTheOffsetsPartitionIsCleanedAndAfterARestart() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.log.cleaner.backoff", "100ms",
                "chronik.listener.port", Integer.toString(port)))) {
            Clients.createTopic(broker, "consumed", 1);
            TopicPartition offsets;
            long sizeBefore;
            try (Admin admin = Clients.admin(broker);
                 KafkaProducer<String, String> txn = Clients.producer(broker, Map.of("transactional.id", "offsets-writer",
                         "max.block.ms", "60000"))) {
                txn.initTransactions();
                // The first transaction makes the offsets topic exist; then its segments are made small, so that
                // the group's partition rolls often and the cleaner has something to clean.
                txn.beginTransaction();
                txn.sendOffsetsToTransaction(Map.of(CONSUMED, new OffsetAndMetadata(0)), new ConsumerGroupMetadata(GROUP));
                txn.commitTransaction();
                offsets = new TopicPartition(CoordinatorPlacement.OFFSETS_TOPIC, CoordinatorPlacement.partitionFor(GROUP,
                        admin.describeTopics(List.of(CoordinatorPlacement.OFFSETS_TOPIC)).allTopicNames()
                                .get(30, TimeUnit.SECONDS).get(CoordinatorPlacement.OFFSETS_TOPIC).partitions().size()));
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC,
                        CoordinatorPlacement.OFFSETS_TOPIC), List.of(
                        new AlterConfigOp(new ConfigEntry("segment.bytes", "2048"), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry("delete.retention.ms", "1000"), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS);
                long lastCommitted = 0;
                for (int round = 1; round <= ROUNDS; round++) {
                    txn.beginTransaction();
                    txn.send(new ProducerRecord<>("out", 0, null, "r" + round));
                    txn.sendOffsetsToTransaction(Map.of(CONSUMED, new OffsetAndMetadata(round * 10L, "m-" + round)),
                            new ConsumerGroupMetadata(GROUP));
                    if (round % 4 == 0) {
                        txn.abortTransaction(); // its offset (round * 10) must never show
                    } else {
                        txn.commitTransaction();
                        lastCommitted = round * 10L;
                    }
                }
                // The last transaction aborts: the committed offset stays the one before it.
                txn.beginTransaction();
                txn.sendOffsetsToTransaction(Map.of(CONSUMED, new OffsetAndMetadata(999_999)), new ConsumerGroupMetadata(GROUP));
                txn.abortTransaction();
                assertThat(committed(admin)).isEqualTo(lastCommitted);

                // The cleaner compacted the group's partition meanwhile: it read a good part of what the rounds
                // wrote and wrote back much less, and the partition holds a fraction of it.
                MeterRegistry registry = broker.bean(MeterRegistry.class);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (registry.get("chronik.log.cleaner.read.bytes").counter().count() < 4096
                        && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(200);
                }
                double read = registry.get("chronik.log.cleaner.read.bytes").counter().count();
                double written = registry.get("chronik.log.cleaner.written.bytes").counter().count();
                assertThat(read).as("bytes the cleaner read").isGreaterThanOrEqualTo(4096);
                assertThat(written).as("bytes the cleaner wrote back of %s read", read).isLessThan(read / 2);
                sizeBefore = partitionSize(admin, offsets);
                assertThat(sizeBefore).as("%s after cleaning", offsets).isLessThan((long) read);
                assertThat(committed(admin)).as("the committed offset after cleaning").isEqualTo(lastCommitted);
            }
            broker.restart();
            try (Admin admin = Clients.admin(broker)) {
                long expected = (ROUNDS - 1) * 10L; // ROUNDS is a multiple of 4: its own round aborted
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                long after = -1;
                while (after != expected && System.nanoTime() < deadline) {
                    try {
                        after = committed(admin);
                    } catch (java.util.concurrent.ExecutionException e) {
                        TimeUnit.MILLISECONDS.sleep(200); // the coordinator still loading
                    }
                }
                assertThat(after).as("the committed offset after a restart on the cleaned log").isEqualTo(expected);
            }
        }
    }
}
