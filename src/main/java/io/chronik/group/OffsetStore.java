package io.chronik.group;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The committed-offset types shared by the group coordinator, and the reader of the offset log earlier releases kept
 * for a broker alone ({@code <data-dir>/__chronik_offsets/offsets.log}: length-prefixed, CRC-32C-checked COMMIT and
 * DELETE records), read once by {@link LocalOffsetsTopic} to move its offsets into {@code __consumer_offsets}.
 */
public final class OffsetStore {
    private static final Logger log = LoggerFactory.getLogger(OffsetStore.class);
    static final String DIR = "__chronik_offsets";
    static final String FILE = "offsets.log";
    static final byte COMMIT = 1;
    static final byte DELETE = 2;

    /** One committed offset, with the metadata string returned unchanged (null stays null). */
    public record Committed(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    /** A partition of a topic, as committed offsets are keyed. */
    public record TopicPartition(String topic, int partition) {
    }

    private OffsetStore() {
    }

    /**
     * The live offsets of the old log in {@code dataDir}, by group (empty when there is none). A torn or corrupt tail
     * (a crash while writing) ends the replay; the file is not changed.
     */
    public static Map<String, Map<TopicPartition, Committed>> read(Path dataDir) throws IOException {
        Map<String, Map<TopicPartition, Committed>> offsets = new HashMap<>();
        Path file = dataDir.resolve(DIR).resolve(FILE);
        if (!Files.exists(file)) {
            return offsets;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long position = 0;
            ByteBuffer header = ByteBuffer.allocate(8);
            while (position + 8 <= size) {
                header.clear();
                readFully(channel, header, position);
                header.flip();
                int length = header.getInt();
                int crc = header.getInt();
                if (length <= 0 || length > (1 << 20) || position + 8 + length > size) {
                    break;
                }
                ByteBuffer payload = ByteBuffer.allocate(length);
                readFully(channel, payload, position + 8);
                CRC32C check = new CRC32C();
                check.update(payload.array());
                if ((int) check.getValue() != crc) {
                    break;
                }
                try {
                    apply(offsets, ByteBuffer.wrap(payload.array()));
                } catch (RuntimeException e) {
                    break;
                }
                position += 8 + length;
            }
            if (position < size) {
                log.warn("Ignoring the last {} bytes of {} (torn or corrupt tail)", size - position, file);
            }
        }
        return offsets;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static void apply(Map<String, Map<TopicPartition, Committed>> offsets, ByteBuffer record) {
        byte type = record.get();
        String group = string(record);
        TopicPartition tp = new TopicPartition(string(record), record.getInt());
        if (type == COMMIT) {
            long offset = record.getLong();
            int epoch = record.getInt();
            String metadata = record.get() == 1 ? string(record) : null;
            long timestamp = record.getLong();
            offsets.computeIfAbsent(group, g -> new HashMap<>()).put(tp, new Committed(offset, epoch, metadata, timestamp));
        } else if (type == DELETE) {
            Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
            if (groupOffsets != null) {
                groupOffsets.remove(tp);
                if (groupOffsets.isEmpty()) {
                    offsets.remove(group);
                }
            }
        } else {
            throw new IllegalStateException("unknown record type " + type);
        }
    }

    private static String string(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.getShort() & 0xFFFF];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
