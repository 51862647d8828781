package io.chronik.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Group commit for acks=all appends: one background thread takes every append waiting for durability (across all
 * partitions), fsyncs each segment they wrote to once (the segments of a round side by side, on a few fsync
 * threads), then completes them all. Under load one round covers many appends, so durability costs little more
 * than the page-cache write.
 */
final class GroupCommitter implements AutoCloseable {

    private record Request(LogSegment segment, int records, Runnable onDurable, Consumer<IOException> onFailure) {
    }

    /** fsyncs in flight at once within one round (one per segment, up to this many). */
    static final int DEFAULT_SYNC_THREADS = 8;

    private final LogMetrics metrics;
    private final ThreadPoolExecutor syncers;
    private final Thread thread;
    private List<Request> pending = new ArrayList<>();
    private boolean closing;

    GroupCommitter(LogMetrics metrics) {
        this(metrics, DEFAULT_SYNC_THREADS);
    }

    /** {@code syncThreads} fsyncs run at once in a round; 1 fsyncs the round's segments one after the other. */
    GroupCommitter(LogMetrics metrics, int syncThreads) {
        this.metrics = metrics;
        if (syncThreads > 1) {
            AtomicInteger ids = new AtomicInteger();
            // A round waits for its fsyncs before taking the next, so at most one round's segments are queued;
            // the bound is a backstop, and past it the committer thread fsyncs the segment itself.
            this.syncers = new ThreadPoolExecutor(syncThreads, syncThreads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(4096),
                    runnable -> {
                        Thread t = new Thread(runnable, "chronik-fsync-" + ids.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.CallerRunsPolicy());
            this.syncers.allowCoreThreadTimeOut(true);
        } else {
            this.syncers = null;
        }
        this.thread = new Thread(this::run, "chronik-group-commit");
        thread.setDaemon(true);
        thread.start();
    }

    /** Calls {@code onDurable} once {@code segment} has been fsynced after this call, or {@code onFailure}. */
    void submit(LogSegment segment, int records, Runnable onDurable, Consumer<IOException> onFailure) {
        Request request = new Request(segment, records, onDurable, onFailure);
        synchronized (this) {
            if (!closing) {
                pending.add(request);
                notifyAll();
                return;
            }
        }
        // Shutting down: make it durable on the caller's thread rather than never.
        commit(List.of(request));
    }

    private void run() {
        while (true) {
            List<Request> round;
            synchronized (this) {
                while (pending.isEmpty() && !closing) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        closing = true;
                    }
                }
                if (pending.isEmpty()) {
                    return;
                }
                round = pending;
                pending = new ArrayList<>();
            }
            commit(round);
        }
    }

    private void commit(List<Request> round) {
        long start = System.nanoTime();
        long records = 0;
        Map<LogSegment, IOException> outcome = new IdentityHashMap<>();
        for (Request r : round) {
            records += r.records();
            outcome.put(r.segment(), null);
        }
        List<LogSegment> segments = new ArrayList<>(outcome.keySet());
        if (segments.size() == 1 || syncers == null) {
            for (LogSegment segment : segments) {
                outcome.put(segment, force(segment));
            }
        } else {
            // The segments of one round are fsynced side by side: the device and the file system's journal
            // take them together, so a round costs about one fsync instead of one per partition.
            List<Future<IOException>> running = new ArrayList<>(segments.size());
            for (LogSegment segment : segments) {
                running.add(syncers.submit(() -> force(segment)));
            }
            for (int i = 0; i < segments.size(); i++) {
                outcome.put(segments.get(i), await(running.get(i)));
            }
        }
        metrics.fsyncCompleted(System.nanoTime() - start, records);
        for (Request r : round) {
            IOException failure = outcome.get(r.segment());
            try {
                if (failure == null) {
                    r.onDurable().run();
                } else {
                    r.onFailure().accept(failure);
                }
            } catch (RuntimeException ignored) {
                // a callback's failure must not stop the other completions
            }
        }
    }

    private static IOException force(LogSegment segment) {
        try {
            segment.forceLog();
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private static IOException await(Future<IOException> fsync) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return fsync.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Completes what is pending, then stops the thread. */
    @Override
    public void close() {
        synchronized (this) {
            closing = true;
            notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (syncers != null) {
            syncers.shutdown();
        }
    }
}
