package io.chronik.log;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which compacted log to clean next, as Kafka's LogCleanerManager decides it: the one with the highest dirty ratio
 * among those above min.cleanable.dirty.ratio, or with a dirty segment older than max.compaction.lag.ms, or whose
 * kept tombstones have passed delete.retention.ms. Tracks the logs being cleaned (one thread per log) and the cleaner
 * checkpoint. Logs are known by identity: a re-created topic is a new log and starts dirty.
 */
final class LogCleanerManager {
    private static final System.Logger LOGGER = System.getLogger(LogCleanerManager.class.getName());

    private final CleanerCheckpoint checkpointFile;
    private final Supplier<Collection<Log>> logs;
    private final Map<Log, Long> checkpoints = new IdentityHashMap<>();
    /** When the earliest tombstone kept by the last cleaning of a log may be removed. */
    private final Map<Log, Long> tombstoneExpiry = new IdentityHashMap<>();
    private final Set<Log> inProgress = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Logs whose cleaning failed unexpectedly: left alone until a restart, as Kafka does. */
    private final Set<Log> uncleanable = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    LogCleanerManager(CleanerCheckpoint checkpointFile, Supplier<Collection<Log>> logs) {
        this.checkpointFile = checkpointFile;
        this.logs = logs;
    }

    /** Reads the checkpoint file for the logs that exist now. */
    synchronized void load() {
        Map<CleanerCheckpoint.Key, Long> stored = checkpointFile.read();
        for (Log log : logs.get()) {
            Long offset = stored.get(new CleanerCheckpoint.Key(log.topic(), log.partition()));
            if (offset != null) {
                checkpoints.put(log, offset);
            }
        }
    }

    /** The filthiest log that should be cleaned now, marked in progress; null when none should. */
    synchronized LogToClean grabFilthiest(long now) {
        LogToClean best = null;
        for (Log log : logs.get()) {
            if (!log.config().compaction().compact() || log.isDeleted() || log.isClosed() || log.isOffline()
                    || inProgress.contains(log) || uncleanable.contains(log)) {
                continue;
            }
            LogToClean candidate = LogToClean.of(log, checkpoints.get(log),
                    tombstoneExpiry.getOrDefault(log, Long.MAX_VALUE), now);
            if (candidate.shouldClean() && (best == null || candidate.cleanableRatio() > best.cleanableRatio())) {
                best = candidate;
            }
        }
        if (best != null) {
            inProgress.add(best.log());
        }
        return best;
    }

    /** A cleaning that ended at {@code endOffset} (the next one starts there) and kept tombstones until then. */
    synchronized void doneCleaning(Log log, long endOffset, long nextTombstoneExpiryMs) {
        inProgress.remove(log);
        if (log.isDeleted()) {
            return;
        }
        checkpoints.put(log, endOffset);
        tombstoneExpiry.put(log, nextTombstoneExpiryMs);
        writeCheckpoints();
    }

    /** A cleaning that stopped without finishing: the log stays as dirty as it was. */
    synchronized void abortCleaning(Log log) {
        inProgress.remove(log);
    }

    synchronized void markUncleanable(Log log) {
        inProgress.remove(log);
        uncleanable.add(log);
    }

    synchronized boolean isUncleanable(Log log) {
        return uncleanable.contains(log);
    }

    /** Deleted partitions leave the checkpoint, so a topic re-created under the same name starts dirty. */
    synchronized void forget(Collection<Log> deleted) {
        boolean changed = false;
        for (Log log : deleted) {
            changed |= checkpoints.remove(log) != null;
            tombstoneExpiry.remove(log);
            uncleanable.remove(log);
        }
        if (changed) {
            writeCheckpoints();
        }
    }

    synchronized Long checkpoint(Log log) {
        return checkpoints.get(log);
    }

    private void writeCheckpoints() {
        Map<CleanerCheckpoint.Key, Long> out = new HashMap<>();
        Set<Log> live = new HashSet<>(logs.get());
        checkpoints.keySet().removeIf(log -> log.isDeleted() || !live.contains(log));
        checkpoints.forEach((log, offset) -> out.put(new CleanerCheckpoint.Key(log.topic(), log.partition()), offset));
        try {
            checkpointFile.write(out);
        } catch (IOException e) {
            // Only costs a longer next cleaning after a restart.
            LOGGER.log(System.Logger.Level.WARNING, "cannot write the cleaner checkpoint", e);
        }
    }
}
