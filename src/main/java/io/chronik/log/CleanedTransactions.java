package io.chronik.log;

import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The transactions of a log as one pass of the log cleaner reads it in offset order, as Kafka's cleaner tracks them:
 * which transactional batches belong to aborted transactions (from the txn indexes of the log's segments), and, per
 * producer, whether anything of its open transaction was kept in the cleaned output, so its marker is kept while the
 * transaction still has data below it. A pass that starts at the log start sees every batch a marker may need.
 * One cleaner thread owns it; per data batch it only looks up maps keyed by producer id (transactional batches only).
 */
final class CleanedTransactions {
    /** The aborted transactions of the log, by first offset. */
    private final List<AbortedTxn> aborted;
    private int nextAborted;
    /** Producer id to the aborted transaction it had started at the read position (possibly ended already). */
    private final Map<Long, AbortedTxn> startedAborted = new HashMap<>();
    /** Producer id to whether its open transaction (aborted or not) has kept a batch in the output so far. */
    private final Map<Long, Boolean> open = new HashMap<>();

    CleanedTransactions(List<AbortedTxn> aborted) {
        List<AbortedTxn> sorted = new ArrayList<>(aborted);
        sorted.sort(Comparator.comparingLong(AbortedTxn::firstOffset));
        this.aborted = sorted;
    }

    /** The aborted transactions indexed by the segments of a log (all of them: a marker may be far from its data). */
    static CleanedTransactions of(List<LogSegment> segments) {
        List<AbortedTxn> all = new ArrayList<>();
        for (LogSegment segment : segments) {
            all.addAll(segment.txnIndex().entries());
        }
        return new CleanedTransactions(all);
    }

    /** Whether the transactional data batch belongs to an aborted transaction. Batches come in offset order. */
    boolean isAborted(RecordBatch batch) {
        long last = batch.lastOffset();
        while (nextAborted < aborted.size() && aborted.get(nextAborted).firstOffset() <= last) {
            AbortedTxn txn = aborted.get(nextAborted++);
            startedAborted.put(txn.producerId(), txn);
        }
        AbortedTxn txn = startedAborted.get(batch.producerId());
        // A producer has one transaction at a time: one that started before this batch and ends after it is its own.
        return txn != null && txn.lastOffset() > last;
    }

    /** A transactional data batch read by the copy: opens or continues its producer's transaction. */
    void onDataBatch(RecordBatch batch) {
        open.putIfAbsent(batch.producerId(), Boolean.FALSE);
    }

    /** Something of the transactional batch of {@code producerId} just read goes to the output (records or header). */
    void kept(long producerId) {
        open.put(producerId, Boolean.TRUE);
    }

    /**
     * A marker read by the copy ends its producer's transaction: whether any batch of that transaction was kept
     * below it (then the marker must stay, or a replay of the log would see a transaction that never ends).
     */
    boolean onMarker(RecordBatch marker) {
        return open.remove(marker.producerId()) == Boolean.TRUE;
    }
}
