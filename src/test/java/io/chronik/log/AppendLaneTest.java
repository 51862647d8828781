package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A full lane makes submitters wait, in arrival order, instead of refusing their tasks. */
class AppendLaneTest {

    @Test
    void tasksThatFindTheQueueFullWaitAndRunInArrivalOrder() throws Exception {
        AppendLane lane = new AppendLane("test-lane", 2);
        try {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            lane.execute(() -> {
                running.countDown();
                await(release);
            });
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            List<Integer> ran = new CopyOnWriteArrayList<>();
            List<CompletableFuture<Void>> admissions = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int n = i;
                admissions.add(lane.admit(() -> ran.add(n)));
            }
            // Two fit in the queue; the other eight wait, each told so.
            assertThat(admissions.subList(0, 2)).containsOnlyNulls();
            assertThat(admissions.subList(2, 10)).doesNotContainNull().allMatch(f -> !f.isDone());
            assertThat(lane.waiting()).isEqualTo(8);

            release.countDown();
            CompletableFuture.allOf(admissions.subList(2, 10).toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ran.size() < 10 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(ran).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            assertThat(lane.waiting()).isZero();
            // Once drained, a task is queued at once again.
            assertThat(lane.admit(() -> ran.add(10))).isNull();
        } finally {
            lane.shutdownNow();
        }
    }

    @Test
    void waitingTasksStillRunWhenTheLaneShutsDown() throws Exception {
        AppendLane lane = new AppendLane("test-lane", 1);
        CountDownLatch release = new CountDownLatch(1);
        lane.execute(() -> await(release));
        List<Integer> ran = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            lane.execute(() -> ran.add(n));
        }
        lane.shutdown();
        release.countDown();
        assertThat(lane.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly(0, 1, 2, 3, 4);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
