package io.chronik.group;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ConsumerGroupCoordinator.Heartbeat;
import io.chronik.group.ConsumerGroupCoordinator.HeartbeatResult;
import io.chronik.group.ConsumerGroupCoordinator.TopicMeta;
import io.chronik.group.ConsumerGroupCoordinator.Tp;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.LogMetrics;
import io.chronik.log.StorageConfig;
import io.chronik.log.TopicInfo;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group membership written to a real __consumer_offsets partition log and replayed by the coordinator that takes the
 * partition over: classic groups carry on in their generation, consumer groups at their epochs with their
 * assignments, static members keep their identity, and Empty or deleted groups load as such.
 */
@Timeout(60)
class GroupStateReplayTest {
    private static final int PARTITIONS = 3;
    private static final String GROUP = "g";
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final Map<String, TopicMeta> TOPICS = Map.of("t", new TopicMeta("t", TOPIC_ID, 4));

    @TempDir
    Path dir;
    private LogManager logs;
    private TopicInfo topic;
    private volatile boolean leading;
    private final List<GroupCoordinator> coordinators = new ArrayList<>();
    private int epoch;
    private OffsetsTopicStore current;

    private final Leadership leadership = new Leadership() {
        @Override
        public NotLeader checkLeader(String t, int p, int e) {
            return leading ? null : NotLeader.of(Errors.NOT_LEADER_OR_FOLLOWER);
        }

        @Override
        public Errors checkEnoughReplicas(String t, int p) {
            return Errors.NONE;
        }

        @Override
        public CompletableFuture<Errors> afterLeaderAppend(String t, int p, long lastOffset, boolean acksAll, long timeoutMs) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }

        @Override
        public ReplicaFetchCheck replicaFetch(int replicaId, String t, int p, int e, long fetchOffset, int lastFetchedEpoch) {
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
        topic = logs.ensureTopic(java.util.UUID.randomUUID(), OffsetsTopicStore.TOPIC, PARTITIONS,
                Map.of("cleanup.policy", "compact"));
    }

    @AfterEach
    void stop() throws Exception {
        for (GroupCoordinator c : coordinators) {
            c.close();
        }
        logs.close();
    }

