package io.chronik.log;

import java.util.List;

/**
 * Result of reading a partition.
 *
 * @param error               NONE or OFFSET_OUT_OF_RANGE (or UNKNOWN_TOPIC_OR_PARTITION / KAFKA_STORAGE_ERROR)
 * @param slice               whole batches starting with the batch that contains the requested offset; empty if none
 *                            yet. Holds the segment file open until released
 * @param highWatermark       last committed offset + 1 (what consumers may read up to)
 * @param logStartOffset      first offset still in the log
 * @param logEndOffset        offset of the next record to be appended
 * @param lastStableOffset    the last stable offset (LSO): below it no transaction is still open
 * @param abortedTransactions for a read_committed read, the aborted transactions overlapping the returned batches,
 *                            in the order of their markers; otherwise empty
 */
public record ReadResult(LogError error, FileSlice slice, long highWatermark, long logStartOffset,
                         long logEndOffset, long lastStableOffset, List<AbortedTxn> abortedTransactions) {

    /** A result without aborted transactions, whose last stable offset is the high watermark. */
    public ReadResult(LogError error, FileSlice slice, long highWatermark, long logStartOffset, long logEndOffset) {
        this(error, slice, highWatermark, logStartOffset, logEndOffset, highWatermark, List.of());
    }
}
