package io.chronik.log;

import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The append threads. Each partition is pinned to one single-thread lane, so its appends, retention and
 * DeleteRecords run one at a time in submission order without locks; each lane's queue is bounded, and a full lane
 * makes its submitters wait (see {@link AppendLane}) instead of refusing their work.
 */
final class AppendLanes {
    private final AppendLane[] lanes;

    AppendLanes(int count, int maxPendingPerLane) {
        lanes = new AppendLane[Math.max(1, count)];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new AppendLane("chronik-append-" + i, maxPendingPerLane);
        }
    }

    ExecutorService laneFor(String topic, int partition) {
        return lanes[Math.floorMod(Objects.hash(topic, partition), lanes.length)];
    }

    /** Stops taking work and lets queued tasks finish (bounded wait). */
    void shutdown(long timeoutMs) {
        for (AppendLane lane : lanes) {
            lane.shutdown();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (AppendLane lane : lanes) {
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
        for (AppendLane lane : lanes) {
            lane.shutdownNow();
        }
        for (AppendLane lane : lanes) {
            try {
                lane.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
