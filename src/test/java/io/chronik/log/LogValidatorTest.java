package io.chronik.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** compression.type and message.timestamp.* as the append path applies them. */
@Timeout(60)
class LogValidatorTest extends ManagedLogTestSupport {
    /** A record as read back: offset, timestamp, key, value, first header value. */
    record Read(long offset, long timestamp, String key, String value, String header) {
    }

    @Test
    void batchesInAnotherCodecAreRewrittenInTheTopicsCodec() {
        Log log = createLog(manager, "gz", Map.of("compression.type", "gzip", "compression.gzip.level", "9"));
        long now = System.currentTimeMillis();
        appendOk(log, TestBatches.records(Compression.lz4().build(), now, now + 1, now + 2));
        appendOk(log, TestBatches.records(Compression.NONE, now + 3, now + 4));
        appendOk(log, TestBatches.records(Compression.gzip().build(), now + 5));
        // Two batches in one request: both rewritten, each on its own.
        appendOk(log, TestBatches.concat(TestBatches.records(Compression.snappy().build(), now + 6, now + 7),
                TestBatches.records(Compression.zstd().build(), now + 8)));

        List<MutableRecordBatch> stored = storedBatches(log);
        assertThat(stored).extracting(MutableRecordBatch::compressionType).containsOnly(CompressionType.GZIP);
        assertThat(stored).extracting(MutableRecordBatch::baseOffset).containsExactly(0L, 3L, 5L, 6L, 8L);
        assertThat(stored).extracting(MutableRecordBatch::lastOffset).containsExactly(2L, 4L, 5L, 7L, 8L);
        assertThat(stored).allMatch(MutableRecordBatch::isValid);
        List<Read> records = records(stored);
        assertThat(records).hasSize(9);
        assertThat(records.get(0)).isEqualTo(new Read(0, now, "k0", "v0", "x0"));
        assertThat(records.get(2)).isEqualTo(new Read(2, now + 2, "k2", "v2", "x2"));
        assertThat(records.get(4)).isEqualTo(new Read(4, now + 4, "k1", "v1", "x1"));
        assertThat(records.get(7)).isEqualTo(new Read(7, now + 7, "k1", "v1", "x1"));
        assertThat(records.get(8)).isEqualTo(new Read(8, now + 8, "k0", "v0", "x0"));
        assertThat(stored.get(0).maxTimestamp()).isEqualTo(now + 2);
    }

    @Test
    void producerKeepsEveryBatchAsItCameAndAMatchingCodecIsNotRewritten() {
        long now = System.currentTimeMillis();
        ByteBuffer lz4 = TestBatches.records(Compression.lz4().build(), now, now + 1);
        for (String type : List.of("producer", "lz4")) {
            Log log = createLog(manager, "keep-" + type, Map.of("compression.type", type));
            appendOk(log, lz4.duplicate());
            List<MutableRecordBatch> stored = storedBatches(log);
            assertThat(stored).hasSize(1);
            assertThat(stored.get(0).compressionType()).isEqualTo(CompressionType.LZ4);
            assertThat(stored.get(0).checksum()).as(type).isEqualTo(RecordBatchHeader.storedCrc(lz4, 0));
        }
        Log plain = createLog(manager, "plain", Map.of("compression.type", "uncompressed"));
        appendOk(plain, TestBatches.records(Compression.zstd().build(), now, now + 1));
        assertThat(storedBatches(plain)).extracting(MutableRecordBatch::compressionType).containsExactly(CompressionType.NONE);
        assertThat(records(storedBatches(plain))).extracting(Read::value).containsExactly("v0", "v1");
    }

