package io.chronik.log;

import org.apache.kafka.common.compress.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Offsets by timestamp and the max-timestamp record are found per record, inside (compressed) batches. */
@Timeout(60)
class TimestampLookupTest extends ManagedLogTestSupport {
    static final long T0 = 1_700_000_000_000L;


    @Test
    void offsetForTimestampFindsTheRecordInsideACompressedBatch() {
        Log log = createLog(manager, "ts", Map.of());
        appendOk(log, TestBatches.records(Compression.lz4().build(), T0, T0 + 100, T0 + 200, T0 + 300, T0 + 400));
        appendOk(log, TestBatches.records(Compression.gzip().build(), T0 + 500, T0 + 600, T0 + 700));
        appendOk(log, TestBatches.records(Compression.NONE, T0 + 800, T0 + 900));

        assertThat(log.offsetForTimestamp(T0)).isEqualTo(new OffsetAndTimestamp(0, T0));
        assertThat(log.offsetForTimestamp(T0 + 250)).isEqualTo(new OffsetAndTimestamp(3, T0 + 300));
        assertThat(log.offsetForTimestamp(T0 + 400)).isEqualTo(new OffsetAndTimestamp(4, T0 + 400));
        assertThat(log.offsetForTimestamp(T0 + 401)).isEqualTo(new OffsetAndTimestamp(5, T0 + 500));
        assertThat(log.offsetForTimestamp(T0 + 650)).isEqualTo(new OffsetAndTimestamp(7, T0 + 700));
        assertThat(log.offsetForTimestamp(T0 + 850)).isEqualTo(new OffsetAndTimestamp(9, T0 + 900));
        assertThat(log.offsetForTimestamp(T0 + 901)).isEqualTo(new OffsetAndTimestamp(-1, -1));
    }

    @Test
    void recordsBelowTheLogStartOffsetAreSkipped() {
        Log log = createLog(manager, "trimmed", Map.of());
        appendOk(log, TestBatches.records(Compression.zstd().build(), T0, T0 + 100, T0 + 200, T0 + 300));
        assertThat(await(log.deleteRecordsBefore(2))).isEqualTo(2);
        assertThat(log.offsetForTimestamp(T0)).isEqualTo(new OffsetAndTimestamp(2, T0 + 200));
    }

    @Test
    void maxTimestampNamesTheRecordThatHoldsIt() {
        Log log = createLog(manager, "max", Map.of());
        assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(-1, -1));
        appendOk(log, TestBatches.records(Compression.lz4().build(), T0, T0 + 10, T0 + 20));
        appendOk(log, TestBatches.records(Compression.snappy().build(), T0 + 30, T0 + 5000, T0 + 40, T0 + 5000, T0 + 50));
        appendOk(log, TestBatches.records(Compression.NONE, T0 + 60, T0 + 70));
        // The second batch holds the max twice: the first of them answers, not the batch's last offset (7).
        assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(4, T0 + 5000));
    }

    @Test
    void timeIndexEntriesLeadToTheRightRecordAcrossManyBatchesAndSegments() {
        LogConfig small = SMALL.withOverrides(Map.of("segment.bytes", "2048", "index.interval.bytes", "128"));
        manager.close();
        manager = start(dir, small);
        Log log = createLog(manager, "many", Map.of());
        for (int b = 0; b < 60; b++) {
            long[] ts = new long[8];
            for (int i = 0; i < 8; i++) {
                ts[i] = T0 + (b * 8L + i) * 10;
            }
            appendOk(log, TestBatches.records(Compression.gzip().build(), ts));
        }
        assertThat(log.segmentCount()).isGreaterThan(1);
        for (long offset : new long[] {0, 7, 8, 123, 255, 300, 479}) {
            assertThat(log.offsetForTimestamp(T0 + offset * 10 - 5)).as("offset %d", offset)
                    .isEqualTo(new OffsetAndTimestamp(offset, T0 + offset * 10));
        }
        assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(479, T0 + 4790));
    }

    @Test
    void logAppendTimeRecordsAllCarryTheirBatchTimestamp() {
        Log log = createLog(manager, "lat", Map.of("message.timestamp.type", "LogAppendTime"));
        long before = System.currentTimeMillis();
        appendOk(log, TestBatches.records(Compression.lz4().build(), T0, T0 + 10, T0 + 20));
        OffsetAndTimestamp first = log.offsetForTimestamp(0);
        assertThat(first.offset()).isZero();
        assertThat(first.timestamp()).isGreaterThanOrEqualTo(before);
        assertThat(log.maxTimestamp()).isEqualTo(first);
        assertThat(log.offsetForTimestamp(first.timestamp() + 1)).isEqualTo(new OffsetAndTimestamp(-1, -1));
    }

    private static LogManager start(Path dir, LogConfig defaults) {
        try {
            return LogTestSupport.start(storage(dir, defaults, false));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
