package io.chronik.log;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The appends of one produce request, queued together: {@link #add} collects each partition's append, and
 * {@link #submit} hands each lane a single task that appends its partitions one after the other, in the order they
 * were added. A request that touches several partitions of one lane then wakes that lane once, not once per
 * partition. Not thread-safe: one request, one thread.
 */
public final class AppendBatch {

    private record Pending(Log log, ByteBuffer records, boolean awaitFsync, VerificationGuard guard,
                           CompletableFuture<AppendResult> result) {
    }

    /** Per lane, in the order lanes were first seen (a request touches few lanes). */
    private final List<Executor> lanes = new ArrayList<>(2);
    private final List<List<Pending>> appends = new ArrayList<>(2);

    /**
     * Adds an append of {@code records} to {@code log}, as {@link Log#append} does; it is queued by {@link #submit}.
     * The buffer must stay valid until the future completes.
     */
    public CompletableFuture<AppendResult> add(Log log, ByteBuffer records, boolean awaitFsync) {
        return add(log, records, awaitFsync, null);
    }

    /**
     * As {@link #add(Log, ByteBuffer, boolean)}, for a produce under partition verification: {@code guard} is what
     * {@link Log#startTransactionVerification} gave for the batches' producer (null when verification is off).
     */
    public CompletableFuture<AppendResult> add(Log log, ByteBuffer records, boolean awaitFsync, VerificationGuard guard) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        if (log.isDeleted()) {
            result.complete(log.deletedResult());
            return result;
        }
        if (log.isOffline()) {
            result.complete(log.offlineResult());
            return result;
        }
        Executor lane = log.lane();
        int i = lanes.indexOf(lane);
        if (i < 0) {
            lanes.add(lane);
            appends.add(new ArrayList<>(4));
            i = lanes.size() - 1;
        }
        appends.get(i).add(new Pending(log, records, awaitFsync, guard, result));
        return result;
    }

    /**
     * Queues one task per lane. Returns null when every lane took its task at once; otherwise a future completed when
     * the tasks that found their lane full have been admitted to it: until then the caller should take no new work.
     * A lane that refuses (it is closed) fails its appends at once.
     */
    public CompletableFuture<?> submit() {
        CompletableFuture<?> admitted = null;
        for (int i = 0; i < lanes.size(); i++) {
            List<Pending> batch = appends.get(i);
            Runnable task = () -> {
                for (Pending p : batch) {
                    p.log().appendOnLane(p.records(), p.awaitFsync(), p.guard(), p.result());
                }
            };
            try {
                Executor lane = lanes.get(i);
                CompletableFuture<Void> waiting = null;
                if (lane instanceof AppendLane appendLane) {
                    waiting = appendLane.admit(task);
                } else {
                    lane.execute(task);
                }
                if (waiting != null) {
                    admitted = admitted == null ? waiting : CompletableFuture.allOf(admitted, waiting);
                }
            } catch (RejectedExecutionException e) {
                for (Pending p : batch) {
                    p.result().complete(p.log().laneRejected());
                }
            }
        }
        lanes.clear();
        appends.clear();
        return admitted;
    }
}
