package io.chronik.group;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * Committed offsets, durable: an append-only log of length-prefixed, CRC-32C-checked records
 * ({@code <data-dir>/__chronik_offsets/offsets.log}), replayed at startup (a torn or corrupt tail is cut off) and
 * compacted by writing the live offsets to a new file and renaming it over the log once the log has grown past a
 * threshold and to twice its size after the previous compaction.
 *
 * <p>All writes happen on one writer thread that batches whatever is pending into one write and one fsync (group
 * commit); {@link #commit} and {@link #delete} return futures completed once the change is durable, and only then
 * is it visible to {@link #offsets}. Reads never touch the disk.
 */
public final class OffsetStore implements GroupStateStore {
    private static final Logger log = LoggerFactory.getLogger(OffsetStore.class);
    private static final byte COMMIT = 1;
    private static final byte DELETE = 2;
    static final long DEFAULT_COMPACT_AFTER_BYTES = 16L << 20;
    /** Changes waiting for the writer; more than this and commits are refused with a retriable error. */
    static final int MAX_PENDING_CHANGES = 16_384;

    /** One committed offset, with the metadata string returned unchanged (null stays null). */
    public record Committed(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    /** A partition of a topic, as committed offsets are keyed. */
    public record TopicPartition(String topic, int partition) {
    }

    /** One pending change: commits or deletions of one group. */
    private record Change(String group, Map<TopicPartition, Committed> commits, List<TopicPartition> deletions,
                          CompletableFuture<Void> done) {
    }

    private final Path dir;
    private final Path file;
    private final long compactAfterBytes;
    private final Map<String, Map<TopicPartition, Committed>> offsets = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Change> pending = new LinkedBlockingQueue<>(MAX_PENDING_CHANGES);
    private final Thread writer;
    private volatile boolean closed;
    private FileChannel channel;
    private long sizeAfterCompaction;

    public OffsetStore(Path dataDir) throws IOException {
        this(dataDir, DEFAULT_COMPACT_AFTER_BYTES);
    }

    OffsetStore(Path dataDir, long compactAfterBytes) throws IOException {
        this.dir = dataDir.resolve("__chronik_offsets");
        this.file = dir.resolve("offsets.log");
        this.compactAfterBytes = compactAfterBytes;
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve("offsets.log.tmp"));
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        replay();
        sizeAfterCompaction = channel.size();
        writer = new Thread(this::writeLoop, "chronik-offsets-writer");
        writer.setDaemon(true);
        writer.start();
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
            while (payload.hasRemaining() && channel.read(payload, position + 8 + payload.position()) > 0) {
                // read fully
            }
            CRC32C check = new CRC32C();
            check.update(payload.array());
            if ((int) check.getValue() != crc) {
                break;
            }
            try {
                apply(ByteBuffer.wrap(payload.array()));
            } catch (RuntimeException e) {
                break;
            }
            position += 8 + length;
        }
        if (position < size) {
            // A torn or corrupt tail from a crash: everything before it is intact.
            log.warn("Truncating {} from {} to {} bytes (torn or corrupt tail)", file, size, position);
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
            removeFromMemory(group, List.of(tp));
        } else {
            throw new IllegalStateException("unknown record type " + type);
        }
    }

    private void removeFromMemory(String group, List<TopicPartition> partitions) {
        offsets.computeIfPresent(group, (g, map) -> {
            partitions.forEach(map::remove);
            return map.isEmpty() ? null : map;
        });
    }

    private static String string(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.getShort() & 0xFFFF];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Commits offsets of one group; the future completes once they are durable (and visible). */
    @Override
    public CompletableFuture<Void> commit(String group, Map<TopicPartition, Committed> commits) {
        return enqueue(new Change(group, Map.copyOf(commits), List.of(), new CompletableFuture<>()));
    }

    /** Deletes some of a group's offsets; the future completes once that is durable. */
    @Override
    public CompletableFuture<Void> delete(String group, Iterable<TopicPartition> partitions) {
        List<TopicPartition> list = new ArrayList<>();
        partitions.forEach(list::add);
        return enqueue(new Change(group, Map.of(), list, new CompletableFuture<>()));
    }

    /** Deletes all offsets of a group. */
    @Override
    public CompletableFuture<Void> deleteGroup(String group) {
        Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
        return groupOffsets == null ? CompletableFuture.completedFuture(null) : delete(group, Set.copyOf(groupOffsets.keySet()));
    }

    private CompletableFuture<Void> enqueue(Change change) {
        for (TopicPartition tp : change.commits().keySet()) {
            if (utf8Length(change.group()) > 0xFFFF || utf8Length(tp.topic()) > 0xFFFF) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("group or topic name too long"));
            }
        }
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("offset store is closed"));
        }
        if (!pending.offer(change)) {
            return CompletableFuture.failedFuture(new BusyException());
        }
        return change.done();
    }

    /** The writer is too far behind to take another change; the client should retry. */
    public static final class BusyException extends RuntimeException {
        BusyException() {
            super("offset store writer is busy", null, false, false);
        }
    }

    /**
     * The error code a failed write is answered with, as Kafka's coordinator answers: a busy writer is
     * COORDINATOR_NOT_AVAILABLE, a storage failure NOT_COORDINATOR; both make clients find the coordinator and retry.
     */
    public static short errorCode(Throwable failure) {
        if (failure == null) {
            return Errors.NONE.code();
        }
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof BusyException ? Errors.COORDINATOR_NOT_AVAILABLE.code()
                : Errors.NOT_COORDINATOR.code();
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The committed offsets of one group (empty when it has none). */
    @Override
    public Map<TopicPartition, Committed> offsets(String group) {
        Map<TopicPartition, Committed> groupOffsets = offsets.get(group);
        return groupOffsets == null ? Map.of() : Map.copyOf(groupOffsets);
    }

    /** Every group's committed offsets by topic and partition (for lag: log end offset minus committed offset). */
    @Override
    public Map<String, Map<TopicPartition, Committed>> allOffsets() {
        Map<String, Map<TopicPartition, Committed>> copy = new HashMap<>();
        offsets.forEach((group, map) -> copy.put(group, Map.copyOf(map)));
        return copy;
    }

    /** Groups that have committed offsets (for ListGroups, and lag). */
    @Override
    public Set<String> groups() {
        return Set.copyOf(offsets.keySet());
    }

    private void writeLoop() {
        List<Change> batch = new ArrayList<>();
        while (!closed || !pending.isEmpty()) {
            try {
                Change first = pending.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                pending.drainTo(batch);
                writeBatch(batch);
            } catch (InterruptedException e) {
                if (closed) {
                    pending.drainTo(batch);
                    writeBatch(batch);
                    return;
                }
            } finally {
                batch.clear();
            }
        }
    }

    private void writeBatch(List<Change> batch) {
        if (batch.isEmpty()) {
            return;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Change change : batch) {
            change.commits().forEach((tp, c) -> frame(bytes, encode(COMMIT, change.group(), tp, c)));
            change.deletions().forEach(tp -> frame(bytes, encode(DELETE, change.group(), tp, null)));
        }
        long start = -1;
        try {
            start = channel.position();
            ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot write committed offsets to {}: {}", file, e.toString());
            try {
                // Forget what may have been half written, so the log stays a sequence of whole records.
                if (start >= 0) {
                    channel.truncate(start);
                    channel.position(start);
                }
            } catch (IOException ignored) {
                // the next replay cuts a torn tail
            }
            batch.forEach(c -> c.done().completeExceptionally(new UncheckedIOException(new IOException("offset write failed", e))));
            return;
        }
        for (Change change : batch) {
            if (!change.commits().isEmpty()) {
                offsets.computeIfAbsent(change.group(), g -> new ConcurrentHashMap<>()).putAll(change.commits());
            }
            if (!change.deletions().isEmpty()) {
                removeFromMemory(change.group(), change.deletions());
            }
        }
        batch.forEach(c -> c.done().complete(null));
        maybeCompact();
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

    /** Rewrites the live offsets to a new file (write, fsync, rename, fsync the directory) once the log has grown enough. */
    private void maybeCompact() {
        try {
            long size = channel.size();
            if (size < compactAfterBytes || size < 2 * sizeAfterCompaction) {
                return;
            }
            Path tmp = dir.resolve("offsets.log.tmp");
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            offsets.forEach((group, map) -> map.forEach((tp, c) -> frame(all, encode(COMMIT, group, tp, c))));
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(all.toByteArray());
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
            FileChannel old = channel;
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            channel.position(channel.size());
            sizeAfterCompaction = channel.size();
            old.close();
            log.debug("Compacted {} from {} to {} bytes", file, size, sizeAfterCompaction);
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot compact {}: {}", file, e.toString());
        }
    }

    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // not supported on every platform
        }
    }

    /** Size of the offset log on disk (for tests and diagnostics). */
    long logSize() throws IOException {
        return Files.size(file);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Change> left = new ArrayList<>();
        pending.drainTo(left);
        left.forEach(c -> c.done().completeExceptionally(new IllegalStateException("offset store is closed")));
        synchronized (this) {
            if (channel.isOpen()) {
                channel.force(true);
                channel.close();
            }
        }
    }
}
