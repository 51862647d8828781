package io.chronik.group;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.LogMetrics;
import io.chronik.log.StorageConfig;
import io.chronik.log.TopicInfo;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The replicated offsets store on a real partition log, with leadership decided by the test: availability while
 * loading, leading and after losing leadership; commits and deletions replayed by a broker that takes over.
 */
@Timeout(60)
class OffsetsTopicStoreTest {
    private static final int PARTITIONS = 3;
    private static final String GROUP = "g";
    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path dir;
    private LogManager logs;
    private TopicInfo topic;
    /** Whether this broker's log has taken leadership (the replica manager's answer). */
    private volatile boolean leading;
    /** When set, what acks=all waits on: the ISR's acknowledgement, completed by the test. */
    private volatile CompletableFuture<Errors> replication;
    /** What the ISR check before an append answers. */
    private volatile Errors enoughReplicas = Errors.NONE;
    private final Leadership leadership = new Leadership() {
        @Override
        public NotLeader checkLeader(String t, int p, int epoch) {
            return leading ? null : NotLeader.of(Errors.NOT_LEADER_OR_FOLLOWER);
        }

        @Override
        public Errors checkEnoughReplicas(String t, int p) {
            return enoughReplicas;
        }

        @Override
        public CompletableFuture<Errors> afterLeaderAppend(String t, int p, long lastOffset, boolean acksAll, long timeoutMs) {
            assertThat(acksAll).as("offsets are written with acks=all").isTrue();
            CompletableFuture<Errors> waiting = replication;
            return waiting != null ? waiting : CompletableFuture.completedFuture(Errors.NONE);
        }

        @Override
        public ReplicaFetchCheck replicaFetch(int replicaId, String t, int p, int epoch, long fetchOffset, int lastFetchedEpoch) {
            return null;
        }

        @Override
        public long epochStartOffset(String t, int p) {
            return leading ? 0 : -1;
        }
    };

    @BeforeEach
    void start() throws Exception {
        LogConfig small = new LogConfig(1 << 20, 7L * 24 * 3600 * 1000, -1, -1, 1024 * 1024 + 12, 4096, false);
        logs = new LogManager(new StorageConfig(dir, small, false, 1, 1000, 3_600_000, 0), LogMetrics.NOOP);
        logs.startup();
        topic = logs.ensureTopic(java.util.UUID.randomUUID(), OffsetsTopicStore.TOPIC, PARTITIONS, Map.of("cleanup.policy", "compact"));
    }

    @AfterEach
    void stop() {
        logs.close();
    }

    private OffsetsTopicStore store(int brokerId) {
        return new OffsetsTopicStore(brokerId, logs, leadership, () -> ClusterImage.EMPTY, PARTITIONS, 5_000);
    }

    private LocalPartition ofGroup(int leader, int epoch) {
        int partition = CoordinatorPartition.of(GROUP, PARTITIONS);
        return new LocalPartition(topic.id(), OffsetsTopicStore.TOPIC, partition,
                new PartitionRegistration(List.of(1, 2), List.of(1, 2), leader, epoch, epoch));
    }

    private void becomeLeader(OffsetsTopicStore store, int brokerId, int epoch) throws Exception {
        logs.log(OffsetsTopicStore.TOPIC, ofGroup(brokerId, epoch).partition()).orElseThrow().becomeLeader(epoch).get(5, TimeUnit.SECONDS);
        leading = true;
        store.onPartitionsChanged(ClusterImage.EMPTY, List.of(ofGroup(brokerId, epoch)));
        awaitAvailable(store);
    }

    private static void awaitAvailable(OffsetsTopicStore store) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (store.availability(GROUP) != Errors.NONE && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertThat(store.availability(GROUP)).isEqualTo(Errors.NONE);
    }