    @Test
    void idempotentBatchesKeepTheirProducerStateThroughRecompression() {
        Log log = createLog(manager, "idem", Map.of("compression.type", "zstd"));
        long now = System.currentTimeMillis();
        ByteBuffer first = TestBatches.records(Compression.NONE, 42, (short) 3, 0, now, now + 1);
        appendOk(log, first.duplicate());
        appendOk(log, TestBatches.records(Compression.gzip().build(), 42, (short) 3, 2, now + 2));
        // A retry of the first batch is recognised as a duplicate: nothing is written twice.
        AppendResult retry = appendOk(log, first.duplicate());
        assertThat(retry.baseOffset()).isZero();
        assertThat(log.logEndOffset()).isEqualTo(3);
        List<MutableRecordBatch> stored = storedBatches(log);
        assertThat(stored).extracting(MutableRecordBatch::producerId).containsOnly(42L);
        assertThat(stored).extracting(MutableRecordBatch::producerEpoch).containsOnly((short) 3);
        assertThat(stored).extracting(MutableRecordBatch::baseSequence).containsExactly(0, 2);
        assertThat(stored).extracting(MutableRecordBatch::compressionType).containsOnly(CompressionType.ZSTD);
        AppendResult outOfOrder = append(log, TestBatches.records(Compression.NONE, 42, (short) 3, 7, now));
        assertThat(outOfOrder.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
    }

    @Test
    void logAppendTimeTopicsStampRewrittenBatches() {
        Log log = createLog(manager, "lat", Map.of("compression.type", "snappy", "message.timestamp.type", "LogAppendTime"));
        long before = System.currentTimeMillis();
        AppendResult result = appendOk(log, TestBatches.records(Compression.lz4().build(), 1000, 2000));
        assertThat(result.logAppendTime()).isGreaterThanOrEqualTo(before);
        MutableRecordBatch stored = storedBatches(log).get(0);
        assertThat(stored.compressionType()).isEqualTo(CompressionType.SNAPPY);
        assertThat(stored.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(stored.isValid()).isTrue();
        assertThat(records(List.of(stored))).extracting(Read::timestamp).containsOnly(result.logAppendTime());
    }

    @Test
    void aRecompressedBatchLargerThanMaxMessageBytesIsRejected() {
        Log log = createLog(manager, "grows", Map.of("compression.type", "uncompressed", "max.message.bytes", "20000"));
        byte[] zeros = new byte[100_000];
        org.apache.kafka.common.record.internal.MemoryRecordsBuilder builder = MemoryRecords.builder(
                ByteBuffer.allocate(1024), Compression.zstd().build(), TimestampType.CREATE_TIME, 0L);
        builder.append(System.currentTimeMillis(), null, zeros);
        AppendResult result = append(log, builder.build().buffer());
        assertThat(result.error()).isEqualTo(LogError.MESSAGE_TOO_LARGE);
        assertThat(result.message()).contains("max.message.bytes");
        assertThat(log.logEndOffset()).isZero();
    }

    @Test
    void createTimeOutsideTheAllowedRangeIsRejected() {
        Log log = createLog(manager, "range", Map.of("message.timestamp.before.max.ms", "60000",
                "message.timestamp.after.max.ms", "60000"));
        long now = System.currentTimeMillis();
        appendOk(log, TestBatches.records(Compression.NONE, now - 30_000, now, now + 30_000));

        AppendResult ahead = append(log, TestBatches.records(Compression.lz4().build(), now, now + 3_600_000));
        assertThat(ahead.error()).isEqualTo(LogError.INVALID_TIMESTAMP);
        assertThat(ahead.message()).contains("message.timestamp.after.max.ms");
        // The oldest record is neither first nor last: found by reading the records, compressed or not.
        for (Compression compression : List.of(Compression.NONE, Compression.gzip().build())) {
            AppendResult old = append(log, TestBatches.records(compression, now, now - 3_600_000, now));
            assertThat(old.error()).isEqualTo(LogError.INVALID_TIMESTAMP);
            assertThat(old.message()).contains("out of range");
        }
        assertThat(log.logEndOffset()).isEqualTo(3);

        // The default after.max.ms is one hour, checked without decoding anything.
        Log defaults = createLog(manager, "defaults", Map.of());
        assertThat(append(defaults, TestBatches.records(Compression.NONE, now + 7_200_000)).error())
                .isEqualTo(LogError.INVALID_TIMESTAMP);
        appendOk(defaults, TestBatches.records(Compression.NONE, 0, now + 60_000));
        // Records without a timestamp are not checked.
        appendOk(log, TestBatches.records(Compression.NONE, -1, now));
    }

    @Test
    void rewrittenBatchesAreCheckedRecordByRecord() {
        Log log = createLog(manager, "both", Map.of("compression.type", "gzip", "message.timestamp.before.max.ms", "60000"));
        long now = System.currentTimeMillis();
        assertThat(append(log, TestBatches.records(Compression.lz4().build(), now, now - 3_600_000)).error())
                .isEqualTo(LogError.INVALID_TIMESTAMP);
        assertThat(log.logEndOffset()).isZero();
    }

    @Test
    void logAppendTimeTopicsCheckNoRangeButProducersMayNotSetLogAppendTime() {
        Log log = createLog(manager, "lat-range", Map.of("message.timestamp.type", "LogAppendTime",
                "message.timestamp.after.max.ms", "0", "message.timestamp.before.max.ms", "0"));
        appendOk(log, TestBatches.records(Compression.NONE, 1000, 5_000_000_000_000L));
        ByteBuffer producerStamped = TestBatches.build(TestBatches.NO_PRODUCER_ID, (short) -1, -1, 1,
                System.currentTimeMillis(), 8, RecordBatchHeader.TIMESTAMP_TYPE_LOG_APPEND);
        assertThat(append(log, producerStamped).error()).isEqualTo(LogError.INVALID_TIMESTAMP);
    }

    @Test
    void targetCodecsFollowKafkasNames() {
        assertThat(LogValidator.targetCodec("producer")).isEqualTo(-1);
        assertThat(LogValidator.targetCodec("uncompressed")).isZero();
        assertThat(LogValidator.targetCodec("gzip")).isEqualTo(1);
        assertThat(LogValidator.targetCodec("snappy")).isEqualTo(2);
        assertThat(LogValidator.targetCodec("lz4")).isEqualTo(3);
        assertThat(LogValidator.targetCodec("zstd")).isEqualTo(4);
    }

    /** Every batch in the log's segment files, decoded by Kafka's record classes. */
    static List<MutableRecordBatch> storedBatches(Log log) {
        List<MutableRecordBatch> out = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.highWatermark()) {
            FileSlice slice = log.read(next, 1 << 20, true).slice();
            ByteBuffer buf = ByteBuffer.allocate(slice.size());
            try {
                FileChannel ch = slice.channel();
                while (buf.hasRemaining() && ch.read(buf, slice.position() + buf.position()) > 0) {
                    // read the whole slice
                }
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } finally {
                slice.release();
            }
            for (MutableRecordBatch batch : MemoryRecords.readableRecords(buf.flip()).batches()) {
                out.add(batch);
                next = batch.lastOffset() + 1;
            }
        }
        return out;
    }

    static List<Read> records(List<MutableRecordBatch> batches) {
        List<Read> out = new ArrayList<>();
        for (MutableRecordBatch batch : batches) {
            for (Record r : batch) {
                out.add(new Read(r.offset(), r.timestamp(), string(r.key()), string(r.value()),
                        r.headers().length == 0 ? null : new String(r.headers()[0].value(), StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    private static String string(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
