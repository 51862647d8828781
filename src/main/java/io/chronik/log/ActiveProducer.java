package io.chronik.log;

/**
 * What a partition knows of one idempotent or transactional producer (DescribeProducers).
 *
 * @param lastSequence          the last sequence number it appended, or -1
 * @param lastTimestamp         the timestamp of its last batch, or -1
 * @param coordinatorEpoch      the epoch of the transaction coordinator that wrote its last marker, or -1
 * @param currentTxnStartOffset the first offset of its ongoing transaction in this partition, or -1 when none
 */
public record ActiveProducer(long producerId, short epoch, int lastSequence, long lastTimestamp, int coordinatorEpoch,
                             long currentTxnStartOffset) {
}
