package io.chronik.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The log cleaner's last step on a partition: serving a cleaned segment, committed as {@code .swap} files (see
 * {@link SegmentSwap}), instead of the segments it replaces. Runs on the partition's lane, so appends, retention and
 * DeleteRecords see the log before or after, never in between; a reader that finds its segment replaced looks its
 * offset up again.
 */
final class SegmentReplacer {
    private final Log log;
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    /** {@code local}'s segment map. */
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final Path dir;
    private final LogServices services;
    private final LogLane lane;

    SegmentReplacer(Log log, LogLifecycle lifecycle, LocalLog local, LogServices services, LogLane lane) {
        this.log = log;
        this.lifecycle = lifecycle;
        this.local = local;
        this.segments = local.segments();
        this.dir = local.dir();
        this.services = services;
        this.lane = lane;
    }

    /** Queues the replacement on the lane: see {@link Log#replaceSegments}. */
    CompletableFuture<Log.SwapOutcome> replaceSegments(List<LogSegment> old, CleanerHook hook) {
        CompletableFuture<Log.SwapOutcome> done = new CompletableFuture<>();
        if (!lane.execute(() -> {
            try {
                done.complete(replace(old, hook));
            } catch (Throwable t) {
                done.completeExceptionally(t);
                throw t;
            }
        })) {
            done.complete(Log.SwapOutcome.REFUSED);
        }
        return done;
    }

    private Log.SwapOutcome replace(List<LogSegment> old, CleanerHook hook) {
        if (lifecycle.deleted() || lifecycle.closed() || lifecycle.offline() || old.isEmpty()) {
            return Log.SwapOutcome.REFUSED;
        }
        LogSegment active = local.activeSegment();
        for (LogSegment segment : old) {
            if (segment == active || segments.get(segment.baseOffset()) != segment) {
                return Log.SwapOutcome.REFUSED;
            }
        }
        long base = old.get(0).baseOffset();
        LogSegment cleaned;
        try {
            for (LogSegment segment : old) {
                segment.renameForDeletion();
                if (!segment.file().getFileName().toString().endsWith(AtomicFiles.DELETED_SUFFIX)) {
                    // Left under its live name, it would come back next to the cleaned segment after a restart.
                    throw new IOException("cannot rename " + segment + " for deletion");
                }
            }
            AtomicFiles.syncDirectory(dir);
            hook.reached(CleanerHook.Step.REPLACED_RENAMED, log);
            SegmentSwap.finish(dir, base);
            AtomicFiles.syncDirectory(dir);
            hook.reached(CleanerHook.Step.RENAMED, log);
            LogConfig cfg = log.config();
            cleaned = LogSegment.open(dir, base, cfg.indexIntervalBytes(), false, false, cfg.segmentIndexBytes(),
                    System.currentTimeMillis());
        } catch (IOException e) {
            // The live segments' files are half replaced: a restart finishes the committed swap.
            lifecycle.markOffline("the log cleaner's replacement of segments", e);
            return Log.SwapOutcome.FAILED;
        }
        // The first one is replaced in place, then the rest removed in order: a reader that finds the segment it
        // was reading gone looks its offset up again (see LogReader).
        segments.put(base, cleaned);
        for (int i = 1; i < old.size(); i++) {
            segments.remove(old.get(i).baseOffset(), old.get(i));
        }
        old.forEach(services.deleteLater()); // renamed already: their removal is only scheduled
        return Log.SwapOutcome.SWAPPED;
    }
}
