package io.chronik.log;

/**
 * Outcome of appending one partition's record batches.
 *
 * @param error          NONE on success
 * @param baseOffset     offset assigned to the first record (for a retried duplicate: the original offset); -1 on error
 *                       (and for a follower append that skipped every batch)
 * @param logAppendTime  broker time stamped on the batches when the topic uses LogAppendTime, else -1
 * @param logStartOffset the partition's log start offset after the append
 * @param recordCount    records appended (0 for a duplicate or an error)
 * @param message        human-readable detail for an error, else null
 * @param lastOffset     offset of the last record appended (for a duplicate: the original's last offset; for a follower
 *                       append: the log end offset after it, less one); -1 on error
 */
public record AppendResult(LogError error, long baseOffset, long logAppendTime, long logStartOffset,
                           int recordCount, String message, long lastOffset) {

    /** A result without a last offset (-1). */
    public AppendResult(LogError error, long baseOffset, long logAppendTime, long logStartOffset, int recordCount,
                        String message) {
        this(error, baseOffset, logAppendTime, logStartOffset, recordCount, message, -1);
    }

    public static AppendResult failed(LogError error, long logStartOffset, String message) {
        return new AppendResult(error, -1, -1, logStartOffset, 0, message, -1);
    }
}
