package io.chronik.log;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Compaction of cleanup.policy=compact topics: chronik.log.cleaner.threads daemon threads, each taking the filthiest
 * log (see {@link LogCleanerManager}), cleaning it with its own {@link Cleaner} (and its share of the dedupe buffer),
 * and sleeping chronik.log.cleaner.backoff when nothing needs cleaning. All threads share one I/O throttle.
 */
public final class LogCleaner {
    private static final System.Logger LOGGER = System.getLogger(LogCleaner.class.getName());

    private final LogCleanerConfig config;
    private final LogMetrics metrics;
    private final LogCleanerManager manager;
    private final Throttler throttler;
    private final CleanerHook hook;
    private final Object sleep = new Object();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    /** The cleaner of {@link #cleanOnce} callers (tests), created on first use. */
    private Cleaner callerCleaner;

    LogCleaner(LogCleanerConfig config, LogMetrics metrics, Path dataDir, Supplier<Collection<Log>> logs,
               CleanerHook hook) {
        this.config = config;
        this.metrics = metrics;
        this.manager = new LogCleanerManager(new CleanerCheckpoint(dataDir), logs);
        this.throttler = new Throttler(config.ioMaxBytesPerSecond());
        this.hook = hook;
    }

    /** Reads the checkpoint and starts the threads. */
    void startup() {
        manager.load();
        for (int i = 0; i < config.threads(); i++) {
            Thread t = new Thread(this::run, "chronik-log-cleaner-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops the threads: a cleaning in progress is abandoned (the log keeps its segments), bounded wait. */
    void shutdown(long timeoutMs) {
        stopping = true;
        synchronized (sleep) {
            sleep.notifyAll();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                LOGGER.log(System.Logger.Level.WARNING, "{0} did not stop within {1} ms", t.getName(), timeoutMs);
            }
        }
    }

    /** Wakes the threads now instead of after their backoff (tests). */
    void wakeup() {
        synchronized (sleep) {
            sleep.notifyAll();
        }
    }

    /** The partitions of a deleted topic leave the checkpoint. */
    void forget(Collection<Log> deleted) {
        manager.forget(deleted);
    }

    LogCleanerManager manager() {
        return manager;
    }

    /** Cleans the filthiest log on the calling thread, as a cleaner thread would; false if none needed it. */
    synchronized boolean cleanOnce(long nowMs) {
        return cleanOnce(() -> {
            if (callerCleaner == null) {
                callerCleaner = newCleaner();
            }
            return callerCleaner;
        }, nowMs);
    }

    /** A cleaner with its share of the dedupe buffer. */
    private Cleaner newCleaner() {
        return new Cleaner(config.dedupeBufferPerThread(), throttler, () -> stopping, hook);
    }

    private void run() {
        // The offset map is allocated when there is something to clean, not at startup.
        Cleaner[] cleaner = new Cleaner[1];
        Supplier<Cleaner> lazy = () -> {
            if (cleaner[0] == null) {
                cleaner[0] = newCleaner();
            }
            return cleaner[0];
        };
        while (!stopping) {
            boolean cleaned = false;
            try {
                cleaned = cleanOnce(lazy, System.currentTimeMillis());
            } catch (RuntimeException e) {
                LOGGER.log(System.Logger.Level.ERROR, "log cleaner failed", e);
            }
            if (!cleaned) {
                synchronized (sleep) {
                    if (!stopping) {
                        try {
                            sleep.wait(config.backoffMs());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }
        }
    }

    private boolean cleanOnce(Supplier<Cleaner> cleaner, long nowMs) {
        LogToClean cleanable = manager.grabFilthiest(nowMs);
        if (cleanable == null) {
            return false;
        }
        Log log = cleanable.log();
        long start = System.nanoTime();
        Cleaner.Result result;
        try {
            result = cleaner.get().clean(cleanable, nowMs);
        } catch (Cleaner.CleaningAbortedException e) {
            manager.abortCleaning(log);
            LOGGER.log(System.Logger.Level.DEBUG, "Cleaning of {0} stopped: {1}", log, e.getMessage());
            return false;
        } catch (IOException | RuntimeException e) {
            manager.abortCleaning(log);
            if (isClosedChannel(e) || log.isDeleted() || log.isClosed()) {
                // A segment was deleted (retention, DeleteRecords, topic deletion) while it was read.
                return false;
            }
            if (e instanceof IOException) {
                // Writing the cleaned segment failed (a full disk, say): the log keeps its segments and is cleaned
                // again after the backoff. Its own files failing would have taken it offline instead.
                LOGGER.log(System.Logger.Level.WARNING, "Cleaning of " + log + " failed; it is tried again after "
                        + "the backoff: " + e);
                return false;
            }
            manager.markUncleanable(log);
            LOGGER.log(System.Logger.Level.ERROR, "Cleaning of " + log + " failed; it is not cleaned again until "
                    + "a restart", e);
            return false;
        }
        manager.doneCleaning(log, result.endOffset(), result.nextTombstoneExpiryMs());
        hook.reached(CleanerHook.Step.CHECKPOINTED, log);
        long nanos = System.nanoTime() - start;
        metrics.cleanerRoundCompleted(log.topic(), nanos, result.bytesRead(), result.bytesWritten());
        LOGGER.log(System.Logger.Level.INFO, "Cleaned {0} up to offset {1} in {2} ms: {3} segments into {4}, "
                        + "{5} of {6} records kept, {7} bytes mapped, {8} copied into {9} (dirty ratio was {10})", log,
                Long.toString(result.endOffset()), TimeUnit.NANOSECONDS.toMillis(nanos), result.segmentsBefore(),
                result.segmentsAfter(), result.recordsKept(), result.recordsRead(), result.mapBytesRead(),
                result.bytesRead(), result.bytesWritten(), String.format("%.2f", cleanable.cleanableRatio()));
        return true;
    }

    private static boolean isClosedChannel(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }
}
