package io.chronik.log;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * A partition's high watermark, what consumers may read, and its publication to readers. Until the log is given a
 * role (single node) there is none and the log end stands for it. From the first role on it moves forward only
 * through {@link #advanceTo} (any thread: the replication layer) and back only through {@link #truncate} and
 * {@link #startAt} (the lane), each under {@link #lock}; those two lower the log end under the same lock, so no reader
 * sees a high watermark the log has lost. The value is published as one volatile {@link LogOffsetMetadata}: a
 * reader bounded by it never looks past its segment and position.
 */
final class HighWatermark {
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    /** Guards every change of {@link #mark}, and the lowering of the log end by truncation. */
    private final Object lock = new Object();
    /**
     * The high watermark once the log has a role (null before: it is then the log end). It moves forward only by
     * {@link #advanceTo} and back only by {@link #truncate} and {@link #startAt}; all change it under {@link #lock}.
     */
    private volatile LogOffsetMetadata mark;
    /** The high watermark found in the checkpoint at startup, used when the log is first given a role; -1 if none. */
    private volatile long restored = -1;

    HighWatermark(LogLifecycle lifecycle, LocalLog local) {
        this.lifecycle = lifecycle;
        this.local = local;
    }

    /** The published high watermark, or null while the log has no role. */
    LogOffsetMetadata mark() {
        return mark;
    }

    /** {@code mark} (a value of {@link #mark()}), or the log end {@code end} when there is none or it lies past it. */
    static LogOffsetMetadata capped(LogOffsetMetadata mark, LogOffsetMetadata end) {
        return mark == null || mark.offset() > end.offset() ? end : mark;
    }

    /** The high watermark (the log end before the log has a role), never past the log end read after it. */
    LogOffsetMetadata view() {
        LogOffsetMetadata hw = mark;
        LogOffsetMetadata end = local.logEnd();
        return capped(hw, end);
    }

    /** The high watermark kept in the checkpoint: used when the log is first given a role. Startup only. */
    void restore(long offset) {
        restored = offset;
    }

    /**
     * The log's first role: the high watermark, the log end until now, starts where the checkpoint left it (at most
     * the log end), or at the log start when the checkpoint did not know this log, as Kafka starts it. Lane only.
     */
    void start() throws IOException {
        if (mark != null) {
            return;
        }
        synchronized (lock) {
            long restoredOffset = restored;
            long logStart = local.logStartOffset();
            long initial = Math.max(logStart, Math.min(restoredOffset >= 0 ? restoredOffset : logStart,
                    local.logEnd().offset()));
            mark = local.offsetMetadata(initial);
        }
    }

    /**
     * Moves the high watermark forward to {@code offset} (capped at the log end; never backward). Ignored while the
     * log has no role. Returns whether it moved: the caller then wakes waiting fetches. A failed read of the
     * segment takes the partition offline. Any thread.
     */
    boolean advanceTo(long offset) {
        synchronized (lock) {
            LogOffsetMetadata current = mark;
            if (current == null) {
                return false;
            }
            long target = Math.min(offset, local.logEnd().offset());
            if (target <= current.offset()) {
                return false;
            }
            try {
                mark = local.offsetMetadata(target);
            } catch (ClosedChannelException e) {
                return false; // its segment was deleted meanwhile: the next update finds the offset again
            } catch (IOException e) {
                lifecycle.markOffline("a high watermark update", e);
                return false;
            }
        }
        return true;
    }

    /**
     * A truncation's new log end {@code cut}: the high watermark is lowered to it when above, and the log end set to
     * it, together, so readers see the shorter log before any file changes. Lane only.
     */
    void truncate(LogOffsetMetadata cut) {
        synchronized (lock) {
            LogOffsetMetadata hw = mark;
            if (hw != null && hw.offset() > cut.offset()) {
                mark = cut;
            }
            local.setLogEnd(cut);
        }
    }

    /** The log starts over at {@code start} (empty): log end and high watermark (if the log has a role). Lane only. */
    void startAt(LogOffsetMetadata start) {
        synchronized (lock) {
            if (mark != null) {
                mark = start;
            }
            local.setLogEnd(start);
        }
    }
}
