package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** truncateTo: the log, its indexes, producer state, epoch cache and high watermark cut back, durably. */
class TruncationTest extends LogTestSupport {
    @TempDir
    Path dir;

    /** Ten batches of three records over several segments; epoch 1 for offsets 0..14, epoch 2 from 15. */
    private static Log fill(LogManager manager) {
        Log log = createLog(manager, "t", Map.of("segment.bytes", "400", "index.interval.bytes", "100"));
        await(log.becomeLeader(1));
        for (int i = 0; i < 10; i++) {
            if (i == 5) {
                await(log.becomeLeader(2));
            }
            appendOk(log, i % 2 == 0 ? TestBatches.idempotent(9, (short) 0, 3 * (i / 2), 3) : TestBatches.batch(3, 1000 + i));
        }
        log.updateHighWatermark(log.logEndOffset());
        return log;
    }

    @Test
    void truncateToThenAppendAgain() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = fill(manager);
            assertThat(log.segmentCount()).isGreaterThan(3);
            assertThat(log.highWatermark()).isEqualTo(30);
            await(log.truncateTo(13)); // inside the batch 12..14: cut at its start
            assertThat(log.logEndOffset()).isEqualTo(12);
            assertThat(log.highWatermark()).isEqualTo(12);
            assertThat(log.latestEpoch()).isEqualTo(OptionalInt.of(1));
            assertThat(log.segmentBaseOffsets()).allMatch(base -> base <= 12);
            assertThat(readAll(log, 0)).extracting(ReadBatch::baseOffset).containsExactly(0L, 3L, 6L, 9L);
            assertThat(log.read(12, 1000, true).error()).isEqualTo(LogError.NONE);
            assertThat(log.read(13, 1000, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);

            // Producer 9 wrote sequences 0..2 (offset 0) and 3..5 (offset 6); 6..8 (offset 12) is gone.
            AppendResult retry = append(log, TestBatches.idempotent(9, (short) 0, 3, 3));
            assertThat(retry.recordCount()).isZero();
            assertThat(retry.baseOffset()).isEqualTo(6);
            AppendResult again = appendOk(log, TestBatches.idempotent(9, (short) 0, 6, 3));
            assertThat(again.recordCount()).isEqualTo(3);
            assertThat(again.baseOffset()).isEqualTo(12);
            await(log.becomeLeader(3));
            appendOk(log, TestBatches.batch(2, 5000));
            assertThat(log.logEndOffset()).isEqualTo(17);
            assertThat(log.epochEntries()).containsExactly(new LeaderEpochCache.Entry(1, 0),
                    new LeaderEpochCache.Entry(2, 12), new LeaderEpochCache.Entry(3, 15)); // still leading epoch 2 at 12
            log.updateHighWatermark(17);
            assertThat(readAll(log, 0)).extracting(ReadBatch::baseOffset).containsExactly(0L, 3L, 6L, 9L, 12L, 15L);
            assertThat(readAll(log, 0)).allMatch(ReadBatch::crcOk);

            // At or past the log end nothing happens; below the log start it is refused.
            await(log.truncateTo(17));
            assertThat(log.logEndOffset()).isEqualTo(17);
            await(log.deleteRecordsBefore(3));
            assertThatThrownBy(() -> log.truncateTo(1).join()).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(LogException.class);
            assertThat(log.isOffline()).isFalse();
        }
    }

    @Test
    void aFollowerBelowTheLeadersLogStartStartsOverThereAndKeepsItAcrossARestart() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = fill(manager);
            await(log.becomeFollower(3));
            await(log.truncateFullyAndStartAt(100));
            assertThat(log.logStartOffset()).isEqualTo(100);
            assertThat(log.logEndOffset()).isEqualTo(100);
            assertThat(log.highWatermark()).isEqualTo(100);
            assertThat(log.segmentBaseOffsets()).containsExactly(100L);
            assertThat(log.epochEntries()).isEmpty();
            assertThat(log.read(100, 1000, true, false).slice().isEmpty()).isTrue();
            // The leader's next batch starts at 100; its producer is new to this replica.
            java.nio.ByteBuffer batch = TestBatches.idempotent(9, (short) 0, 40, 2);
            batch.putLong(0, 100);
            batch.putInt(12, 3); // partition leader epoch: not covered by the CRC
            AppendResult appended = await(log.appendAsFollower(batch, true));
            assertThat(appended.error()).isEqualTo(LogError.NONE);
            assertThat(log.logEndOffset()).isEqualTo(102);
            assertThat(log.epochEntries()).containsExactly(new LeaderEpochCache.Entry(3, 100));
            manager.halt();
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("t", 0).orElseThrow();
            assertThat(log.logStartOffset()).isEqualTo(100);
            assertThat(log.logEndOffset()).isEqualTo(102);
            assertThat(log.segmentBaseOffsets()).containsExactly(100L);
        }
    }

    @Test
    void truncationSurvivesACrashAndARestart() throws Exception {
        List<ReadBatch> kept;
        try (LogManager manager = start(dir)) {
            Log log = fill(manager);
            await(log.truncateTo(9));
            appendOk(log, TestBatches.batch(1, 7000));
            log.updateHighWatermark(log.logEndOffset());
            kept = readAll(log, 0);
            manager.halt(); // no clean shutdown: the active segment is recovered from what is on disk
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("t", 0).orElseThrow();
            assertThat(log.logEndOffset()).isEqualTo(10);
            assertThat(readAll(log, 0)).isEqualTo(kept);
            assertThat(log.latestEpoch()).isEqualTo(OptionalInt.of(2));
            assertThat(log.epochEntries()).containsExactly(new LeaderEpochCache.Entry(1, 0),
                    new LeaderEpochCache.Entry(2, 9));
            // Producer 9's batch at offset 6 (sequences 3..5) is still its last one.
            AppendResult retry = append(log, TestBatches.idempotent(9, (short) 0, 3, 3));
            assertThat(retry.recordCount()).isZero();
            assertThat(retry.baseOffset()).isEqualTo(6);
            appendOk(log, TestBatches.idempotent(9, (short) 0, 6, 1));
        }
        try (LogManager manager = start(dir)) {
            assertThat(manager.log("t", 0).orElseThrow().logEndOffset()).isEqualTo(11);
        }
    }

    @Test
    void truncationToASegmentBoundaryAndToTheLogStartOfAFollower() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = fill(manager);
            List<Long> bases = log.segmentBaseOffsets();
            long boundary = bases.get(2);
            await(log.truncateTo(boundary));
            assertThat(log.logEndOffset()).isEqualTo(boundary);
            assertThat(log.segmentBaseOffsets()).containsExactly(bases.get(0), bases.get(1), boundary);
            await(log.becomeFollower(4));
            await(log.truncateTo(0));
            assertThat(log.logEndOffset()).isZero();
            assertThat(log.highWatermark()).isZero();
            assertThat(log.epochEntries()).isEmpty();
            assertThat(log.segmentBaseOffsets()).containsExactly(0L);
            AppendResult result = await(log.appendAsFollower(TestBatches.batch(2, 1000), false));
            assertThat(result.error()).isEqualTo(LogError.NONE);
            assertThat(log.logEndOffset()).isEqualTo(2);
        }
    }
}
