package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replay of one {@code __consumer_offsets} partition into its shard: plain and transactional commits, COMMIT and
 * ABORT markers in log order, idempotent by offset, in any order compaction may leave, and markers told while the
 * partition is still loading.
 */
class OffsetsShardTest {
    private static final String GROUP = "g";
    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final long PID = 7;

    @Test
    void aCommitMarkerMakesTheProducersPendingOffsetsCommitted() {
        OffsetsShard shard = new OffsetsShard();
        replay(shard, plain(0, 1));
        replay(shard, txn(1, PID, (short) 0, 0, 5));
        assertThat(committed(shard)).isEqualTo(1);
        assertThat(shard.hasPending(GROUP, TP)).isTrue();
        assertThat(shard.pendingPartitions(GROUP)).containsExactly(TP);
        replay(shard, marker(2, PID, (short) 0, true));
        assertThat(committed(shard)).isEqualTo(5);
        assertThat(shard.hasPending(GROUP, TP)).isFalse();
        // Replayed again (a load racing the marker's notification): nothing changes.
        shard.loaded();
        shard.markerWritten(PID, (short) 0, true, 2);
        assertThat(committed(shard)).isEqualTo(5);
    }

    @Test
    void anAbortMarkerDropsThemAndOtherProducersAreUntouched() {
        OffsetsShard shard = new OffsetsShard();
        replay(shard, plain(0, 1));
        replay(shard, txn(1, PID, (short) 0, 0, 5));
        replay(shard, txn(2, 8, (short) 0, 0, 6));
        replay(shard, marker(3, PID, (short) 0, false));
        assertThat(committed(shard)).isEqualTo(1);
        assertThat(shard.hasPending(GROUP, TP)).as("producer 8 is still open").isTrue();
        replay(shard, marker(4, 8, (short) 0, true));
        assertThat(committed(shard)).isEqualTo(6);
    }

    @Test
    void theNewestRecordWinsWhateverOrderTransactionalAndPlainCommitsEndIn() {
        OffsetsShard shard = new OffsetsShard();
        replay(shard, txn(1, PID, (short) 0, 0, 5));
        replay(shard, plain(3, 9));
        replay(shard, marker(4, PID, (short) 0, true));
        assertThat(committed(shard)).as("the plain commit was written after the transactional one").isEqualTo(9);

        OffsetsShard other = new OffsetsShard();
        replay(other, plain(0, 1));
        replay(other, txn(5, PID, (short) 0, 0, 5));
        replay(other, marker(6, PID, (short) 0, true));
        assertThat(committed(other)).isEqualTo(5);
    }

    @Test
    void aMarkerResolvesOnlyWhatWasWrittenBeforeIt() {
        OffsetsShard shard = new OffsetsShard();
        shard.loaded();
        shard.applyPending(PID, GROUP, TP, new Committed(5, -1, "", 0), 1);
        shard.applyPending(PID, GROUP, new TopicPartition("orders", 1), new Committed(6, -1, "", 0), 3);
        shard.markerWritten(PID, (short) 0, true, 2);
        assertThat(committed(shard)).isEqualTo(5);
        assertThat(shard.pendingPartitions(GROUP)).containsExactly(new TopicPartition("orders", 1));
    }

    @Test
    void aMarkerToldWhileLoadingWaitsForTheReplayToReachIt() {
        OffsetsShard shard = new OffsetsShard();
        replay(shard, txn(1, PID, (short) 0, 0, 5));
        // The marker at 10 was written after the load began; the replay has reached offset 2 only.
        shard.markerWritten(PID, (short) 0, true, 10);
        assertThat(committed(shard)).isEqualTo(-1);
        replay(shard, txn(4, PID, (short) 0, 1, 6));
        shard.loaded();
        assertThat(committed(shard)).isEqualTo(6);
        assertThat(shard.hasPending(GROUP, TP)).isFalse();
    }

    @Test
    void aDeletedOffsetTakesPendingOnesAlong() {
        OffsetsShard shard = new OffsetsShard();
        replay(shard, plain(0, 1));
        replay(shard, txn(1, PID, (short) 0, 0, 5));
        replay(shard, tombstone(2));
        replay(shard, marker(3, PID, (short) 0, true));
        assertThat(committed(shard)).isEqualTo(-1);
    }

    @Test
    void sequencesFollowTheProducersBatchesAndEpochs() {
        OffsetsShard shard = new OffsetsShard();
        replay(shard, txn(0, PID, (short) 2, 0, 5));
        assertThat(shard.nextSequence(PID, (short) 2, 3)).isEqualTo(1);
        assertThat(shard.nextSequence(PID, (short) 2, 1)).isEqualTo(4);
        assertThat(shard.nextSequence(PID, (short) 1, 1)).as("an older epoch").isEqualTo(-1);
        replay(shard, marker(1, PID, (short) 3, false));
        assertThat(shard.nextSequence(PID, (short) 3, 1)).isZero();
        assertThat(shard.nextSequence(PID, (short) 4, 1)).as("a newer epoch starts at 0").isZero();
        assertThat(shard.nextSequence(99, (short) 0, 1)).as("an unknown producer").isZero();
        // A batch refused before it was appended gives its sequence back, unless another was reserved since.
        int base = shard.nextSequence(PID, (short) 4, 2);
        shard.releaseSequence(PID, (short) 4, base, 2);
        assertThat(shard.nextSequence(PID, (short) 4, 2)).isEqualTo(base);
        shard.nextSequence(PID, (short) 4, 1);
        shard.releaseSequence(PID, (short) 4, base, 2);
        assertThat(shard.nextSequence(PID, (short) 4, 1)).isEqualTo(base + 3);
    }

    private static long committed(OffsetsShard shard) {
        OffsetsShard.Stamped s = shard.group(GROUP).get(TP);
        return s == null ? -1 : s.committed().offset();
    }

    private static void replay(OffsetsShard shard, MemoryRecords records) {
        for (RecordBatch batch : records.batches()) {
            shard.replay(batch, batch.baseOffset());
        }
    }

    private static SimpleRecord record(long offset) {
        return new SimpleRecord(0, OffsetRecords.key(GROUP, TP), OffsetRecords.value(new Committed(offset, -1, "", 0)));
    }

    private static MemoryRecords plain(long at, long offset) {
        return MemoryRecords.withRecords(at, Compression.NONE, record(offset));
    }

    private static MemoryRecords tombstone(long at) {
        return MemoryRecords.withRecords(at, Compression.NONE, new SimpleRecord(0, OffsetRecords.key(GROUP, TP), null));
    }

    private static MemoryRecords txn(long at, long producerId, short epoch, int sequence, long offset) {
        return MemoryRecords.withTransactionalRecords(at, Compression.NONE, producerId, epoch, sequence, 0, record(offset));
    }

    private static MemoryRecords marker(long at, long producerId, short epoch, boolean commit) {
        return MemoryRecords.withEndTransactionMarker(at, 0, 0, producerId, epoch,
                new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0));
    }
}
