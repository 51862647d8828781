package io.chronik.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Writes producer-state snapshots off the append lanes. The lane hands over a copy of the state taken at a roll; one
 * thread serializes, writes and fsyncs it. A partition has at most one snapshot waiting: a newer one replaces it (the
 * newer covers more of the log), so the work queued is bounded by the number of partitions. A snapshot that cannot
 * be queued is skipped: that only makes the next recovery replay more of the log.
 */
final class ProducerSnapshotWriter implements AutoCloseable {
    private static final System.Logger LOGGER = System.getLogger(ProducerSnapshotWriter.class.getName());

    private record Pending(long offset, Map<Long, ProducerStateManager.ProducerEntry> state, BooleanSupplier wanted) {
    }

    private final ThreadPoolExecutor thread;
    private final Map<Path, Pending> pending = new ConcurrentHashMap<>();
    /** Held while a snapshot file is written, so {@link #cancel} can wait for a write in progress. */
    private final Object writing = new Object();

    ProducerSnapshotWriter() {
        this(4096);
    }

    ProducerSnapshotWriter(int maxQueued) {
        thread = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxQueued), r -> {
            Thread t = new Thread(r, "chronik-snapshot-writer");
            t.setDaemon(true);
            return t;
        });
        thread.allowCoreThreadTimeOut(true);
    }

    /**
     * Writes {@code state} as the snapshot of {@code dir} at {@code offset}, later, unless {@code wanted} is false by
     * then (the partition was deleted).
     */
    void schedule(Path dir, long offset, Map<Long, ProducerStateManager.ProducerEntry> state, BooleanSupplier wanted) {
        Pending snapshot = new Pending(offset, state, wanted);
        if (pending.put(dir, snapshot) != null) {
            return; // a task for this partition is queued and will write the newest
        }
        try {
            thread.execute(() -> writePending(dir));
        } catch (RejectedExecutionException e) {
            pending.remove(dir);
            LOGGER.log(System.Logger.Level.WARNING, "producer state snapshot of {0} at offset {1} skipped: {2}", dir,
                    offset, thread.isShutdown() ? "shutting down" : "too many waiting");
        }
    }

    private void writePending(Path dir) {
        synchronized (writing) {
            Pending snapshot = pending.remove(dir);
            if (snapshot == null || !snapshot.wanted().getAsBoolean()) {
                return;
            }
            try {
                ProducerSnapshots.write(dir, snapshot.offset(), snapshot.state());
            } catch (IOException | RuntimeException e) {
                // Only makes the next recovery replay more of the log.
                LOGGER.log(System.Logger.Level.WARNING, "producer state snapshot of " + dir + " failed", e);
            }
        }
    }

    /** Drops the partition's waiting snapshot; on return no snapshot of {@code dir} is being written. */
    void cancel(Path dir) {
        synchronized (writing) {
            pending.remove(dir);
        }
    }

    /** Writes every snapshot already scheduled, then stops. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOGGER.log(System.Logger.Level.WARNING, "producer state snapshots still being written at close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops at once, dropping what waits: what a crash does (tests). */
    void halt() {
        thread.shutdownNow();
        pending.clear();
    }
}
