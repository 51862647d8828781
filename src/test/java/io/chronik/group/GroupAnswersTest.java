package io.chronik.group;

import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ClassicGroup.SyncResult;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JoinGroup and SyncGroup answers are completed after the coordinator has released the group's monitor, whether the
 * completing thread is another member's request or the coordinator's timer: what a completion triggers may take
 * the group's lock again (here: DescribeGroups from another thread) without waiting for the coordinator.
 */
class GroupAnswersTest {
    @TempDir
    Path dataDir;
    GroupCoordinator coordinator;
    final ExecutorService other = Executors.newSingleThreadExecutor();

    @BeforeEach
    void start() throws Exception {
        coordinator = new GroupCoordinator(new MemoryGroupStateStore(), 300, 60_000);
    }

    @AfterEach
    void stop() throws Exception {
        coordinator.close();
        other.shutdownNow();
    }

    private static ClassicGroup.Join join(String memberId) {
        return new ClassicGroup.Join("g", memberId, null, "client", "/127.0.0.1", 10_000, 10_000, "consumer",
                List.of(new Protocol("range", new byte[] {1})), false);
    }

    /** Completes with whether, when {@code answer} completed, another thread could take the group's lock at once. */
    private CompletableFuture<Boolean> lockFreeWhenCompleted(CompletableFuture<?> answer) {
        CompletableFuture<Boolean> free = new CompletableFuture<>();
        answer.whenComplete((result, error) -> {
            try {
                CompletableFuture.supplyAsync(() -> coordinator.describe("g"), other).get(5, TimeUnit.SECONDS);
                free.complete(true);
            } catch (Exception e) {
                free.complete(false);
            }
        });
        return free;
    }

    @Test
    void answersAreCompletedOutsideTheGroupMonitor() throws Exception {
        // The first generation is completed by the timer thread when the initial rebalance delay ends.
        CompletableFuture<JoinResult> first = coordinator.join(join(""));
        CompletableFuture<Boolean> timerFree = lockFreeWhenCompleted(first);
        assertThat(timerFree.get(10, TimeUnit.SECONDS)).as("lock free when the timer completed JoinGroup").isTrue();
        String leader = first.get().memberId();
        assertThat(coordinator.sync("g", first.get().generation(), leader, null, Map.of()).get(5, TimeUnit.SECONDS).error())
                .isEqualTo(Errors.NONE.code());

        // A second member's JoinGroup waits for the leader to rejoin; the leader's JoinGroup completes it.
        CompletableFuture<JoinResult> second = coordinator.join(join(""));
        CompletableFuture<Boolean> joinFree = lockFreeWhenCompleted(second);
        JoinResult leaderJoin = coordinator.join(join(leader)).get(5, TimeUnit.SECONDS);
        assertThat(joinFree.get(10, TimeUnit.SECONDS)).as("lock free when another JoinGroup completed it").isTrue();
        assertThat(second.get().error()).isEqualTo(Errors.NONE.code());

        // The follower's SyncGroup waits for the leader's, which completes it.
        String follower = second.get().memberId();
        CompletableFuture<SyncResult> followerSync = coordinator.sync("g", leaderJoin.generation(), follower, null, Map.of());
        CompletableFuture<Boolean> syncFree = lockFreeWhenCompleted(followerSync);
        coordinator.sync("g", leaderJoin.generation(), leader, null, Map.of(follower, new byte[] {7}, leader, new byte[] {8}))
                .get(5, TimeUnit.SECONDS);
        assertThat(syncFree.get(10, TimeUnit.SECONDS)).as("lock free when the leader's SyncGroup completed it").isTrue();
        assertThat(followerSync.get().assignment()).containsExactly(7);
    }
}
