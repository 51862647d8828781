package io.chronik.log;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.Map;

/**
 * The log cleaner's decision per record, as Kafka's: below the end of this round's offset map a record survives if
 * it is the latest for its key, and a tombstone (null value) only until the delete horizon of its batch
 * (delete.retention.ms after the first cleaning that reached it; {@link MemoryRecords#filterTo} writes that horizon
 * into the batch). Records without a key are dropped. Records past the map are kept. The newest batch of each known
 * idempotent producer is kept even when emptied, so the producer's sequence numbers survive.
 */
final class CleanerFilter extends MemoryRecords.RecordFilter {
    private final OffsetMap map;
    private final long endOffset;
    private final long upperBound;
    private final Map<Long, Long> lastBatchOfProducer;
    private boolean changed;
    private long nextTombstoneExpiryMs = Long.MAX_VALUE;

    /**
     * @param endOffset           records at or past it are not covered by {@code map} and are kept
     * @param upperBound          the first offset the round may not clean: the batch ending just below it is kept,
     *                            even emptied, so a fetch in the gaps before it always finds a next batch (the
     *                            segment after it may be an empty active segment)
     * @param lastBatchOfProducer producer id to the last offset of its newest batch
     */
    CleanerFilter(long nowMs, long deleteRetentionMs, OffsetMap map, long endOffset, long upperBound,
                  Map<Long, Long> lastBatchOfProducer) {
        super(nowMs, deleteRetentionMs);
        this.map = map;
        this.endOffset = endOffset;
        this.upperBound = upperBound;
        this.lastBatchOfProducer = lastBatchOfProducer;
    }

    @Override
    protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
        if (batch.isTransactional()) {
            // Transactional data and markers are kept whole for now: Kafka's removal of aborted records and of
            // markers past delete.retention.ms is not done yet.
            return new BatchRetentionResult(BatchRetention.RETAIN_EMPTY, false);
        }
        Long last = batch.hasProducerId() ? lastBatchOfProducer.get(batch.producerId()) : null;
        boolean keepHeader = (last != null && last == batch.lastOffset()) || batch.nextOffset() == upperBound;
        return new BatchRetentionResult(keepHeader ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY, false);
    }

    @Override
    protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
        if (batch.isTransactional()) {
            return true;
        }
        boolean keep;
        if (record.offset() >= endOffset) {
            keep = true;
        } else if (!record.hasKey()) {
            keep = false;
        } else {
            boolean latest = record.offset() >= map.get(record.key());
            boolean tombstoneAlive = batch.deleteHorizonMs().isEmpty() || currentTime < batch.deleteHorizonMs().getAsLong();
            keep = latest && (record.hasValue() || tombstoneAlive);
            if (keep && !record.hasValue()) {
                long horizon = batch.deleteHorizonMs().orElse(currentTime + deleteRetentionMs);
                nextTombstoneExpiryMs = Math.min(nextTombstoneExpiryMs, horizon);
            }
        }
        if (!keep || (!record.hasValue() && batch.deleteHorizonMs().isEmpty())) {
            changed = true; // a record goes, or the batch gets its delete horizon
        }
        return keep;
    }

    /** Whether the output differs from the input so far (records removed or batches rewritten). */
    boolean changed() {
        return changed;
    }

    /** When the earliest tombstone kept below the end offset may go; {@link Long#MAX_VALUE} if none was kept. */
    long nextTombstoneExpiryMs() {
        return nextTombstoneExpiryMs;
    }
}
