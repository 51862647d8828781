package io.chronik.log;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One append thread and its bounded queue. A task that finds the queue full is not refused: it waits in the lane's
 * overflow, in arrival order, until the thread has made room, and {@link #admit} tells the submitter so, which then
 * takes no new work until the task is admitted (the Kafka listener stops reading that connection). The overflow thus
 * holds at most the work of the requests being handled when the lane filled up, one per connection. Tasks are only
 * refused once the lane is shut down; those waiting then still run, after the queued ones.
 */
final class AppendLane extends ThreadPoolExecutor {
    private static final RejectedExecutionException FULL = new RejectedExecutionException("append queue full", null) {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    private record Waiting(Runnable task, CompletableFuture<Void> admitted) {
    }

    /** Guarded by this. */
    private final ArrayDeque<Waiting> overflow = new ArrayDeque<>();
    /** True while the overflow may hold tasks: submitters then queue behind them, keeping arrival order. */
    private volatile boolean overflowing;

    AppendLane(String name, int capacity) {
        super(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(Math.max(1, capacity)), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }, (task, lane) -> {
            throw lane.isShutdown() ? new RejectedExecutionException("append lane is shut down") : FULL;
        });
    }

    @Override
    public void execute(Runnable task) {
        admit(task);
    }

    /**
     * Queues {@code task}. Returns null when it was queued at once, otherwise a future completed when it leaves the
     * overflow for the queue.
     *
     * @throws RejectedExecutionException only when the lane is shut down
     */
    CompletableFuture<Void> admit(Runnable task) {
        if (!overflowing) {
            try {
                super.execute(task);
                return null;
            } catch (RejectedExecutionException e) {
                if (e != FULL) {
                    throw e;
                }
            }
        }
        CompletableFuture<Void> admitted = new CompletableFuture<>();
        List<CompletableFuture<Void>> moved;
        synchronized (this) {
            if (isShutdown()) {
                throw new RejectedExecutionException("append lane is shut down");
            }
            overflow.add(new Waiting(task, admitted));
            overflowing = true;
            // The thread may have emptied the queue meanwhile: never leave the overflow waiting on an idle lane.
            moved = moveIntoQueue();
        }
        moved.forEach(f -> f.complete(null));
        return admitted.isDone() ? null : admitted;
    }

    /** Tasks waiting for room (tests and diagnostics). */
    synchronized int waiting() {
        return overflow.size();
    }

    /** Runs on the lane thread after each task: room was made, so waiting tasks move into the queue. */
    @Override
    protected void afterExecute(Runnable r, Throwable t) {
        if (!overflowing) {
            return;
        }
        List<CompletableFuture<Void>> moved;
        List<Waiting> runHere = List.of();
        synchronized (this) {
            moved = moveIntoQueue();
            if (isShutdown() && getQueue().isEmpty() && !overflow.isEmpty()) {
                // Shut down: the queue takes nothing more, so the waiting tasks run here, after the queued ones.
                runHere = new ArrayList<>(overflow);
                overflow.clear();
                overflowing = false;
            }
        }
        moved.forEach(f -> f.complete(null));
        for (Waiting w : runHere) {
            w.admitted().complete(null);
            try {
                w.task().run();
            } catch (RuntimeException ignored) {
                // as on the lane thread: one task's failure does not stop the others
            }
        }
    }

    /** Moves waiting tasks into the queue while it has room; returns their admissions, to complete outside the lock. */
    private List<CompletableFuture<Void>> moveIntoQueue() {
        List<CompletableFuture<Void>> moved = List.of();
        while (!overflow.isEmpty()) {
            Waiting next = overflow.peek();
            try {
                super.execute(next.task());
            } catch (RejectedExecutionException fullOrShutDown) {
                break;
            }
            overflow.poll();
            if (moved.isEmpty()) {
                moved = new ArrayList<>();
            }
            moved.add(next.admitted());
        }
        overflowing = !overflow.isEmpty();
        return moved;
    }

    /** Stops at once: queued and waiting tasks are dropped (a crash, in tests); submitters are released. */
    @Override
    public List<Runnable> shutdownNow() {
        List<Runnable> dropped = super.shutdownNow();
        List<Waiting> waiting;
        synchronized (this) {
            waiting = new ArrayList<>(overflow);
            overflow.clear();
            overflowing = false;
        }
        for (Waiting w : waiting) {
            dropped.add(w.task());
            w.admitted().complete(null);
        }
        return dropped;
    }
}
