package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class RetentionTest extends LogTestSupport {
    private static final long DAY = 24 * 3600 * 1000L;

    @TempDir
    Path dir;

    @Test
    void retentionBytesDeletesOldestSegments() throws Exception {
        Path oldest;
        try (LogManager manager = start(dir)) {
            int batchSize = TestBatches.batch(1, 1, 100).remaining();
            Log log = createLog(manager, "bytes", Map.of("segment.bytes", Integer.toString(batchSize),
                    "retention.bytes", Integer.toString(3 * batchSize)));
            for (int i = 0; i < 10; i++) {
                appendOk(log, TestBatches.batch(1, System.currentTimeMillis(), 100));
            }
            assertThat(log.segmentCount()).isEqualTo(10);
            oldest = segmentFile(log, 0);
            await(log.scheduleRetention());
            // Deleted while size - segment >= retention.bytes: the newest segments holding 3 batches remain.
            assertThat(log.logStartOffset()).isEqualTo(7);
            assertThat(log.sizeInBytes()).isEqualTo(3L * batchSize);
            assertThat(log.read(6, 1000, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
            assertThat(batches(log.read(7, 1000, true).slice()).get(0).baseOffset()).isEqualTo(7);
        }
        // Deleted after file.delete.delay, or at the latest when the manager closes.
        assertThat(Files.exists(oldest)).isFalse();
    }

    @Test
    void retentionMsDeletesExpiredSegmentsAndRollsAQuietActiveSegment() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "time", Map.of("segment.bytes", "200", "retention.ms", Long.toString(DAY)));
            long old = System.currentTimeMillis() - 3 * DAY;
            for (int i = 0; i < 3; i++) {
                appendOk(log, TestBatches.batch(1, old + i, 100));
            }
            appendOk(log, TestBatches.batch(1, System.currentTimeMillis(), 100));
            await(log.scheduleRetention());
            assertThat(log.logStartOffset()).isEqualTo(3);
            assertThat(log.logEndOffset()).isEqualTo(4);

            Log quiet = createLog(manager, "quiet", Map.of("retention.ms", Long.toString(DAY)));
            appendOk(quiet, TestBatches.batch(2, old, 10));
            appendOk(quiet, TestBatches.batch(2, old, 10));
            await(quiet.scheduleRetention());
            assertThat(quiet.logStartOffset()).isEqualTo(4);
            assertThat(quiet.logEndOffset()).isEqualTo(4);
            assertThat(quiet.sizeInBytes()).isZero();
            assertThat(appendOk(quiet, TestBatches.batch(1, System.currentTimeMillis())).baseOffset()).isEqualTo(4);
        }
    }

    @Test
    void deleteRecordsMovesTheLogStartAndSurvivesARestart() throws Exception {
        int batchSize = TestBatches.batch(2, 1, 100).remaining();
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "dr", Map.of("segment.bytes", Integer.toString(2 * batchSize)));
            for (int i = 0; i < 6; i++) {
                appendOk(log, TestBatches.batch(2, 1, 100));
            }
            assertThat(log.segmentCount()).isEqualTo(3);
            assertThat(await(log.deleteRecordsBefore(5))).isEqualTo(5);
            assertThat(log.logStartOffset()).isEqualTo(5);
            assertThat(log.segmentCount()).isEqualTo(2);
            assertThat(log.read(4, 1000, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
            // The batch holding offset 5 starts at 4: it is returned whole.
            assertThat(batches(log.read(5, 1000, true).slice()).get(0).baseOffset()).isEqualTo(4);
            assertThat(await(log.deleteRecordsBefore(3))).isEqualTo(5);
            assertThatThrownBy(() -> log.deleteRecordsBefore(13).join()).hasCauseInstanceOf(LogException.class)
                    .cause().extracting(e -> ((LogException) e).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("dr", 0).orElseThrow();
            assertThat(log.logStartOffset()).isEqualTo(5);
            assertThat(await(log.deleteRecordsBefore(-1))).isEqualTo(12);
            assertThat(log.segmentCount()).isEqualTo(1);
            assertThat(appendOk(log, TestBatches.batch(1, 1)).baseOffset()).isEqualTo(12);
        }
    }
}