    /** The group's coordinator moves to a new broker, which loads the partition; the previous one stops leading it. */
    private GroupCoordinator failover() throws Exception {
        int broker = coordinators.size() + 1;
        int partition = org.apache.kafka.common.utils.Utils.abs(GROUP.hashCode()) % PARTITIONS;
        epoch++;
        if (current != null) {
            leading = false;
            current.onPartitionsChanged(ClusterImage.EMPTY, List.of(local(partition, broker)));
        }
        OffsetsTopicStore store = new OffsetsTopicStore(broker, logs, leadership, () -> ClusterImage.EMPTY, PARTITIONS, 5_000);
        GroupCoordinator coordinator = new GroupCoordinator(store, 0, 600_000);
        coordinators.add(coordinator);
        logs.log(OffsetsTopicStore.TOPIC, partition).orElseThrow().becomeLeader(epoch).get(5, TimeUnit.SECONDS);
        leading = true;
        store.onPartitionsChanged(ClusterImage.EMPTY, List.of(local(partition, broker)));
        long deadline = System.currentTimeMillis() + 10_000;
        while (store.availability(GROUP) != Errors.NONE && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertThat(store.availability(GROUP)).isEqualTo(Errors.NONE);
        current = store;
        return coordinator;
    }

    private LocalPartition local(int partition, int leader) {
        return new LocalPartition(topic.id(), OffsetsTopicStore.TOPIC, partition,
                new PartitionRegistration(List.of(1, 2), List.of(1, 2), leader, epoch, epoch));
    }

    private static ClassicGroup.Join join(String memberId, String instanceId) {
        return new ClassicGroup.Join(GROUP, memberId, instanceId, "client", "/127.0.0.1", 10_000, 10_000, "consumer",
                List.of(new Protocol("range", new byte[]{1}), new Protocol("sticky", new byte[]{2})), false);
    }

    @Test
    void aClassicGroupCarriesOnInItsGenerationAtTheNextCoordinator() throws Exception {
        GroupCoordinator first = failover();
        JoinResult a = first.join(join("", null)).get(5, TimeUnit.SECONDS);
        CompletableFuture<JoinResult> joiningB = first.join(join("", "static-b"));
        JoinResult a2 = first.join(join(a.memberId(), null)).get(5, TimeUnit.SECONDS);
        JoinResult b = joiningB.get(5, TimeUnit.SECONDS);
        assertThat(a2.generation()).isEqualTo(2).isEqualTo(b.generation());
        String leader = a2.leader();
        String follower = leader.equals(a.memberId()) ? b.memberId() : a.memberId();
        var followerSync = first.sync(GROUP, 2, follower, follower.equals(b.memberId()) ? "static-b" : null, Map.of());
        first.sync(GROUP, 2, leader, leader.equals(b.memberId()) ? "static-b" : null,
                Map.of(a.memberId(), new byte[]{10}, b.memberId(), new byte[]{20})).get(5, TimeUnit.SECONDS);
        assertThat(followerSync.get(5, TimeUnit.SECONDS).error()).isEqualTo(Errors.NONE.code());

        GroupCoordinator second = failover();
        // Heartbeats of the same generation are answered NONE: no rebalance.
        assertThat(second.heartbeat(GROUP, 2, a.memberId(), null)).isEqualTo(Errors.NONE.code());
        assertThat(second.heartbeat(GROUP, 2, b.memberId(), "static-b")).isEqualTo(Errors.NONE.code());
        var view = second.describe(GROUP).orElseThrow();
        assertThat(view.state()).isEqualTo("Stable");
        assertThat(view.protocolName()).isEqualTo("range");
        assertThat(view.members()).extracting(GroupCoordinator.MemberView::memberId)
                .containsExactlyInAnyOrder(a.memberId(), b.memberId());
        assertThat(view.members()).filteredOn(m -> m.memberId().equals(b.memberId()))
                .singleElement().satisfies(m -> {
                    assertThat(m.groupInstanceId()).isEqualTo("static-b");
                    assertThat(m.assignment()).containsExactly(20);
                });
        assertThat(second.sync(GROUP, 2, a.memberId(), null, Map.of()).get(5, TimeUnit.SECONDS).assignment())
                .containsExactly(10);
        assertThat(second.validateCommit(GROUP, 2, a.memberId(), null)).isEqualTo(Errors.NONE.code());
        // A member rejoining with the same protocols gets the same generation back.
        if (!a.memberId().equals(leader)) {
            assertThat(second.join(join(a.memberId(), null)).get(5, TimeUnit.SECONDS).generation()).isEqualTo(2);
        }
        // The previous coordinator dropped the group.
        long deadline = System.currentTimeMillis() + 5_000;
        while (first.heartbeat(GROUP, 2, a.memberId(), null) != Errors.UNKNOWN_MEMBER_ID.code()
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertThat(first.heartbeat(GROUP, 2, a.memberId(), null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());

        // The static member restarts (no member id): it takes over its membership, and the next coordinator knows it.
        JoinResult restarted = second.join(join("", "static-b")).get(5, TimeUnit.SECONDS);
        assertThat(restarted.generation()).isEqualTo(2);
        GroupCoordinator third = failover();
        assertThat(third.heartbeat(GROUP, 2, restarted.memberId(), "static-b")).isEqualTo(Errors.NONE.code());
        assertThat(third.heartbeat(GROUP, 2, b.memberId(), "static-b")).isEqualTo(Errors.FENCED_INSTANCE_ID.code());

        // Everyone leaves: the group is Empty (a new generation) and loads as such; deleted, it is gone.
        assertThat(third.leave(GROUP, List.of(new String[]{a.memberId(), null}, new String[]{restarted.memberId(), "static-b"})))
                .containsOnly(Errors.NONE.code());
        GroupCoordinator fourth = failover();
        assertThat(fourth.describe(GROUP).orElseThrow().state()).isEqualTo("Empty");
        assertThat(fourth.heartbeat(GROUP, 2, a.memberId(), null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        assertThat(fourth.deleteGroup(GROUP).get(5, TimeUnit.SECONDS)).isEqualTo(Errors.NONE.code());
        GroupCoordinator fifth = failover();
        assertThat(fifth.describe(GROUP)).isEmpty();
    }

    private static HeartbeatResult heartbeat(GroupCoordinator c, String memberId, int memberEpoch, Set<Tp> owned)
            throws Exception {
        return c.consumerGroups().heartbeatDurable(new Heartbeat(GROUP, memberId, memberEpoch, null, null, 60_000,
                memberEpoch == 0 ? List.of("t") : null, null, null, owned, "client", "/127.0.0.1"), TOPICS)
                .get(5, TimeUnit.SECONDS);
    }

    private static Set<Tp> all() {
        Set<Tp> all = new HashSet<>();
        for (int p = 0; p < 4; p++) {
            all.add(new Tp(TOPIC_ID, p));
        }
        return all;
    }

    @Test
    void aConsumerGroupCarriesOnAtItsEpochsWithItsAssignmentsAtTheNextCoordinator() throws Exception {
        GroupCoordinator first = failover();
        HeartbeatResult m1 = heartbeat(first, "m1", 0, Set.of());
        assertThat(m1.memberEpoch()).isEqualTo(1);
        assertThat(m1.assignment()).isEqualTo(all());
        assertThat(heartbeat(first, "m1", 1, all()).error()).isEqualTo(Errors.NONE.code());
        HeartbeatResult m2 = heartbeat(first, "m2", 0, Set.of());
        assertThat(m2.memberEpoch()).isEqualTo(2);
        // m1 is asked to give two partitions up.
        HeartbeatResult revoking = heartbeat(first, "m1", 1, all());
        assertThat(revoking.memberEpoch()).isEqualTo(1);
        Set<Tp> kept = revoking.assignment();
        assertThat(kept).hasSize(2);

        // The coordinator moves in the middle of the revocation.
        GroupCoordinator second = failover();
        assertThat(second.consumerGroups().describe(GROUP).orElseThrow().epoch()).isEqualTo(2);
        HeartbeatResult still = heartbeat(second, "m1", 1, null);
        assertThat(still.error()).isEqualTo(Errors.NONE.code());
        assertThat(still.memberEpoch()).isEqualTo(1);
        assertThat(still.assignment()).isNull();
        HeartbeatResult waiting = heartbeat(second, "m2", 2, null);
        assertThat(waiting.error()).isEqualTo(Errors.NONE.code());
        assertThat(waiting.memberEpoch()).isEqualTo(2);
        assertThat(waiting.assignment()).isNull();
        // m1 releases them: it moves to epoch 2 and m2 gets them, with no new group epoch.
        assertThat(heartbeat(second, "m1", 1, kept).memberEpoch()).isEqualTo(2);
        HeartbeatResult given = heartbeat(second, "m2", 2, Set.of());
        Set<Tp> rest = new HashSet<>(all());
        rest.removeAll(kept);
        assertThat(given.assignment()).isEqualTo(rest);
        assertThat(heartbeat(second, "m2", 2, rest).error()).isEqualTo(Errors.NONE.code());
        assertThat(heartbeat(second, "m1", 2, kept).error()).isEqualTo(Errors.NONE.code());
        assertThat(second.consumerGroups().describe(GROUP).orElseThrow().state()).isEqualTo("Stable");

        // Stable at the next coordinator: same epochs, assignments unchanged (not sent again), no new group epoch.
        GroupCoordinator third = failover();
        HeartbeatResult m1Again = heartbeat(third, "m1", 2, null);
        assertThat(m1Again.error()).isEqualTo(Errors.NONE.code());
        assertThat(m1Again.memberEpoch()).isEqualTo(2);
        assertThat(m1Again.assignment()).isNull();
        assertThat(heartbeat(third, "m2", 2, rest).memberEpoch()).isEqualTo(2);
        var view = third.consumerGroups().describe(GROUP).orElseThrow();
        assertThat(view.epoch()).isEqualTo(2);
        assertThat(view.state()).isEqualTo("Stable");
        assertThat(view.members()).filteredOn(m -> m.memberId().equals("m1")).singleElement()
                .satisfies(m -> assertThat(m.assigned()).isEqualTo(kept));
        assertThat(third.validateCommit(GROUP, 2, "m1", null)).isEqualTo(Errors.NONE.code());

        // m2 leaves: the next coordinator has m1 alone, at the group epoch that removal made.
        heartbeat(third, "m2", -1, null);
        int afterLeave = third.consumerGroups().describe(GROUP).orElseThrow().epoch();
        assertThat(afterLeave).isEqualTo(3);
        GroupCoordinator fourth = failover();
        var last = fourth.consumerGroups().describe(GROUP).orElseThrow();
        assertThat(last.epoch()).isEqualTo(3);
        assertThat(last.members()).extracting(ConsumerGroupCoordinator.MemberView::memberId).containsExactly("m1");
    }
}
