package io.chronik.group;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * Committed offsets, durable: an append-only log of CRC-checked records ({@code <data-dir>/__chronik_offsets/offsets.log}),
 * replayed at startup (a torn or corrupt tail is cut off) and compacted by rewriting the live offsets to a new
 * file (write, fsync, rename) once it has grown well past them. Callers write from a worker thread, never an
 * event loop; each write is fsynced before it returns.
 */
public final class OffsetStore implements AutoCloseable {
    private static final byte COMMIT = 1;
    private static final byte DELETE = 2;
    private static final long COMPACT_AFTER_BYTES = 64L << 20;

    /** One committed offset, with the metadata string returned unchanged. */
    public record Committed(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    /** A partition of a topic, as committed offsets are keyed. */
    public record TopicPartition(String topic, int partition) {
    }

    private final Path dir;
    private final Path file;
    private final Map<String, Map<TopicPartition, Committed>> offsets = new ConcurrentHashMap<>();
    private FileChannel channel;
    private long liveRecords;

    public OffsetStore(Path dataDir) throws IOException {
        this.dir = dataDir.resolve("__chronik_offsets");
        this.file = dir.resolve("offsets.log");
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve("offsets.log.tmp"));
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        replay();
    }

    private void replay() throws IOException {
        long size = channel.size();
        long position = 0;
        ByteBuffer header = ByteBuffer.allocate(8);
        while (position + 8 <= size) {
            header.clear();
            channel.read(header, position);
            header.flip();
            int length = header.getInt();
            int crc = header.getInt();
            if (length <= 0 || length > (1 << 20) || position + 8 + length > size) {
                break;
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            channel.read(payload, position + 8);
            CRC32C check = new CRC32C();
            check.update(payload.array());
            if ((int) check.getValue() != crc) {
                break;
            }
            apply(ByteBuffer.wrap(payload.array()));
            position += 8 + length;
        }
        if (position < size) {
            // A torn or corrupt tail from a crash: everything before it is intact.
            channel.truncate(position);
            channel.force(true);
        }
        channel.position(position);
    }

    private void apply(ByteBuffer record) {
        byte type = record.get();
        String group = string(record);
        String topic = string(record);
        int partition = record.getInt();
        TopicPartition tp = new TopicPartition(topic, partition);
        if (type == COMMIT) {
            long offset = record.getLong();
            int epoch = record.getInt();
            String metadata = record.get() == 1 ? string(record) : null;
            long timestamp = record.getLong();
            offsets.computeIfAbsent(group, g -> new ConcurrentHashMap<>()).put(tp, new Committed(offset, epoch, metadata, timestamp));
        } else if (type == DELETE) {
            Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
            if (groupOffsets != null) {
                groupOffsets.remove(tp);
                if (groupOffsets.isEmpty()) {
                    offsets.remove(group);
                }
            }
        }
    }

    private static String string(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.getShort() & 0xFFFF];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Commits offsets of one group; durable when this returns. */
    public synchronized void commit(String group, Map<TopicPartition, Committed> commits) {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        commits.forEach((tp, c) -> frame(batch, encode(COMMIT, group, tp, c)));
        write(batch.toByteArray());
        Map<TopicPartition, Committed> groupOffsets = offsets.computeIfAbsent(group, g -> new ConcurrentHashMap<>());
        groupOffsets.putAll(commits);
        liveRecords += commits.size();
        maybeCompact();
    }

    /** Deletes some of a group's offsets; durable when this returns. */
    public synchronized void delete(String group, Iterable<TopicPartition> partitions) {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (TopicPartition tp : partitions) {
            frame(batch, encode(DELETE, group, tp, null));
        }
        write(batch.toByteArray());
        Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
        if (groupOffsets != null) {
            partitions.forEach(groupOffsets::remove);
            if (groupOffsets.isEmpty()) {
                offsets.remove(group);
            }
        }
    }

    public void deleteGroup(String group) {
        Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
        if (groupOffsets != null) {
            delete(group, Map.copyOf(groupOffsets).keySet());
        }
    }

    public Map<TopicPartition, Committed> offsets(String group) {
        Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
        return groupOffsets == null ? Map.of() : Map.copyOf(groupOffsets);
    }

    /** Groups that have committed offsets (for ListGroups, and lag). */
    public java.util.Set<String> groups() {
        return java.util.Set.copyOf(offsets.keySet());
    }

    private static byte[] encode(byte type, String group, TopicPartition tp, Committed c) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(type);
            writeString(out, group);
            writeString(out, tp.topic());
            out.writeInt(tp.partition());
            if (type == COMMIT) {
                out.writeLong(c.offset());
                out.writeInt(c.leaderEpoch());
                out.writeByte(c.metadata() == null ? 0 : 1);
                if (c.metadata() != null) {
                    writeString(out, c.metadata());
                }
                out.writeLong(c.commitTimestamp());
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + bytes.length + " bytes is too long to commit");
        }
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static void frame(ByteArrayOutputStream batch, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer header = ByteBuffer.allocate(8).putInt(payload.length).putInt((int) crc.getValue());
        batch.writeBytes(header.array());
        batch.writeBytes(payload);
    }

    private void write(byte[] bytes) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write committed offsets to " + file, e);
        }
    }

    private void maybeCompact() {
        try {
            if (channel.size() < COMPACT_AFTER_BYTES || liveRecords < 1000) {
                return;
            }
            Path tmp = dir.resolve("offsets.log.tmp");
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            Map<String, Map<TopicPartition, Committed>> snapshot = new HashMap<>(offsets);
            snapshot.forEach((group, map) -> map.forEach((tp, c) -> frame(all, encode(COMMIT, group, tp, c))));
            Files.write(tmp, all.toByteArray(), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
            channel.close();
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            channel.position(channel.size());
            liveRecords = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compact " + file, e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        channel.force(true);
        channel.close();
    }
}
