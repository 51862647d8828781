package io.chronik.log;

/**
 * An aborted transaction of one partition, as its segment's txn index keeps it: its producer, its first offset, its
 * ABORT marker's offset, and the partition's last stable offset once it ended.
 */
public record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {
}
