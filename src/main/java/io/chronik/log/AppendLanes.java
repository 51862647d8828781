package io.chronik.log;

import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The append threads. Each partition is pinned to one single-thread lane, so its appends, retention and
 * DeleteRecords run one at a time in submission order without locks; each lane's queue is bounded so a flood of
 * produce requests is refused instead of exhausting memory.
 */
final class AppendLanes {
    private final ThreadPoolExecutor[] lanes;

    AppendLanes(int count, int maxPendingPerLane) {
        lanes = new ThreadPoolExecutor[Math.max(1, count)];
        for (int i = 0; i < lanes.length; i++) {
            String name = "chronik-append-" + i;
            lanes[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                    new ArrayBlockingQueue<>(Math.max(1, maxPendingPerLane)), r -> {
                        Thread t = new Thread(r, name);
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.AbortPolicy());
        }
    }

    ExecutorService laneFor(String topic, int partition) {
        return lanes[Math.floorMod(Objects.hash(topic, partition), lanes.length)];
    }

    /** Stops taking work and lets queued tasks finish (bounded wait). */
    void shutdown(long timeoutMs) {
        for (ThreadPoolExecutor lane : lanes) {
            lane.shutdown();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (ThreadPoolExecutor lane : lanes) {
            try {
                lane.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops at once, dropping queued tasks (used to simulate a crash in tests). */
    void halt() {
        for (ThreadPoolExecutor lane : lanes) {
            lane.shutdownNow();
        }
        for (ThreadPoolExecutor lane : lanes) {
            try {
                lane.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
