package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The topic keys that shape segments and flushing: segment.index.bytes, segment.jitter.ms, preallocate, ... */
@Timeout(60)
class SegmentConfigsTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void aFullIndexRollsTheSegment() throws Exception {
        try (LogManager manager = start(dir)) {
            // An index entry for every batch after the first; 16 bytes hold two offset index entries.
            Log small = createLog(manager, "small-index", Map.of("index.interval.bytes", "0", "segment.index.bytes", "16"));
            Log normal = createLog(manager, "normal-index", Map.of("index.interval.bytes", "0"));
            for (int i = 0; i < 10; i++) {
                appendOk(small, TestBatches.batch(1, 1000 + i));
                appendOk(normal, TestBatches.batch(1, 1000 + i));
            }
            assertThat(normal.segmentCount()).isEqualTo(1);
            assertThat(small.segmentCount()).isGreaterThanOrEqualTo(3);
            assertThat(readAll(small, 0)).hasSize(10);
        }
    }

    @Test
    void segmentJitterRollsASegmentBeforeSegmentMs() throws Exception {
        try (LogManager manager = start(dir)) {
            Log jittered = createLog(manager, "jitter", Map.of("segment.ms", "1000000", "segment.jitter.ms", "1000000"));
            Log plain = createLog(manager, "no-jitter", Map.of("segment.ms", "1000000"));
            for (Log log : List.of(jittered, plain)) {
                appendOk(log, TestBatches.batch(1, 5_000_000));
                // 999 999 ms of record time later: short of segment.ms, past it less any jitter above 1 ms.
                appendOk(log, TestBatches.batch(1, 5_999_999));
            }
            assertThat(plain.segmentCount()).isEqualTo(1);
            assertThat(jittered.segmentCount()).isEqualTo(2);
        }
    }

    @Test
    void preallocatedSegmentsAreTrimmedWhenTheyRollAndSurviveRestartsAndCrashes() throws Exception {
        LogManager manager = start(dir);
        Log log = createLog(manager, "pre", Map.of("preallocate", "true", "segment.bytes", "65536"));
        assertThat(Files.size(segmentFile(log, 0))).isEqualTo(65536);
        for (int i = 0; i < 40; i++) {
            appendOk(log, TestBatches.batch(4, 1000 + i, 512));
        }
        assertThat(log.segmentCount()).isGreaterThan(1);
        assertThat(Files.size(segmentFile(log, 0))).as("rolled segment trimmed to its data").isLessThan(65536)
                .isGreaterThan(0);
        long end = log.logEndOffset();
        manager.close();

        manager = start(dir);
        log = manager.log("pre", 0).orElseThrow();
        assertThat(log.logEndOffset()).isEqualTo(end);
        assertThat(readAll(log, 0)).hasSize(40).allMatch(ReadBatch::crcOk);
        // A crash leaves the active segment at its preallocated length: recovery cuts it back to the data.
        for (int i = 0; i < 40; i++) {
            appendOk(log, TestBatches.batch(4, 2000 + i, 512));
        }
        long crashedEnd = log.logEndOffset();
        manager.halt();
        manager = start(dir);
        try {
            log = manager.log("pre", 0).orElseThrow();
            assertThat(log.logEndOffset()).isEqualTo(crashedEnd);
            assertThat(readAll(log, 0)).hasSize(80).allMatch(ReadBatch::crcOk);
            appendOk(log, TestBatches.batch(1, 3000));
            assertThat(log.logEndOffset()).isEqualTo(crashedEnd + 1);
        } finally {
            manager.close();
        }
    }

    @Test
    void fileDeleteDelayIsTheTopics() throws Exception {
        // The broker deletes removed segments at once (delay 0); one topic keeps them for an hour.
        try (LogManager manager = start(dir)) {
            Log kept = createLog(manager, "kept", Map.of("segment.bytes", "1024", "file.delete.delay.ms", "3600000"));
            Log gone = createLog(manager, "gone", Map.of("segment.bytes", "1024"));
            for (Log log : List.of(kept, gone)) {
                for (int i = 0; i < 10; i++) {
                    appendOk(log, TestBatches.batch(2, 1000 + i, 200));
                }
                assertThat(log.segmentCount()).isGreaterThan(2);
                await(log.deleteRecordsBefore(log.highWatermark()));
            }
            // Removed segments are renamed .deleted at once, then removed after the topic's delay.
            Path goneFile = deleted(segmentFile(gone, 0));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.exists(goneFile) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(goneFile).doesNotExist();
            assertThat(segmentFile(gone, 0)).doesNotExist();
            assertThat(deleted(segmentFile(kept, 0))).exists();
            assertThat(segmentFile(kept, 0)).doesNotExist();
        }
    }

    private static Path deleted(Path file) {
        return file.resolveSibling(file.getFileName() + AtomicFiles.DELETED_SUFFIX);
    }

    @Test
    void flushMessagesAndFlushMsFsyncWithoutAcksAll() throws Exception {
        AtomicInteger fsyncs = new AtomicInteger();
        AtomicLong fsyncedRecords = new AtomicLong();
        LogMetrics metrics = new LogMetrics() {
            @Override
            public void fsyncCompleted(long nanos, long records) {
                fsyncs.incrementAndGet();
                fsyncedRecords.addAndGet(records);
            }
        };
        try (LogManager manager = new LogManager(storage(dir, SMALL, true), metrics)) {
            manager.startup();
            Log every3 = createLog(manager, "every-3", Map.of("flush.messages", "3"));
            Log plain = createLog(manager, "plain", Map.of());
            for (int i = 0; i < 4; i++) {
                appendOk(plain, TestBatches.batch(1, 1000 + i));
            }
            assertThat(fsyncs.get()).as("acks=1 on a default topic").isZero();
            appendOk(every3, TestBatches.batch(2, 1000));
            assertThat(fsyncs.get()).isZero();
            // The third record is reached: this append is answered after its fsync.
            appendOk(every3, TestBatches.batch(1, 1001));
            assertThat(fsyncs.get()).isEqualTo(1);
            assertThat(fsyncedRecords.get()).isEqualTo(3);

            Log timed = createLog(manager, "timed", Map.of("flush.ms", "200"));
            appendOk(timed, TestBatches.batch(5, 1000));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fsyncedRecords.get() < 8 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(fsyncedRecords.get()).as("the idle log's records were fsynced after flush.ms").isEqualTo(8);
        }
    }
}
