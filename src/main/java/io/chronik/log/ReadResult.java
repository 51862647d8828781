package io.chronik.log;

/**
 * Result of reading a partition.
 *
 * @param error          NONE or OFFSET_OUT_OF_RANGE (or UNKNOWN_TOPIC_OR_PARTITION / KAFKA_STORAGE_ERROR)
 * @param slice          whole batches starting with the batch that contains the requested offset; empty if none yet.
 *                       Holds the segment file open until released
 * @param highWatermark  last committed offset + 1 (what consumers may read up to)
 * @param logStartOffset first offset still in the log
 * @param logEndOffset   offset of the next record to be appended
 */
public record ReadResult(LogError error, FileSlice slice, long highWatermark, long logStartOffset,
                         long logEndOffset) {
}
