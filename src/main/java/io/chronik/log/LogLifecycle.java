package io.chronik.log;

import java.io.IOException;

/**
 * Whether a partition's log still serves, and its ways out of service: deleted (the partition is gone), closed (the
 * broker stops) or offline (a write, fsync or read of its files failed). The three flags are volatile: every
 * operation reads them, on any thread. Going offline, closing and halting synchronize on this object, so a close
 * never races the decision to go offline.
 */
final class LogLifecycle {
    /** Log's own logger: these lines are the partition's. */
    private static final System.Logger LOGGER = System.getLogger(Log.class.getName());

    private final Log log;
    private final LocalLog local;
    private final ProducerStateManager producers;
    private final LogServices services;
    private volatile boolean deleted;
    private volatile boolean closed;
    /**
     * Set by the first failed write, fsync or read of this partition's files: from then on every request for it is
     * answered KAFKA_STORAGE_ERROR until a restart recovers it. Nothing written after a failed fsync is acknowledged.
     */
    private volatile boolean offline;

    LogLifecycle(Log log, LocalLog local, ProducerStateManager producers, LogServices services) {
        this.log = log;
        this.local = local;
        this.producers = producers;
        this.services = services;
    }

    boolean deleted() {
        return deleted;
    }

    boolean closed() {
        return closed;
    }

    boolean offline() {
        return offline;
    }

    /** The partition is gone: refuse new work at once (the caller wakes the fetches waiting on it). */
    void markDeleted() {
        deleted = true;
    }

    /** The result of an append to a deleted partition. */
    /**
     * Why an append to {@code local} must not be written (deleted, closed, offline, or its active segment's fsync
     * failed: its earlier data may be lost, so nothing written to it may be acknowledged), or null when it may.
     */
    AppendResult appendRefusal(LocalLog local) {
        if (deleted()) {
            return deletedResult();
        }
        if (closed()) {
            return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), "log is closed");
        }
        if (offline() || local.activeSegment().syncFailed()) {
            return offlineResult();
        }
        return null;
    }

    AppendResult deletedResult() {
        return AppendResult.failed(LogError.UNKNOWN_TOPIC_OR_PARTITION, local.logStartOffset(), "partition was deleted");
    }

    /** The result of an append to a partition a storage error took offline. */
    AppendResult offlineResult() {
        return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(),
                "partition " + log + " is offline after a storage error");
    }

    LogException offlineException() {
        return new LogException(LogError.KAFKA_STORAGE_ERROR, "partition " + log + " is offline after a storage error");
    }

    void requireOnline() {
        if (offline) {
            throw offlineException();
        }
    }

    /**
     * A write, fsync or read of this partition's files failed: the partition goes offline (Chronik's unit of
     * failure is the partition, Kafka's the log directory). Every later request for it is answered
     * KAFKA_STORAGE_ERROR; fetches waiting on it are woken to see so. A restart recovers it from what is on disk.
     */
    void markOffline(String during, Throwable cause) {
        if (deleted || closed) {
            return; // files removed or closed under the operation: not a disk failure
        }
        synchronized (this) {
            if (offline) {
                return;
            }
            offline = true;
        }
        LOGGER.log(System.Logger.Level.ERROR, "Partition " + log + " is offline after a storage error during " + during
                + "; it answers KAFKA_STORAGE_ERROR until the broker is restarted", cause);
        log.signalAppend();
    }

    /**
     * Orderly close (lanes already stopped): final index entries and fsync of the active segment, a producer
     * state snapshot at the log end, channels closed. Returns false if something could not be made durable.
     */
    synchronized boolean close() {
        if (closed) {
            return true;
        }
        closed = true;
        boolean ok = !offline; // an offline partition is recovered at the next start
        services.snapshots().cancel(local.dir());
        if (!deleted && !offline) {
            try {
                local.activeSegment().onBecomeInactive();
            } catch (IOException e) {
                ok = false;
                LOGGER.log(System.Logger.Level.ERROR, "flush of " + log + " at close failed", e);
            }
            try {
                ProducerSnapshots.write(local.dir(), local.logEnd().offset(), producers.copy());
            } catch (IOException e) {
                LOGGER.log(System.Logger.Level.WARNING, "producer state snapshot of " + log + " failed", e);
            }
        }
        local.closeSegments();
        return ok;
    }

    /** Closes the files without flushing anything: what a crash leaves behind (tests). */
    synchronized void halt() {
        closed = true;
        local.closeSegments();
    }
}
