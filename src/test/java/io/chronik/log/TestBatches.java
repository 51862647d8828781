package io.chronik.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Writes valid v2 record batches (by hand, or with Kafka's record builder when compressed), and a few broken ones. */
final class TestBatches {
    static final long NO_PRODUCER_ID = -1;

    private TestBatches() {
    }

    /** A plain batch of {@code count} records with values "v0".."v{count-1}" padded to {@code valueSize}. */
    static ByteBuffer batch(int count, long timestamp) {
        return build(NO_PRODUCER_ID, (short) -1, -1, count, timestamp, 8, (short) 0);
    }

    static ByteBuffer batch(int count, long timestamp, int valueSize) {
        return build(NO_PRODUCER_ID, (short) -1, -1, count, timestamp, valueSize, (short) 0);
    }

    static ByteBuffer idempotent(long producerId, short epoch, int baseSequence, int count) {
        return build(producerId, epoch, baseSequence, count, System.currentTimeMillis(), 8, (short) 0);
    }

    static ByteBuffer build(long producerId, short epoch, int baseSequence, int count, long timestamp, int valueSize,
                            short attributes) {
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            byte[] value = pad("v" + i, valueSize);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(0); // attributes
            writeVarlong(body, 0); // timestamp delta: all records at the batch's timestamp
            writeVarint(body, i); // offset delta
            writeVarint(body, -1); // null key
            writeVarint(body, value.length);
            body.writeBytes(value);
            writeVarint(body, 0); // no headers
            writeVarint(records, body.size());
            records.writeBytes(body.toByteArray());
        }
        byte[] recordBytes = records.toByteArray();
        int size = RecordBatchHeader.HEADER_SIZE + recordBytes.length;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(0L) // baseOffset, assigned by the broker
                .putInt(size - 12)
                .putInt(-1) // partition leader epoch
                .put((byte) 2)
                .putInt(0) // crc, below
                .putShort(attributes)
                .putInt(count - 1)
                .putLong(timestamp)
                .putLong(timestamp)
                .putLong(producerId)
                .putShort(epoch)
                .putInt(baseSequence)
                .putInt(count)
                .put(recordBytes);
        b.flip();
        RecordBatchHeader.writeCrc(b, 0, size);
        return b;
    }

    /**
     * One batch written by Kafka's own record builder: a record per timestamp, values "v0".., keys "k0"... and a
     * header, compressed with {@code compression}, optionally idempotent.
     */
    static ByteBuffer records(Compression compression, long producerId, short epoch, int baseSequence,
                              long... timestamps) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.CURRENT_MAGIC_VALUE,
                compression, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, producerId, epoch, baseSequence,
                false, RecordBatch.NO_PARTITION_LEADER_EPOCH);
        for (int i = 0; i < timestamps.length; i++) {
            builder.appendWithOffset(i, timestamps[i], ("k" + i).getBytes(StandardCharsets.UTF_8),
                    ("v" + i).getBytes(StandardCharsets.UTF_8),
                    new Header[] {new RecordHeader("h", ("x" + i).getBytes(StandardCharsets.UTF_8))});
        }
        return builder.build().buffer();
    }

    static ByteBuffer records(Compression compression, long... timestamps) {
        return records(compression, NO_PRODUCER_ID, (short) -1, -1, timestamps);
    }

    static ByteBuffer concat(ByteBuffer... buffers) {
        int size = 0;
        for (ByteBuffer b : buffers) {
            size += b.remaining();
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (ByteBuffer b : buffers) {
            out.put(b.duplicate());
        }
        return out.flip();
    }

    private static byte[] pad(String s, int size) {
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[Math.max(size, raw.length)];
        java.util.Arrays.fill(out, (byte) '.');
        System.arraycopy(raw, 0, out, 0, raw.length);
        return out;
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        int v = (value << 1) ^ (value >> 31);
        while ((v & 0xffffff80) != 0) {
            out.write((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private static void writeVarlong(ByteArrayOutputStream out, long value) {
        long v = (value << 1) ^ (value >> 63);
        while ((v & 0xffffffffffffff80L) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    static boolean crcValid(ByteBuffer b, int at, int size) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(at + RecordBatchHeader.ATTRIBUTES).limit(at + size));
        return crc.getValue() == RecordBatchHeader.storedCrc(b, at);
    }
}
