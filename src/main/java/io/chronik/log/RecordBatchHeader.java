package io.chronik.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Fixed field offsets of Kafka's record batch format v2 (magic 2) and absolute accessors over a buffer that holds
 * batches. Storage takes its decisions (offsets, sequences, timestamps, validation) on these header fields, so records
 * stay byte-for-byte as the producer sent them; records are decoded only where a topic setting asks for it (see
 * {@link LogValidator}) and to answer a timestamp lookup (see {@link TimestampSearch}).
 */
public final class RecordBatchHeader {
    static final int BASE_OFFSET = 0;
    static final int LENGTH = 8;
    static final int PARTITION_LEADER_EPOCH = 12;
    static final int MAGIC = 16;
    static final int CRC = 17;
    static final int ATTRIBUTES = 21;
    static final int LAST_OFFSET_DELTA = 23;
    static final int BASE_TIMESTAMP = 27;
    static final int MAX_TIMESTAMP = 35;
    static final int PRODUCER_ID = 43;
    static final int PRODUCER_EPOCH = 51;
    static final int BASE_SEQUENCE = 53;
    static final int RECORDS_COUNT = 57;
    static final int HEADER_SIZE = 61;

    /** baseOffset and batchLength: enough to walk from one batch to the next. */
    static final int LOG_OVERHEAD = 12;
    /** Through lastOffsetDelta: enough to know which offsets a batch holds. */
    static final int OFFSETS_SIZE = 27;
    /** Through maxTimestamp: enough for time lookups. */
    static final int TIMESTAMPS_SIZE = 43;

    static final byte MAGIC_V2 = 2;
    static final short TIMESTAMP_TYPE_LOG_APPEND = 1 << 3;
    static final short TRANSACTIONAL = 1 << 4;
    static final short CONTROL = 1 << 5;

    private RecordBatchHeader() {
    }

    static long baseOffset(ByteBuffer b, int at) {
        return b.getLong(at + BASE_OFFSET);
    }

    /** Total size of the batch starting at {@code at}, including the 12 bytes of offset and length. */
    static long totalSize(ByteBuffer b, int at) {
        return (long) b.getInt(at + LENGTH) + LOG_OVERHEAD;
    }

    static byte magic(ByteBuffer b, int at) {
        return b.get(at + MAGIC);
    }

    static short attributes(ByteBuffer b, int at) {
        return b.getShort(at + ATTRIBUTES);
    }

    /**
     * Whether the first batch of {@code batches} (from its position) is a whole magic-2 header with the transactional
     * attribute. Reads two header fields, nothing else.
     */
    public static boolean startsTransactional(ByteBuffer batches) {
        int at = batches.position();
        return batches.remaining() >= HEADER_SIZE && magic(batches, at) >= MAGIC_V2
                && (attributes(batches, at) & TRANSACTIONAL) != 0;
    }

    static int lastOffsetDelta(ByteBuffer b, int at) {
        return b.getInt(at + LAST_OFFSET_DELTA);
    }

    static long maxTimestamp(ByteBuffer b, int at) {
        return b.getLong(at + MAX_TIMESTAMP);
    }

    static long producerId(ByteBuffer b, int at) {
        return b.getLong(at + PRODUCER_ID);
    }

    static short producerEpoch(ByteBuffer b, int at) {
        return b.getShort(at + PRODUCER_EPOCH);
    }

    static int baseSequence(ByteBuffer b, int at) {
        return b.getInt(at + BASE_SEQUENCE);
    }

    static int recordsCount(ByteBuffer b, int at) {
        return b.getInt(at + RECORDS_COUNT);
    }

    static long storedCrc(ByteBuffer b, int at) {
        return Integer.toUnsignedLong(b.getInt(at + CRC));
    }

    /** CRC-32C over attributes..end, the part of the batch the producer signed. */
    static long computeCrc(ByteBuffer b, int at, int size) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(at + size).position(at + ATTRIBUTES));
        return crc.getValue();
    }

    static void writeCrc(ByteBuffer b, int at, int size) {
        b.putInt(at + CRC, (int) computeCrc(b, at, size));
    }

    /** The sequence {@code delta} records after {@code sequence}, wrapping past Integer.MAX_VALUE to 0 as Kafka does. */
    static int incrementSequence(int sequence, int delta) {
        if (sequence > Integer.MAX_VALUE - delta) {
            return delta - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + delta;
    }
}
