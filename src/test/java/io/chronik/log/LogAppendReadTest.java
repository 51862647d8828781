package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class LogAppendReadTest extends ManagedLogTestSupport {
    @Test
    void appendsAssignOffsetsAndReadReturnsTheBatches() {
        Log log = createLog(manager, "t", Map.of());
        assertThat(log.logEndOffset()).isZero();
        assertThat(appendOk(log, TestBatches.batch(3, 1000)).baseOffset()).isZero();
        AppendResult second = appendOk(log, TestBatches.concat(TestBatches.batch(2, 2000), TestBatches.batch(4, 3000)));
        assertThat(second.baseOffset()).isEqualTo(3);
        assertThat(second.recordCount()).isEqualTo(6);
        assertThat(log.logEndOffset()).isEqualTo(9);
        assertThat(log.highWatermark()).isEqualTo(9);

        List<ReadBatch> read = batches(log.read(0, 1 << 20, false).slice());
        assertThat(read).extracting(ReadBatch::baseOffset).containsExactly(0L, 3L, 5L);
        assertThat(read).extracting(ReadBatch::lastOffset).containsExactly(2L, 4L, 8L);
        assertThat(read).allMatch(ReadBatch::crcOk);
        // A fetch in the middle of a batch starts with that whole batch.
        assertThat(batches(log.read(6, 1 << 20, false).slice())).extracting(ReadBatch::baseOffset).containsExactly(5L);
        ReadResult atEnd = log.read(9, 1 << 20, false);
        assertThat(atEnd.error()).isEqualTo(LogError.NONE);
        assertThat(atEnd.slice().isEmpty()).isTrue();
        assertThat(log.sizeInBytes()).isPositive();
    }

    @Test
    void callsOnOnePartitionAreAppendedInCallOrder() {
        Log log = createLog(manager, "order", Map.of());
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(log.append(TestBatches.batch(1, i), false));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(await(futures.get(i)).baseOffset()).isEqualTo(i);
        }
    }

    @Test
    void outOfRangeFetchesAreRejected() {
        Log log = createLog(manager, "range", Map.of());
        appendOk(log, TestBatches.batch(5, 1));
        assertThat(log.read(6, 1000, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
        assertThat(log.read(-1, 1000, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
        assertThat(log.read(5, 1000, true).error()).isEqualTo(LogError.NONE);
    }

    @Test
    void corruptBatchIsRejectedAndNothingIsWritten() {
        Log log = createLog(manager, "crc", Map.of());
        ByteBuffer good = TestBatches.batch(2, 1);
        ByteBuffer bad = TestBatches.batch(2, 1);
        bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 0x55));
        AppendResult result = append(log, TestBatches.concat(good, bad));
        assertThat(result.error()).isEqualTo(LogError.CORRUPT_MESSAGE);
        assertThat(result.baseOffset()).isEqualTo(-1);
        assertThat(log.logEndOffset()).isZero();
        assertThat(log.sizeInBytes()).isZero();
    }

    @Test
    void malformedRequestsAreRejected() {
        Log log = createLog(manager, "malformed", Map.of());
        assertThat(append(log, ByteBuffer.allocate(0)).error()).isEqualTo(LogError.INVALID_RECORD);
        ByteBuffer truncated = TestBatches.batch(3, 1);
        truncated.limit(truncated.limit() - 4);
        assertThat(append(log, truncated).error()).isEqualTo(LogError.CORRUPT_MESSAGE);
        ByteBuffer magic1 = TestBatches.batch(1, 1);
        magic1.put(RecordBatchHeader.MAGIC, (byte) 1);
        assertThat(append(log, magic1).error()).isEqualTo(LogError.INVALID_RECORD);
        // Control batches come from transaction coordinators (WriteTxnMarkers), never from a client's produce.
        ByteBuffer control = TestBatches.build(7, (short) 0, 0, 1, 1, 8,
                (short) (RecordBatchHeader.TRANSACTIONAL | RecordBatchHeader.CONTROL));
        assertThat(append(log, control).error()).isEqualTo(LogError.INVALID_RECORD);
        ByteBuffer noProducer = TestBatches.build(-1, (short) -1, -1, 1, 1, 8, RecordBatchHeader.TRANSACTIONAL);
        assertThat(append(log, noProducer).error()).isEqualTo(LogError.INVALID_RECORD);
        ByteBuffer badCount = TestBatches.batch(2, 1);
        badCount.putInt(RecordBatchHeader.RECORDS_COUNT, 5);
        RecordBatchHeader.writeCrc(badCount, 0, badCount.limit());
        assertThat(append(log, badCount).error()).isEqualTo(LogError.INVALID_RECORD);
        assertThat(log.logEndOffset()).isZero();
    }

    @Test
    void batchLargerThanMaxMessageBytesIsRejected() {
        Log log = createLog(manager, "big", Map.of("max.message.bytes", "500"));
        assertThat(append(log, TestBatches.batch(1, 1, 1000)).error()).isEqualTo(LogError.MESSAGE_TOO_LARGE);
        assertThat(append(log, TestBatches.batch(1, 1, 100)).error()).isEqualTo(LogError.NONE);
    }

    @Test
    void readHonoursMaxBytesAndMinOneBatch() {
        Log log = createLog(manager, "limits", Map.of());
        ByteBuffer b = TestBatches.batch(1, 1, 100);
        int size = b.remaining();
        for (int i = 0; i < 5; i++) {
            appendOk(log, TestBatches.batch(1, 1, 100));
        }
        assertThat(batches(log.read(0, size * 2 + 10, false).slice())).hasSize(2);
        assertThat(batches(log.read(0, size * 5, false).slice())).hasSize(5);
        assertThat(log.read(0, size - 1, false).slice().isEmpty()).isTrue();
        assertThat(batches(log.read(0, size - 1, true).slice())).hasSize(1);
        assertThat(batches(log.read(0, 0, true).slice())).hasSize(1);
    }

    @Test
    void segmentsRollBySizeAndReadsCrossThem() {
        Log log = createLog(manager, "roll", Map.of("segment.bytes", "1000", "index.interval.bytes", "100"));
        for (int i = 0; i < 100; i++) {
            appendOk(log, TestBatches.batch(2, 1000 + i, 50));
        }
        assertThat(log.segmentCount()).isGreaterThan(10);
        try (var files = Files.list(log.dir())) {
            assertThat(files.filter(p -> p.toString().endsWith(".log")).count()).isEqualTo(log.segmentCount());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        // A read never spans two segments, but a consumer loop sees every batch exactly once.
        List<ReadBatch> all = readAll(log, 0);
        assertThat(all).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(all.get(i).baseOffset()).isEqualTo(2L * i);
        }
        for (long offset = 0; offset < 200; offset += 7) {
            List<ReadBatch> got = batches(log.read(offset, 1, true).slice());
            assertThat(got).hasSize(1);
            assertThat(got.get(0).baseOffset()).isEqualTo(offset - offset % 2);
        }
    }

    @Test
    void offsetForTimestampAndMaxTimestamp() {
        Log log = createLog(manager, "time", Map.of("segment.bytes", "600", "index.interval.bytes", "1"));
        assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(-1, -1));
        long[] timestamps = {100, 200, 150, 300, 250, 400, 400, 500};
        for (long ts : timestamps) {
            appendOk(log, TestBatches.batch(2, ts, 40));
        }
        assertThat(log.segmentCount()).isGreaterThan(1);
        assertThat(log.offsetForTimestamp(0)).isEqualTo(new OffsetAndTimestamp(0, 100));
        assertThat(log.offsetForTimestamp(100)).isEqualTo(new OffsetAndTimestamp(0, 100));
        assertThat(log.offsetForTimestamp(101)).isEqualTo(new OffsetAndTimestamp(2, 200));
        assertThat(log.offsetForTimestamp(260)).isEqualTo(new OffsetAndTimestamp(6, 300));
        assertThat(log.offsetForTimestamp(301)).isEqualTo(new OffsetAndTimestamp(10, 400));
        assertThat(log.offsetForTimestamp(500)).isEqualTo(new OffsetAndTimestamp(14, 500));
        assertThat(log.offsetForTimestamp(501)).isEqualTo(new OffsetAndTimestamp(-1, -1));
        // Both records of the last batch carry 500: the first of them holds the max, as in Kafka.
        assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(14, 500));
    }

    @Test
    void logAppendTimeStampsBatchesAndKeepsTheCrcValid() {
        Log log = createLog(manager, "lat", Map.of("message.timestamp.type", "LogAppendTime"));
        long before = System.currentTimeMillis();
        AppendResult result = appendOk(log, TestBatches.batch(3, 5));
        assertThat(result.logAppendTime()).isGreaterThanOrEqualTo(before);
        List<ReadBatch> read = batches(log.read(0, 10_000, true).slice());
        assertThat(read.get(0).maxTimestamp()).isEqualTo(result.logAppendTime());
        assertThat(read.get(0).crcOk()).isTrue();
    }

    @Test
    void onAppendCompletesAtTheNextAppend() {
        Log log = createLog(manager, "signal", Map.of());
        CompletableFuture<Void> signal = log.onAppend();
        assertThat(signal).isNotDone();
        appendOk(log, TestBatches.batch(1, 1));
        assertThat(signal).isDone();
        assertThat(log.onAppend()).isNotDone();
    }

    @Test
    void readsReturnAsManyWholeBatchesAsFitWhateverTheIndexDensity() {
        for (String interval : new String[]{"1", "500", "100000"}) {
            Log log = createLog(manager, "dense" + interval, Map.of("index.interval.bytes", interval));
            int size = TestBatches.batch(1, 1, 60).remaining();
            for (int i = 0; i < 50; i++) {
                appendOk(log, TestBatches.batch(1, i, 60));
            }
            for (int maxBytes = size; maxBytes < size * 52; maxBytes += 97) {
                for (long from : new long[]{0, 7, 31}) {
                    ReadResult r = log.read(from, maxBytes, false);
                    List<ReadBatch> got = batches(r.slice());
                    int expected = (int) Math.min(maxBytes / size, 50 - from);
                    assertThat(got).hasSize(expected);
                    assertThat(got.get(0).baseOffset()).isEqualTo(from);
                    assertThat(r.slice().size()).isEqualTo(expected * size);
                }
            }
        }
    }
}
