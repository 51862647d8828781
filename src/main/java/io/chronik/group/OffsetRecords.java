package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Chronik's record format for committed offsets in {@code __consumer_offsets}: the key names one group's partition
 * (so compaction keeps the newest commit of each), the value is the commit; a deletion is a tombstone (no value).
 * Both start with a version (0 today); a reader skips records with a key version it does not know, so later record
 * kinds (group metadata) can share the topic.
 *
 * <pre>
 * key   v0: int16 version, string group, string topic, int32 partition
 * value v0: int16 version, int64 offset, int32 leaderEpoch, nullable string metadata, int64 commitTimestamp
 * string: int16 length (-1 for null) then UTF-8 bytes
 * </pre>
 */
public final class OffsetRecords {
    /** The key version of an offset commit. */
    public static final short OFFSET_COMMIT_KEY = 0;
    private static final short VALUE_V0 = 0;

    private OffsetRecords() {
    }

    /** A decoded record: the group and partition, and the commit (null for a tombstone). */
    public record Entry(String group, TopicPartition partition, Committed committed) {
    }

    public static byte[] key(String group, TopicPartition tp) {
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        byte[] t = tp.topic().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(2 + 2 + g.length + 2 + t.length + 4);
        buf.putShort(OFFSET_COMMIT_KEY);
        putString(buf, g);
        putString(buf, t);
        buf.putInt(tp.partition());
        return buf.array();
    }

    public static byte[] value(Committed committed) {
        byte[] m = committed.metadata() == null ? null : committed.metadata().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(2 + 8 + 4 + 2 + (m == null ? 0 : m.length) + 8);
        buf.putShort(VALUE_V0);
        buf.putLong(committed.offset());
        buf.putInt(committed.leaderEpoch());
        putString(buf, m);
        buf.putLong(committed.commitTimestamp());
        return buf.array();
    }

    /**
     * Decodes one record; null when its key is of a kind this version does not know (skipped). Throws
     * IllegalArgumentException for a record that is not in this format.
     */
    public static Entry decode(ByteBuffer key, ByteBuffer value) {
        if (key == null) {
            throw new IllegalArgumentException("offsets record without a key");
        }
        try {
            short keyVersion = key.getShort();
            if (keyVersion != OFFSET_COMMIT_KEY) {
                return null;
            }
            String group = getString(key);
            TopicPartition tp = new TopicPartition(getString(key), key.getInt());
            if (value == null) {
                return new Entry(group, tp, null);
            }
            short valueVersion = value.getShort();
            if (valueVersion != VALUE_V0) {
                throw new IllegalArgumentException("unknown offset commit value version " + valueVersion);
            }
            long offset = value.getLong();
            int leaderEpoch = value.getInt();
            String metadata = getString(value);
            return new Entry(group, tp, new Committed(offset, leaderEpoch, metadata, value.getLong()));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated offsets record", e);
        }
    }

    private static void putString(ByteBuffer buf, byte[] bytes) {
        if (bytes == null) {
            buf.putShort((short) -1);
        } else {
            if (bytes.length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("string longer than " + Short.MAX_VALUE + " bytes");
            }
            buf.putShort((short) bytes.length);
            buf.put(bytes);
        }
    }

    private static String getString(ByteBuffer buf) {
        short length = buf.getShort();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        buf.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
