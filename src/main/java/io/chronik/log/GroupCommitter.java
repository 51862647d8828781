package io.chronik.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Group commit for acks=all appends, one chain of fsyncs per segment. The first append that waits for a segment to
 * become durable starts an fsync of it on one of a few fsync threads; appends to that segment that arrive while the
 * fsync runs wait for the next one, which the same thread starts as soon as the first returns, and so on until
 * nobody waits. Under load one fsync covers many appends, so durability costs little more than the page-cache
 * write, and the segments of different partitions are fsynced side by side without waiting for each other.
 *
 * <p>A failed fsync fails every append that waited for it and every later one on that segment, without another
 * fsync: after a failure the kernel may have dropped the pages it could not write and report the next fsync as a
 * success, so nothing written to that file may be acknowledged again.
 */
final class GroupCommitter implements AutoCloseable {

    /** What is fsynced: a segment's log file. */
    interface Syncable {
        void forceLog() throws IOException;
    }

    private record Waiter(int records, Runnable onDurable, Consumer<IOException> onFailure) {
    }

    /** The appends waiting for one segment's next fsync; present in {@code chains} while its fsyncs run. */
    private static final class Chain {
        final Syncable segment;
        List<Waiter> waiting = new ArrayList<>();

        Chain(Syncable segment) {
            this.segment = segment;
        }
    }

    /** Segments fsynced at once (one chain per thread). */
    static final int DEFAULT_SYNC_THREADS = 8;

    private final LogMetrics metrics;
    private final ThreadPoolExecutor syncers;
    /** Guarded by this. */
    private final Map<Syncable, Chain> chains = new IdentityHashMap<>();
    /** Segments whose fsync failed, with the failure (weak: a deleted segment drops out). Guarded by this. */
    private final Map<Syncable, IOException> failed = new WeakHashMap<>();
    /** Guarded by this. */
    private boolean closed;

    GroupCommitter(LogMetrics metrics) {
        this(metrics, DEFAULT_SYNC_THREADS);
    }

    GroupCommitter(LogMetrics metrics, int syncThreads) {
        this(metrics, syncThreads, 4096);
    }

    /**
     * @param maxQueuedSegments segments waiting for a free fsync thread. At most one task per segment with waiters
     *                          is queued; past the bound, or once closed, the submitting thread runs the chain itself
     *                          rather than dropping it.
     */
    GroupCommitter(LogMetrics metrics, int syncThreads, int maxQueuedSegments) {
        this.metrics = metrics;
        AtomicInteger ids = new AtomicInteger();
        this.syncers = new ThreadPoolExecutor(syncThreads, syncThreads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxQueuedSegments),
                runnable -> {
                    Thread t = new Thread(runnable, "chronik-fsync-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, (task, executor) -> task.run());
        this.syncers.allowCoreThreadTimeOut(true);
    }

    /** Calls {@code onDurable} once {@code segment} has been fsynced after this call, or {@code onFailure}. */
    void submit(Syncable segment, int records, Runnable onDurable, Consumer<IOException> onFailure) {
        Waiter waiter = new Waiter(records, onDurable, onFailure);
        Chain start;
        IOException earlier;
        synchronized (this) {
            earlier = failed.get(segment);
            if (earlier != null) {
                start = null;
            } else if (closed) {
                start = null;
            } else {
                Chain chain = chains.get(segment);
                if (chain != null) {
                    chain.waiting.add(waiter);
                    return;
                }
                start = new Chain(segment);
                start.waiting.add(waiter);
                chains.put(segment, start);
            }
        }
        if (earlier != null) {
            complete(List.of(waiter), new IOException("an earlier fsync of " + segment + " failed", earlier));
            return;
        }
        if (start == null) {
            // Closed: make it durable on the caller's thread rather than never.
            sync(segment, List.of(waiter));
            return;
        }
        syncers.execute(() -> run(start));
    }

    /** fsyncs the chain's segment until nobody waits for it; yields the thread when other chains are queued. */
    private void run(Chain chain) {
        while (true) {
            List<Waiter> batch;
            synchronized (this) {
                batch = chain.waiting;
                if (batch.isEmpty()) {
                    chains.remove(chain.segment);
                    return;
                }
                chain.waiting = new ArrayList<>();
            }
            if (!sync(chain.segment, batch)) {
                // Those who came meanwhile fail too, and the chain ends: later submits fail at once.
                List<Waiter> rest;
                synchronized (this) {
                    rest = chain.waiting;
                    chain.waiting = new ArrayList<>();
                    chains.remove(chain.segment);
                }
                complete(rest, failed(chain.segment));
                return;
            }
            BlockingQueue<Runnable> queued = syncers.getQueue();
            if (!queued.isEmpty() && queued.remainingCapacity() > 0 && !syncers.isShutdown()) {
                // Other segments wait for a thread: go to the back of the queue instead of keeping this one. When
                // the queue is full this thread keeps the chain, rather than running it again from here.
                syncers.execute(() -> run(chain));
                return;
            }
        }
    }

    /** One fsync for {@code batch}; false (and the failure recorded for the segment) when it failed. */
    private boolean sync(Syncable segment, List<Waiter> batch) {
        long start = System.nanoTime();
        IOException failure = null;
        try {
            segment.forceLog();
        } catch (IOException e) {
            failure = e;
            synchronized (this) {
                failed.putIfAbsent(segment, e);
            }
        }
        long records = 0;
        for (Waiter w : batch) {
            records += w.records();
        }
        metrics.fsyncCompleted(System.nanoTime() - start, records);
        complete(batch, failure);
        return failure == null;
    }

    private synchronized IOException failed(Syncable segment) {
        return failed.get(segment);
    }

    private static void complete(List<Waiter> batch, IOException failure) {
        for (Waiter w : batch) {
            try {
                if (failure == null) {
                    w.onDurable().run();
                } else {
                    w.onFailure().accept(failure);
                }
            } catch (RuntimeException ignored) {
                // a callback's failure must not stop the other completions
            }
        }
    }

    /** Completes every append already submitted (their fsyncs run to the end), then stops the fsync threads. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        syncers.shutdown();
        try {
            syncers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
