package io.chronik.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Keyed record batches built with Kafka's own builder, and the records of a log read back as a consumer would. */
final class KeyedRecords {
    private KeyedRecords() {
    }

    /** One record as read back: its offset, key, value (null for a tombstone) and timestamp. */
    record Rec(long offset, String key, String value, long timestamp) {
    }

    /** A batch of records {@code key=value} (value null: a tombstone), all at {@code timestamp}. */
    static ByteBuffer batch(Compression compression, long timestamp, String... keyValues) {
        return MemoryRecords.withRecords(compression, records(timestamp, keyValues)).buffer();
    }

    static ByteBuffer batch(long timestamp, String... keyValues) {
        return batch(Compression.NONE, timestamp, keyValues);
    }

    static ByteBuffer idempotent(long producerId, short epoch, int baseSequence, long timestamp, String... keyValues) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence,
                records(timestamp, keyValues)).buffer();
    }

    /** A transactional batch of {@code producerId} (records {@code key=value}, value null: a tombstone). */
    static ByteBuffer transactional(long producerId, short epoch, int baseSequence, long timestamp,
                                    String... keyValues) {
        return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, baseSequence,
                records(timestamp, keyValues)).buffer();
    }

    private static SimpleRecord[] records(long timestamp, String... keyValues) {
        SimpleRecord[] records = new SimpleRecord[keyValues.length / 2];
        for (int i = 0; i < records.length; i++) {
            String key = keyValues[2 * i];
            String value = keyValues[2 * i + 1];
            records[i] = new SimpleRecord(timestamp, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                    value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    /** Every record from the log start to the high watermark, fetching as a consumer does. */
    static List<Rec> read(Log log) {
        List<Rec> out = new ArrayList<>();
        for (MutableRecordBatch batch : batches(log)) {
            for (Record r : batch) {
                out.add(new Rec(r.offset(), string(r.key()), string(r.value()), r.timestamp()));
            }
        }
        return out;
    }

    /** Every batch from the log start to the high watermark (CRC-checked), fetching as a consumer does. */
    static List<MutableRecordBatch> batches(Log log) {
        List<MutableRecordBatch> out = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.highWatermark()) {
            ReadResult r = log.read(next, 1 << 20, true);
            if (r.error() != LogError.NONE) {
                throw new AssertionError("read at " + next + ": " + r.error());
            }
            if (r.slice().isEmpty()) {
                throw new AssertionError("a fetch at " + next + " below the high watermark " + log.highWatermark()
                        + " finds nothing: a consumer would be stuck there");
            }
            ByteBuffer buf = ByteBuffer.allocate(r.slice().size());
            try {
                long at = r.slice().position();
                while (buf.hasRemaining()) {
                    if (r.slice().channel().read(buf, at + buf.position()) < 0) {
                        throw new AssertionError("slice past the end of its segment at " + next);
                    }
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            } finally {
                r.slice().release();
            }
            buf.flip();
            for (MutableRecordBatch batch : MemoryRecords.readableRecords(buf).batches()) {
                batch.ensureValid();
                if (batch.lastOffset() >= next) {
                    out.add(batch);
                }
                next = Math.max(next, batch.nextOffset());
            }
        }
        return out;
    }

    /** The latest value of every key in {@code records} (null for a key whose latest record is a tombstone). */
    static Map<String, String> latest(List<Rec> records) {
        Map<String, String> latest = new LinkedHashMap<>();
        for (Rec r : records) {
            latest.put(r.key(), r.value());
        }
        return latest;
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
