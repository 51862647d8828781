package io.chronik.log;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;

/**
 * Transaction markers: building the control batch a partition leader appends for WriteTxnMarkers (Kafka's format: the
 * control attribute, one record whose key is the control type and whose value is the coordinator epoch), reading one
 * back, and applying a marker found in the log (follower appends, recovery) to the producer state and the txn index.
 */
final class ControlBatches {
    private ControlBatches() {
    }

    /** Whether the batch header at {@code at} is a control batch. */
    static boolean isControl(ByteBuffer buf, int at) {
        return (RecordBatchHeader.attributes(buf, at) & RecordBatchHeader.CONTROL) != 0;
    }

    /** Whether the batch header at {@code at} is transactional (data or marker). */
    static boolean isTransactional(ByteBuffer buf, int at) {
        return (RecordBatchHeader.attributes(buf, at) & RecordBatchHeader.TRANSACTIONAL) != 0;
    }

    /** The control batch of a COMMIT or ABORT marker at {@code offset}, stamped with {@code leaderEpoch}. */
    static ByteBuffer marker(long offset, long timestamp, int leaderEpoch, long producerId, short producerEpoch,
                             int coordinatorEpoch, boolean commit) {
        EndTransactionMarker marker = new EndTransactionMarker(commit ? ControlRecordType.COMMIT
                : ControlRecordType.ABORT, coordinatorEpoch);
        return MemoryRecords.withEndTransactionMarker(offset, timestamp, leaderEpoch, producerId, producerEpoch, marker)
                .buffer();
    }

    /**
     * The transaction marker held by the whole control batch at {@code at} ({@code size} bytes), or null when it is
     * another kind of control batch (or cannot be read: it is then no marker the producer state knows).
     */
    static ProducerStateManager.Marker readMarker(ByteBuffer buf, int at, int size) {
        try {
            ByteBuffer one = buf.duplicate().limit(at + size).position(at).slice();
            Iterator<MutableRecordBatch> batches = MemoryRecords.readableRecords(one).batches().iterator();
            if (!batches.hasNext()) {
                return null;
            }
            MutableRecordBatch batch = batches.next();
            Iterator<Record> records = batch.iterator();
            if (!batch.isControlBatch() || !records.hasNext()) {
                return null;
            }
            Record record = records.next();
            ControlRecordType type = ControlRecordType.parse(record.key());
            if (type != ControlRecordType.COMMIT && type != ControlRecordType.ABORT) {
                return null;
            }
            EndTransactionMarker marker = EndTransactionMarker.deserialize(record);
            return new ProducerStateManager.Marker(batch.producerId(), batch.producerEpoch(),
                    marker.coordinatorEpoch(), type == ControlRecordType.COMMIT, batch.baseOffset(),
                    batch.maxTimestamp());
        } catch (KafkaException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * A marker found in {@code segment} (replicated from the leader, or replayed at recovery) ends its producer's
     * transaction; an ABORT is indexed in the segment's txn index unless the index has it already (recovery of a
     * segment whose index survived). {@code highWatermark}: see {@link ProducerStateManager#commitMarker}.
     */
    static void replay(ProducerStateManager producers, LogSegment segment, ProducerStateManager.Marker marker,
                       long highWatermark, long nowMs) throws IOException {
        ProducerStateManager.MarkerCheck check = producers.replayMarker(marker, nowMs);
        ProducerStateManager.CompletedTxn done = check.completed();
        if (done.aborted() && segment.txnIndex().lastOffset() < done.lastOffset()) {
            segment.txnIndex().append(new AbortedTxn(done.producerId(), done.firstOffset(),
                    done.lastOffset(), producers.stableOffsetAfter(done)));
        }
        producers.commitMarker(check, highWatermark);
    }
}