    @Test
    void notCoordinatorUntilLeadingThenLoadingUntilTheLogLeads() throws Exception {
        try (OffsetsTopicStore store = store(1)) {
            assertThat(store.availability(GROUP)).isEqualTo(Errors.NOT_COORDINATOR);
            store.onPartitionsChanged(ClusterImage.EMPTY, List.of(ofGroup(2, 1)));
            assertThat(store.availability(GROUP)).isEqualTo(Errors.NOT_COORDINATOR);
            // Named leader, but the log has not taken the epoch yet: loading.
            store.onPartitionsChanged(ClusterImage.EMPTY, List.of(ofGroup(1, 2)));
            assertThat(store.availability(GROUP)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
            assertThatThrownBy(() -> store.commit(GROUP, Map.of(TP, new Committed(1, -1, "", 1))).get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.CoordinatorLoadInProgressException.class);
            logs.log(OffsetsTopicStore.TOPIC, ofGroup(1, 2).partition()).orElseThrow().becomeLeader(2).get(5, TimeUnit.SECONDS);
            leading = true;
            awaitAvailable(store);
            // Another group's partition is not led here.
            String elsewhere = otherGroup();
            assertThat(store.availability(elsewhere)).isEqualTo(Errors.NOT_COORDINATOR);
        }
    }

    private static String otherGroup() {
        for (int i = 0; ; i++) {
            if (CoordinatorPartition.of("other-" + i, PARTITIONS) != CoordinatorPartition.of(GROUP, PARTITIONS)) {
                return "other-" + i;
            }
        }
    }

    @Test
    void commitsAreVisibleOnceWrittenAndReplayedByTheNextLeader() throws Exception {
        TopicPartition deleted = new TopicPartition("orders", 1);
        try (OffsetsTopicStore first = store(1)) {
            becomeLeader(first, 1, 1);
            first.commit(GROUP, Map.of(TP, new Committed(5, 1, "a", 10), deleted, new Committed(9, 1, null, 10)))
                    .get(5, TimeUnit.SECONDS);
            first.commit(GROUP, Map.of(TP, new Committed(7, 1, "b", 11))).get(5, TimeUnit.SECONDS);
            first.delete(GROUP, List.of(deleted)).get(5, TimeUnit.SECONDS);
            assertThat(first.offsets(GROUP)).isEqualTo(Map.of(TP, new Committed(7, 1, "b", 11)));
            assertThat(first.groups()).isEqualTo(Set.of(GROUP));
            // Leadership moves away: the groups are dropped and no longer served.
            leading = false;
            first.onPartitionsChanged(ClusterImage.EMPTY, List.of(ofGroup(2, 2)));
            assertThat(first.availability(GROUP)).isEqualTo(Errors.NOT_COORDINATOR);
            assertThat(first.offsets(GROUP)).isEmpty();
            assertThatThrownBy(() -> first.commit(GROUP, Map.of(TP, new Committed(1, -1, "", 1))).get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.NotCoordinatorException.class);
        }
        // Another broker (same log here) becomes leader: it replays the partition.
        try (OffsetsTopicStore second = store(2)) {
            becomeLeader(second, 2, 3);
            assertThat(second.offsets(GROUP)).isEqualTo(Map.of(TP, new Committed(7, 1, "b", 11)));
            second.deleteGroup(GROUP).get(5, TimeUnit.SECONDS);
            assertThat(second.offsets(GROUP)).isEmpty();
        }
        try (OffsetsTopicStore third = store(3)) {
            becomeLeader(third, 3, 4);
            assertThat(third.offsets(GROUP)).isEmpty();
            assertThat(third.groups()).isEmpty();
        }
    }

    @Test
    void unreadableRecordsAndRecordsOfOtherKindsAreSkippedWhenLoading() throws Exception {
        int partition = ofGroup(1, 1).partition();
        var partitionLog = logs.log(OffsetsTopicStore.TOPIC, partition).orElseThrow();
        partitionLog.becomeLeader(1).get(5, TimeUnit.SECONDS);
        byte[] otherKind = OffsetRecords.key(GROUP, TP);
        otherKind[1] = 5;
        var records = org.apache.kafka.common.record.internal.MemoryRecords.withRecords(
                org.apache.kafka.common.compress.Compression.NONE,
                new org.apache.kafka.common.record.internal.SimpleRecord(1L, new byte[]{0, 0, 0, 9}, new byte[]{1}),
                new org.apache.kafka.common.record.internal.SimpleRecord(1L, otherKind, new byte[]{1}),
                new org.apache.kafka.common.record.internal.SimpleRecord(1L, OffsetRecords.key(GROUP, TP),
                        OffsetRecords.value(new Committed(12, 1, "m", 3))));
        partitionLog.append(records.buffer(), false).get(5, TimeUnit.SECONDS);
        try (OffsetsTopicStore store = store(1)) {
            becomeLeader(store, 1, 2);
            assertThat(store.offsets(GROUP)).isEqualTo(Map.of(TP, new Committed(12, 1, "m", 3)));
        }
    }

    @Test
    void aCommitIsAnsweredAndVisibleOnlyOnceTheIsrHasIt() throws Exception {
        try (OffsetsTopicStore store = store(1)) {
            becomeLeader(store, 1, 1);
            replication = new CompletableFuture<>();
            CompletableFuture<Void> commit = store.commit(GROUP, Map.of(TP, new Committed(3, 1, "", 1)));
            Thread.sleep(200);
            assertThat(commit).isNotDone();
            assertThat(store.offsets(GROUP)).isEmpty();
            replication.complete(Errors.NONE);
            commit.get(5, TimeUnit.SECONDS);
            assertThat(store.offsets(GROUP)).isEqualTo(Map.of(TP, new Committed(3, 1, "", 1)));

            // The ISR never confirms (the wait times out): the commit fails and stays invisible.
            replication = CompletableFuture.completedFuture(Errors.REQUEST_TIMED_OUT);
            assertThatThrownBy(() -> store.commit(GROUP, Map.of(TP, new Committed(4, 1, "", 2))).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(store.offsets(GROUP)).isEqualTo(Map.of(TP, new Committed(3, 1, "", 1)));
        }
    }

    /** Kafka's placement of a group on an offsets partition. */
    private static final class CoordinatorPartition {
        static int of(String group, int partitions) {
            return io.chronik.handler.CoordinatorPlacement.partitionFor(group, partitions);
        }
    }

    @Test
    void transactionalOffsetsFollowTheProducersSequencesAndMarkersAndAreReplayedByTheNextLeader() throws Exception {
        long pid = 4242;
        int partition = ofGroup(1, 1).partition();
        io.chronik.log.Log log = logs.log(OffsetsTopicStore.TOPIC, partition).orElseThrow();
        try (OffsetsTopicStore first = store(1)) {
            becomeLeader(first, 1, 1);
            first.commit(GROUP, Map.of(TP, new Committed(1, -1, "", 1))).get(5, TimeUnit.SECONDS);
            // Two TxnOffsetCommits of one transaction, then its COMMIT; the log checks each batch's sequence.
            first.commitTransactional(GROUP, pid, (short) 0, Map.of(TP, new Committed(5, -1, "", 2))).get(5, TimeUnit.SECONDS);
            first.commitTransactional(GROUP, pid, (short) 0, Map.of(TP, new Committed(6, -1, "", 3),
                    new TopicPartition("orders", 1), new Committed(2, -1, "", 3))).get(5, TimeUnit.SECONDS);
            assertThat(first.offsets(GROUP).get(TP).offset()).isEqualTo(1);
            assertThat(first.hasPendingOffset(GROUP, TP)).isTrue();
            marker(first, log, partition, pid, (short) 0, true);
            assertThat(first.offsets(GROUP).get(TP).offset()).isEqualTo(6);
            assertThat(first.hasPendingOffset(GROUP, TP)).isFalse();
            // The next transaction of the same epoch continues the sequence, an ABORT drops it.
            first.commitTransactional(GROUP, pid, (short) 0, Map.of(TP, new Committed(8, -1, "", 4))).get(5, TimeUnit.SECONDS);
            marker(first, log, partition, pid, (short) 0, false);
            assertThat(first.offsets(GROUP).get(TP).offset()).isEqualTo(6);
            // A bumped epoch starts at sequence 0; an older epoch is refused.
            first.commitTransactional(GROUP, pid, (short) 1, Map.of(TP, new Committed(9, -1, "", 5))).get(5, TimeUnit.SECONDS);
            assertThatThrownBy(() -> first.commitTransactional(GROUP, pid, (short) 0, Map.of(TP, new Committed(3, -1, "", 6)))
                    .get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidProducerEpochException.class);
            leading = false;
            first.onPartitionsChanged(ClusterImage.EMPTY, List.of(ofGroup(2, 2)));
        }
        // The next leader replays the same: 6 committed, 9 pending until its marker.
        try (OffsetsTopicStore second = store(2)) {
            becomeLeader(second, 2, 3);
            assertThat(second.offsets(GROUP).get(TP).offset()).isEqualTo(6);
            assertThat(second.offsets(GROUP).get(new TopicPartition("orders", 1)).offset()).isEqualTo(2);
            assertThat(second.pendingPartitions(GROUP)).containsExactly(TP);
            second.commitTransactional(GROUP, pid, (short) 1, Map.of(TP, new Committed(10, -1, "", 7))).get(5, TimeUnit.SECONDS);
            marker(second, log, partition, pid, (short) 1, true);
            assertThat(second.offsets(GROUP).get(TP).offset()).isEqualTo(10);
        }
    }

    @Test
    void aCommitThatCannotReachEnoughReplicasIsCoordinatorNotAvailable() throws Exception {
        try (OffsetsTopicStore store = store(1)) {
            becomeLeader(store, 1, 1);
            for (Errors replicationError : List.of(Errors.NOT_ENOUGH_REPLICAS, Errors.REQUEST_TIMED_OUT,
                    Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND)) {
                replication = CompletableFuture.completedFuture(replicationError);
                Throwable plain = store.commit(GROUP, Map.of(TP, new Committed(1, -1, "", 1))).handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
                assertThat(CoordinatorWriteErrors.of(plain)).as(replicationError.name()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
                Throwable txn = store.commitTransactional(GROUP, 77, (short) 0, Map.of(TP, new Committed(1, -1, "", 1)))
                        .handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
                assertThat(CoordinatorWriteErrors.of(txn)).as(replicationError.name()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
            }
            // Refused before appending: a later TxnOffsetCommit of the producer still has the sequence the log expects.
            replication = null;
            store.commitTransactional(GROUP, 78, (short) 0, Map.of(TP, new Committed(1, -1, "", 1))).get(5, TimeUnit.SECONDS);
            enoughReplicas = Errors.NOT_ENOUGH_REPLICAS;
            Throwable refused = store.commitTransactional(GROUP, 78, (short) 0, Map.of(TP, new Committed(1, -1, "", 1)))
                    .handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
            assertThat(CoordinatorWriteErrors.of(refused)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
            enoughReplicas = Errors.NONE;
            store.commitTransactional(GROUP, 78, (short) 0, Map.of(TP, new Committed(2, -1, "", 1))).get(5, TimeUnit.SECONDS);
            replication = CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
            Throwable moved = store.commit(GROUP, Map.of(TP, new Committed(1, -1, "", 1))).handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
            assertThat(CoordinatorWriteErrors.of(moved)).isEqualTo(Errors.NOT_COORDINATOR);
        }
    }

    /** Appends a marker as WriteTxnMarkers does and tells the store. */
    private static void marker(OffsetsTopicStore store, io.chronik.log.Log log, int partition, long pid, short epoch,
                               boolean commit) throws Exception {
        io.chronik.log.AppendResult written = log.appendMarker(pid, epoch, 0, commit, true).get(5, TimeUnit.SECONDS);
        assertThat(written.error()).isEqualTo(io.chronik.log.LogError.NONE);
        store.markerWritten(OffsetsTopicStore.TOPIC, partition, pid, epoch, commit, written.lastOffset());
    }
}
