package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Memory-mapped indexes: preallocated while active, sealed at roll, mapped lazily after a restart. */
@Timeout(60)
class IndexTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void activeIndexesArePreallocatedAndSealedToTheirEntriesAtRoll() throws Exception {
        Path index;
        Path timeIndex;
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "idx", Map.of("index.interval.bytes", "1", "segment.bytes", "3000"));
            appendOk(log, TestBatches.batch(1, 1000, 20));
            index = log.dir().resolve(LogSegment.fileName(0, ".index"));
            timeIndex = log.dir().resolve(LogSegment.fileName(0, ".timeindex"));
            assertThat(Files.size(index)).as("preallocated to segment.index.bytes").isEqualTo(10 * 1024 * 1024);
            assertThat(Files.size(timeIndex)).isEqualTo(10 * 1024 * 1024 / 12 * 12);
            for (int i = 1; i < 60; i++) {
                appendOk(log, TestBatches.batch(1, 1000 + i, 20));
            }
            assertThat(log.segmentCount()).isGreaterThanOrEqualTo(2);
            // Sealed at roll: one entry per batch after the first, and one time entry per growing timestamp.
            long batchesInFirst = log.segmentBaseOffsets().get(1);
            assertThat(Files.size(index)).isEqualTo((batchesInFirst - 1) * OffsetIndex.ENTRY_SIZE);
            assertThat(Files.size(timeIndex)).isEqualTo((batchesInFirst - 1) * TimeIndex.ENTRY_SIZE);
            assertEveryOffsetAndTimestampIsFound(log, 60);
        }
        // After a clean restart the sealed indexes are used as they are (mapped on first lookup).
        byte[] sealed = Files.readAllBytes(index);
        try (LogManager manager = start(dir)) {
            Log log = manager.log("idx", 0).orElseThrow();
            assertEveryOffsetAndTimestampIsFound(log, 60);
            assertThat(Files.readAllBytes(index)).isEqualTo(sealed);
            Path active = log.dir().resolve(LogSegment.fileName(log.segmentBaseOffsets().get(
                    log.segmentCount() - 1), ".index"));
            assertThat(Files.size(active)).as("the active segment's index is writable again").isEqualTo(10 * 1024 * 1024);
            appendOk(log, TestBatches.batch(1, 2000, 20));
            assertEveryOffsetAndTimestampIsFound(log, 61);
        }
    }

    @Test
    void aFullIndexRollsTheSegment() throws Exception {
        try (LogManager manager = start(dir)) {
            // 10 offset entries, 6 time entries (one kept for the final entry at roll).
            Log log = createLog(manager, "full", Map.of("index.interval.bytes", "1", "segment.index.bytes", "80"));
            for (int i = 0; i < 40; i++) {
                appendOk(log, TestBatches.batch(1, 1000 + i, 20));
            }
            assertThat(log.segmentCount()).isGreaterThanOrEqualTo(6);
            for (long base : log.segmentBaseOffsets()) {
                assertThat(Files.size(log.dir().resolve(LogSegment.fileName(base, ".index")))).isLessThanOrEqualTo(80);
            }
            assertEveryOffsetAndTimestampIsFound(log, 40);
        }
    }

    @Test
    void anIndexLeftPreallocatedOnAnInactiveSegmentIsRebuilt() throws Exception {
        Path index;
        byte[] sealed;
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "zeros", Map.of("index.interval.bytes", "1", "segment.bytes", "3000"));
            for (int i = 0; i < 40; i++) {
                appendOk(log, TestBatches.batch(1, 1000 + i, 20));
            }
            index = log.dir().resolve(LogSegment.fileName(0, ".index"));
            sealed = Files.readAllBytes(index);
        }
        // Zeros after the entries, as an index that was never cut to its entries has.
        try (RandomAccessFile f = new RandomAccessFile(index.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("zeros", 0).orElseThrow();
            assertEveryOffsetAndTimestampIsFound(log, 40);
            assertThat(Files.readAllBytes(index)).isEqualTo(sealed);
        }
    }

    @Test
    void aCrashLeavesThePreallocatedActiveIndexWhichRecoveryRebuilds() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "crash", Map.of("index.interval.bytes", "1", "segment.bytes", "3000"));
        for (int i = 0; i < 50; i++) {
            appendOk(log, TestBatches.batch(1, 1000 + i, 20));
        }
        crashed.halt();
        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("crash", 0).orElseThrow();
            assertThat(recovered.logEndOffset()).isEqualTo(50);
            assertEveryOffsetAndTimestampIsFound(recovered, 50);
            appendOk(recovered, TestBatches.batch(1, 2000, 20));
            assertEveryOffsetAndTimestampIsFound(recovered, 51);
        }
    }

    /** Batches of one record each, with timestamps 1000 + offset (the last one possibly 2000). */
    private static void assertEveryOffsetAndTimestampIsFound(Log log, int count) {
        for (long offset = 0; offset < count; offset++) {
            assertThat(batches(log.read(offset, 1, true).slice()).get(0).baseOffset()).isEqualTo(offset);
        }
        for (long offset = 0; offset < Math.min(count, 50); offset++) {
            assertThat(log.offsetForTimestamp(1000 + offset).offset()).isEqualTo(offset);
        }
    }
}
