package io.chronik.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Group commit for acks=all appends: one background thread takes every append waiting for durability (across all
 * partitions), fsyncs each segment they wrote to once, then completes them all. Under load one fsync covers many
 * appends, so durability costs little more than the page-cache write.
 */
final class GroupCommitter implements AutoCloseable {

    private record Request(LogSegment segment, int records, Runnable onDurable, Consumer<IOException> onFailure) {
    }

    private final LogMetrics metrics;
    private final Thread thread;
    private List<Request> pending = new ArrayList<>();
    private boolean closing;

    GroupCommitter(LogMetrics metrics) {
        this.metrics = metrics;
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
        Map<LogSegment, IOException> outcome = new IdentityHashMap<>();
        long records = 0;
        for (Request r : round) {
            records += r.records();
            if (!outcome.containsKey(r.segment())) {
                try {
                    r.segment().forceLog();
                    outcome.put(r.segment(), null);
                } catch (IOException e) {
                    outcome.put(r.segment(), e);
                }
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
    }
}
