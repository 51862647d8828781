package io.chronik.group;

import io.chronik.group.ClassicGroup.Join;
import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ClassicGroup.SyncResult;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group coordinator keeps its durable state only through {@link GroupStateStore}: with an in-memory store in
 * place of the offset log, commits, deletions and expiration go through it, a store that cannot serve a group yet
 * (or any more) has commits answered with its error, and closing the coordinator closes the store.
 */
class GroupStateStoreTest {
    private static final TopicPartition P0 = new TopicPartition("t", 0);

    final MemoryGroupStateStore store = new MemoryGroupStateStore();
    GroupCoordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @Test
    void commitsAreAnsweredWithTheStoresErrorWhileItCannotServeTheGroup() {
        coordinator = new GroupCoordinator(store, 0, 60_000);
        store.unavailable.put("loading", Errors.COORDINATOR_LOAD_IN_PROGRESS);
        store.unavailable.put("moved", Errors.NOT_COORDINATOR);
        assertThat(coordinator.validateCommit("loading", -1, "", null)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        assertThat(coordinator.validateCommit("moved", -1, "", null)).isEqualTo(Errors.NOT_COORDINATOR.code());
        assertThat(coordinator.offsetManager().availability("moved")).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(coordinator.validateCommit("served", -1, "", null)).isEqualTo(Errors.NONE.code());
        store.unavailable.remove("loading");
        assertThat(coordinator.validateCommit("loading", -1, "", null)).isEqualTo(Errors.NONE.code());
    }

    @Test
    void aMemberCommitsThroughTheStoreAtItsGenerationOnly() throws Exception {
        coordinator = new GroupCoordinator(store, 0, 60_000);
        JoinResult joined = coordinator.join(new Join("g", "", null, "client", "/127.0.0.1", 10_000, 10_000, "consumer",
                List.of(new Protocol("range", new byte[] {1})), false)).get(10, TimeUnit.SECONDS);
        assertThat(joined.error()).isEqualTo(Errors.NONE.code());
        SyncResult synced = coordinator.sync("g", joined.generation(), joined.memberId(), null,
                Map.of(joined.memberId(), new byte[] {7})).get(10, TimeUnit.SECONDS);
        assertThat(synced.error()).isEqualTo(Errors.NONE.code());
        assertThat(synced.assignment()).containsExactly(7);

        assertThat(coordinator.validateCommit("g", joined.generation() + 1, joined.memberId(), null))
                .isEqualTo(Errors.ILLEGAL_GENERATION.code());
        assertThat(coordinator.validateCommit("g", -1, "", null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        assertThat(coordinator.validateCommit("g", joined.generation(), joined.memberId(), null)).isEqualTo(Errors.NONE.code());
        coordinator.offsetManager().commit("g", Map.of(P0, new Committed(42, 3, "m", System.currentTimeMillis())))
                .get(10, TimeUnit.SECONDS);
        assertThat(store.offsets("g")).containsKey(P0);
        assertThat(coordinator.offsetManager().offsets("g").get(P0).offset()).isEqualTo(42);
        assertThat(coordinator.describe("g")).get().extracting(GroupCoordinator.GroupView::state).isEqualTo("Stable");
        // A group with a member is not deleted, and its offsets stay.
        assertThat(coordinator.deleteGroup("g").get(10, TimeUnit.SECONDS)).isEqualTo(Errors.NON_EMPTY_GROUP.code());
        assertThat(store.offsets("g")).isNotEmpty();
    }

    @Test
    void anAssignmentThatCannotBeStoredSendsTheMembersBackToRejoin() throws Exception {
        MemoryGroupStateStore failing = new MemoryGroupStateStore() {
            @Override
            public CompletableFuture<Void> writeGroupRecords(String groupId, List<byte[][]> records) {
                return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.NotEnoughReplicasException("no ISR"));
            }
        };
        coordinator = new GroupCoordinator(failing, 0, 60_000);
        JoinResult joined = coordinator.join(new Join("g", "", null, "client", "/127.0.0.1", 10_000, 10_000, "consumer",
                List.of(new Protocol("range", new byte[] {1})), false)).get(10, TimeUnit.SECONDS);
        assertThat(joined.error()).isEqualTo(Errors.NONE.code());
        SyncResult synced = coordinator.sync("g", joined.generation(), joined.memberId(), null,
                Map.of(joined.memberId(), new byte[] {7})).get(10, TimeUnit.SECONDS);
        assertThat(Errors.forCode(synced.error())).isNotEqualTo(Errors.NONE);
        assertThat(synced.assignment()).isEmpty();
        // As Kafka: the unstored assignment is dropped and the group rebalances; the member's heartbeat says so.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        short heartbeat;
        do {
            heartbeat = coordinator.heartbeat("g", joined.generation(), joined.memberId(), null);
        } while (heartbeat == Errors.NONE.code() && System.nanoTime() < deadline && pause());
        assertThat(Errors.forCode(heartbeat)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        assertThat(coordinator.describe("g")).get().extracting(GroupCoordinator.GroupView::state)
                .isEqualTo("PreparingRebalance");
    }

    private static boolean pause() throws InterruptedException {
        Thread.sleep(20);
        return true;
    }

    @Test
    void deletingAGroupWithoutMembersDeletesItsOffsetsInTheStore() throws Exception {
        coordinator = new GroupCoordinator(store, 0, 60_000);
        store.commit("idle", Map.of(P0, new Committed(1, 0, null, System.currentTimeMillis())));
        assertThat(coordinator.list()).extracting(GroupCoordinator.GroupView::groupId).contains("idle");
        assertThat(coordinator.deleteGroup("idle").get(10, TimeUnit.SECONDS)).isEqualTo(Errors.NONE.code());
        assertThat(store.offsets).doesNotContainKey("idle");
        assertThat(coordinator.deleteGroup("idle").get(10, TimeUnit.SECONDS)).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
    }

    @Test
    void offsetsOfAnIdleGroupExpireFromTheStore() throws Exception {
        coordinator = new GroupCoordinator(store, 0, 1_500);
        long now = System.currentTimeMillis();
        store.commit("idle", Map.of(P0, new Committed(1, 0, "", now - 10_000)));
        store.commit("recent", Map.of(P0, new Committed(1, 0, "", now + 60_000)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (store.offsets.containsKey("idle")) {
            assertThat(System.nanoTime()).as("offsets expire").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(store.offsets).containsKey("recent");
    }

    @Test
    void closingTheCoordinatorClosesTheStore() throws Exception {
        new GroupCoordinator(store, 0, 60_000).close();
        assertThat(store.closed).isTrue();
    }
}
