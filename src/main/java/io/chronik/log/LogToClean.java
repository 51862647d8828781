package io.chronik.log;

import java.util.List;

/**
 * A compacted log's cleaning state as Kafka's cleaner sees it: the cleaned part below {@code firstDirtyOffset},
 * the dirty part up to {@code firstUncleanableOffset} (never the active segment, nor segments younger than
 * min.compaction.lag.ms), and how many bytes each holds.
 *
 * @param needCompactionNow a dirty segment is older than max.compaction.lag.ms: clean whatever the ratio
 * @param tombstonesExpired tombstones kept by an earlier cleaning have passed delete.retention.ms
 */
record LogToClean(Log log, long firstDirtyOffset, long firstUncleanableOffset, long cleanBytes, long cleanableBytes,
                  boolean needCompactionNow, boolean tombstonesExpired) {

    long totalBytes() {
        return cleanBytes + cleanableBytes;
    }

    /** Dirty bytes / total bytes, the measure min.cleanable.dirty.ratio is compared with. */
    double cleanableRatio() {
        long total = totalBytes();
        return total == 0 ? 0 : (double) cleanableBytes / total;
    }

    boolean shouldClean() {
        if (totalBytes() == 0) {
            return false;
        }
        return (needCompactionNow && cleanableBytes > 0)
                || cleanableRatio() > log.config().compaction().minCleanableRatio()
                || tombstonesExpired;
    }

    /**
     * The state of {@code log} now. {@code checkpoint} is where the last cleaning ended (null: never cleaned);
     * {@code tombstoneExpiryMs} is when the earliest tombstone kept by it may go.
     */
    static LogToClean of(Log log, Long checkpoint, long tombstoneExpiryMs, long now) {
        CompactionConfig cfg = log.config().compaction();
        long logStart = log.logStartOffset();
        long firstDirty = checkpoint == null || checkpoint < logStart || checkpoint > log.logEndOffset()
                ? logStart : checkpoint;
        List<LogSegment> segments = log.segmentsSnapshot();
        LogSegment active = segments.get(segments.size() - 1);
        long firstUncleanable = active.baseOffset();
        // Never records at or past the last stable offset (at most the high watermark): the segment holding it is not
        // cleaned (as Kafka), so every transaction the cleaner reads has its marker, and its index entry if aborted.
        long stableOffset = log.lastStableOffset();
        for (int i = 0; i < segments.size() - 1; i++) {
            if (segments.get(i + 1).baseOffset() > stableOffset) {
                firstUncleanable = Math.min(firstUncleanable, segments.get(i).baseOffset());
                break;
            }
        }
        long earliestDirty = Long.MAX_VALUE;
        long cleanBytes = 0;
        long cleanableBytes = 0;
        for (int i = 0; i < segments.size() - 1; i++) {
            LogSegment s = segments.get(i);
            long next = segments.get(i + 1).baseOffset();
            if (next <= firstDirty) {
                continue;
            }
            if (cfg.minCompactionLagMs() > 0 && s.baseOffset() < firstUncleanable
                    && s.largestTimestamp() > now - cfg.minCompactionLagMs()) {
                firstUncleanable = Math.min(firstUncleanable, s.baseOffset());
            }
            long first = s.firstBatchTimestamp();
            if (first > 0) {
                earliestDirty = Math.min(earliestDirty, first);
            }
        }
        firstUncleanable = Math.max(firstDirty, firstUncleanable);
        for (int i = 0; i < segments.size() - 1; i++) {
            LogSegment s = segments.get(i);
            long next = segments.get(i + 1).baseOffset();
            if (s.baseOffset() < firstDirty) {
                cleanBytes += s.size();
            }
            // The segment holding the first dirty offset counts on both sides, as in Kafka.
            if (next > firstDirty && s.baseOffset() < firstUncleanable) {
                cleanableBytes += s.size();
            }
        }
        boolean needNow = earliestDirty < now - Math.max(0, cfg.maxCompactionLagMs());
        return new LogToClean(log, firstDirty, firstUncleanable, cleanBytes, cleanableBytes, needNow,
                tombstoneExpiryMs <= now);
    }
}
