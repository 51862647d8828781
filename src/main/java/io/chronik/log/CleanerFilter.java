package io.chronik.log;

import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The log cleaner's decision per batch and record, as Kafka's: below the end of this round's offset map a record
 * survives if it is the latest for its key, and a tombstone (null value) only until the delete horizon of its batch
 * (delete.retention.ms after the first cleaning that reached it; {@link MemoryRecords#filterTo} writes that horizon
 * into the batch). Records without a key are dropped. Records past the map are kept. The newest batch of each known
 * idempotent producer is kept even when emptied, so the producer's sequence numbers survive.
 *
 * <p>Transactions: records of committed transactions are compacted like any other; batches of aborted transactions
 * are removed whole. A marker (control batch) stays while anything of its transaction stays below it; once nothing
 * does, it gets a delete horizon, and goes at the first cleaning past it, unless it carries the epoch of a producer
 * whose data batches are all gone. The ABORT markers kept are the cleaned segment's txn index entries
 * ({@link #keptAborts}), exactly what a recovery would rebuild from the cleaned log. {@code transactions} spans the
 * whole round, which reads the log from its start, so a marker knows of its data in earlier groups.
 */
final class CleanerFilter extends MemoryRecords.RecordFilter {
    private final OffsetMap map;
    private final long endOffset;
    private final long upperBound;
    private final Map<Long, ProducerStateManager.LastRecord> lastRecords;
    private final CleanedTransactions transactions;
    private final List<AbortedTxn> abortsOfIndex;
    private final List<AbortedTxn> keptAborts = new ArrayList<>(0);
    private boolean changed;
    private long nextTombstoneExpiryMs = Long.MAX_VALUE;
    /** The batch being filtered: all its records go. */
    private boolean discardRecords;
    /** The batch being filtered is a marker that stays whole. */
    private boolean retainRecords;
    /** The batch being filtered is transactional data whose producer has not yet been told a record was kept. */
    private boolean transactionalData;

    /**
     * @param endOffset     records at or past it are not covered by {@code map} and are kept
     * @param upperBound    the first offset the round may not clean: the batch ending just below it is kept, even
     *                      emptied, so a fetch in the gaps before it always finds a next batch (the segment after
     *                      it may be an empty active segment)
     * @param lastRecords   what producer state needs of each producer
     * @param transactions  the round's transactions, read in offset order
     * @param abortsOfIndex the txn index entries of the group's segments (the kept ABORT markers' entries)
     */
    CleanerFilter(long nowMs, long deleteRetentionMs, OffsetMap map, long endOffset, long upperBound,
                  Map<Long, ProducerStateManager.LastRecord> lastRecords, CleanedTransactions transactions,
                  List<AbortedTxn> abortsOfIndex) {
        super(nowMs, deleteRetentionMs);
        this.map = map;
        this.endOffset = endOffset;
        this.upperBound = upperBound;
        this.lastRecords = lastRecords;
        this.transactions = transactions;
        this.abortsOfIndex = abortsOfIndex;
    }

    @Override
    protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
        discardRecords = false;
        retainRecords = false;
        transactionalData = false;
        ProducerStateManager.LastRecord last = batch.hasProducerId() ? lastRecords.get(batch.producerId()) : null;
        boolean lastOfProducer = last != null && last.lastDataOffset() == batch.lastOffset();
        boolean keepHeader = lastOfProducer || batch.nextOffset() == upperBound;
        if (!batch.isTransactional()) {
            return new BatchRetentionResult(keepHeader ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY,
                    false);
        }
        if (batch.isControlBatch()) {
            return checkMarker(batch, last, keepHeader);
        }
        transactions.onDataBatch(batch);
        if (keepHeader) {
            transactions.kept(batch.producerId()); // a replay of the log sees this batch: its marker must stay
        }
        if (transactions.isAborted(batch)) {
            discardRecords = true;
            changed = true;
            return new BatchRetentionResult(keepHeader ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE, false);
        }
        transactionalData = !keepHeader;
        return new BatchRetentionResult(keepHeader ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY, false);
    }

    /** A marker: kept whole while needed, then given a horizon, then removed (emptied where a header must stay). */
    private BatchRetentionResult checkMarker(RecordBatch batch, ProducerStateManager.LastRecord last,
                                             boolean keepHeader) {
        boolean dataKept = transactions.onMarker(batch);
        boolean producerEpochMarker = last != null && last.lastDataOffset() < 0 && last.epoch() == batch.producerEpoch();
        boolean empty = !dataKept && !producerEpochMarker;
        if (empty) {
            if (batch.deleteHorizonMs().isPresent() && batch.deleteHorizonMs().getAsLong() <= currentTime) {
                discardRecords = true;
                changed = true;
                return new BatchRetentionResult(keepHeader ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE,
                        true);
            }
            if (batch.deleteHorizonMs().isEmpty()) {
                changed = true; // filterTo writes the horizon into the kept marker
            }
            nextTombstoneExpiryMs = Math.min(nextTombstoneExpiryMs,
                    batch.deleteHorizonMs().orElse(currentTime + deleteRetentionMs));
        }
        if (isAbort(batch)) {
            for (AbortedTxn txn : abortsOfIndex) {
                if (txn.lastOffset() == batch.baseOffset()) {
                    keptAborts.add(txn);
                    break;
                }
            }
        }
        retainRecords = true;
        return new BatchRetentionResult(BatchRetention.DELETE_EMPTY, empty);
    }

    private static boolean isAbort(RecordBatch batch) {
        Iterator<Record> records = batch.iterator();
        return records.hasNext() && ControlRecordType.parse(records.next().key()) == ControlRecordType.ABORT;
    }

    @Override
    protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
        if (discardRecords) {
            return false;
        }
        if (retainRecords) {
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
        if (keep && transactionalData) {
            transactionalData = false;
            transactions.kept(batch.producerId());
        }
        return keep;
    }

    /** Whether the output differs from the input so far (records removed or batches rewritten). */
    boolean changed() {
        return changed;
    }

    /** The txn index entries of the ABORT markers kept so far, in offset order. */
    List<AbortedTxn> keptAborts() {
        return keptAborts;
    }

    /** When the earliest tombstone or marker kept below the end offset may go; {@link Long#MAX_VALUE} if none. */
    long nextTombstoneExpiryMs() {
        return nextTombstoneExpiryMs;
    }
}
