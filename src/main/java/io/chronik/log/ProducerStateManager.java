package io.chronik.log;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Idempotent-producer state of one partition, as Kafka keeps it: per producer id its epoch and the metadata of its
 * last five batches, so a retried batch is recognised as a duplicate and a gap in sequences is refused. Snapshots
 * ({@code <offset>.snapshot}) hold the state for all batches below their offset, so recovery only replays the log
 * after the newest one.
 */
final class ProducerStateManager {
    static final int MAX_CACHED_BATCHES = 5;
    static final String SNAPSHOT_SUFFIX = ".snapshot";
    private static final int SNAPSHOT_MAGIC = 0x43505331; // "CPS1"
    private static final int SNAPSHOTS_KEPT = 2;

    record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {
    }

    /** Immutable, so a pending append can build on it without touching the committed state. */
    record ProducerEntry(short epoch, List<BatchMetadata> batches) {
        ProducerEntry with(BatchMetadata batch) {
            List<BatchMetadata> next = new ArrayList<>(batches.size() + 1);
            int skip = Math.max(0, batches.size() + 1 - MAX_CACHED_BATCHES);
            next.addAll(batches.subList(skip, batches.size()));
            next.add(batch);
            return new ProducerEntry(epoch, List.copyOf(next));
        }

        BatchMetadata find(int firstSeq, int lastSeq) {
            for (BatchMetadata b : batches) {
                if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
                    return b;
                }
            }
            return null;
        }
    }

    /** One idempotent batch of an append, with the offsets it is about to get. */
    record IdempotentBatch(long producerId, short epoch, int baseSequence, int lastOffsetDelta, long firstOffset,
                           long lastOffset, long timestamp) {
    }

    /** Result of checking an append: an error, a duplicate of an earlier batch, or the updates to apply. */
    record Check(LogError error, String message, BatchMetadata duplicate, Map<Long, ProducerEntry> updates) {
    }

    private final Map<Long, ProducerEntry> producers = new HashMap<>();

    synchronized int size() {
        return producers.size();
    }

    synchronized ProducerEntry entry(long producerId) {
        return producers.get(producerId);
    }

    /** Checks the batches in order against the committed state plus the earlier batches of the same append. */
    synchronized Check check(List<IdempotentBatch> batches) {
        Map<Long, ProducerEntry> updates = new HashMap<>();
        for (IdempotentBatch b : batches) {
            ProducerEntry current = updates.containsKey(b.producerId()) ? updates.get(b.producerId())
                    : producers.get(b.producerId());
            int firstSeq = b.baseSequence();
            if (firstSeq < 0) {
                return new Check(LogError.INVALID_RECORD, "Idempotent batch of producer " + b.producerId()
                        + " has no sequence number", null, null);
            }
            int lastSeq = RecordBatchHeader.incrementSequence(firstSeq, b.lastOffsetDelta());
            BatchMetadata meta = new BatchMetadata(firstSeq, lastSeq, b.firstOffset(), b.lastOffset(), b.timestamp());
            ProducerEntry next;
            if (current == null) {
                // Unknown producer (new, or its state expired): accepted at any sequence, as in Kafka (KIP-360).
                next = new ProducerEntry(b.epoch(), List.of(meta));
            } else if (b.epoch() < current.epoch()) {
                return new Check(LogError.INVALID_PRODUCER_EPOCH, "Producer " + b.producerId() + " epoch "
                        + b.epoch() + " is older than the current epoch " + current.epoch(), null, null);
            } else if (b.epoch() > current.epoch()) {
                if (firstSeq != 0) {
                    return new Check(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER, "Producer " + b.producerId()
                            + " with new epoch " + b.epoch() + " must start at sequence 0, not " + firstSeq, null, null);
                }
                next = new ProducerEntry(b.epoch(), List.of(meta));
            } else {
                BatchMetadata duplicate = current.find(firstSeq, lastSeq);
                if (duplicate != null) {
                    return new Check(LogError.NONE, null, duplicate, null);
                }
                if (!current.batches().isEmpty()) {
                    int lastKnown = current.batches().get(current.batches().size() - 1).lastSeq();
                    int expected = RecordBatchHeader.incrementSequence(lastKnown, 1);
                    if (firstSeq != expected) {
                        return new Check(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER, "Out of order sequence number for producer "
                                + b.producerId() + ": expected " + expected + ", got " + firstSeq, null, null);
                    }
                }
                next = current.with(meta);
            }
            updates.put(b.producerId(), next);
        }
        return new Check(LogError.NONE, null, null, updates);
    }

    /** Applies a successful append's updates (after its bytes are written). */
    synchronized void commit(Map<Long, ProducerEntry> updates) {
        producers.putAll(updates);
    }

    /**
     * The last offset of each known producer's newest batch: the log cleaner keeps those batches (emptied if need
     * be), so their sequence numbers survive compaction.
     */
    synchronized Map<Long, Long> lastBatchOffsets() {
        Map<Long, Long> last = new HashMap<>();
        producers.forEach((id, entry) -> {
            if (!entry.batches().isEmpty()) {
                last.put(id, entry.batches().get(entry.batches().size() - 1).lastOffset());
            }
        });
        return last;
    }

    /** Replays one batch found in the log at recovery; no validation, the log is the truth. */
    synchronized void replay(IdempotentBatch b) {
        int lastSeq = RecordBatchHeader.incrementSequence(b.baseSequence(), b.lastOffsetDelta());
        BatchMetadata meta = new BatchMetadata(b.baseSequence(), lastSeq, b.firstOffset(), b.lastOffset(), b.timestamp());
        ProducerEntry current = producers.get(b.producerId());
        if (current == null || b.epoch() > current.epoch()) {
            producers.put(b.producerId(), new ProducerEntry(b.epoch(), List.of(meta)));
        } else if (b.epoch() == current.epoch()) {
            producers.put(b.producerId(), current.with(meta));
        }
    }

    // ---- snapshots ----

    static Path snapshotPath(Path dir, long offset) {
        return dir.resolve(LogSegment.fileName(offset, SNAPSHOT_SUFFIX));
    }

    /** Writes the state as of {@code offset} (all batches below it) and keeps only the newest snapshots. */
    synchronized void writeSnapshot(Path dir, long offset) throws IOException {
        int bytes = 4 + 8 + 4;
        for (ProducerEntry e : producers.values()) {
            bytes += 8 + 2 + 4 + e.batches().size() * (4 + 4 + 8 + 8 + 8);
        }
        ByteBuffer buf = ByteBuffer.allocate(bytes + 4);
        buf.putInt(SNAPSHOT_MAGIC).putLong(offset).putInt(producers.size());
        for (Map.Entry<Long, ProducerEntry> e : producers.entrySet()) {
            buf.putLong(e.getKey()).putShort(e.getValue().epoch()).putInt(e.getValue().batches().size());
            for (BatchMetadata b : e.getValue().batches()) {
                buf.putInt(b.firstSeq()).putInt(b.lastSeq()).putLong(b.firstOffset()).putLong(b.lastOffset())
                        .putLong(b.timestamp());
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        AtomicFiles.write(snapshotPath(dir, offset), buf.array());
        List<Long> offsets = listSnapshots(dir);
        for (int i = 0; i < offsets.size() - SNAPSHOTS_KEPT; i++) {
            Files.deleteIfExists(snapshotPath(dir, offsets.get(i)));
        }
    }

    /** Replaces the state with the snapshot's; false (state untouched) when the file is damaged. */
    synchronized boolean loadSnapshot(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length < 20) {
                return false;
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            if ((int) crc.getValue() != buf.getInt(bytes.length - 4) || buf.getInt() != SNAPSHOT_MAGIC) {
                return false;
            }
            buf.getLong();
            int count = buf.getInt();
            Map<Long, ProducerEntry> loaded = new HashMap<>();
            for (int i = 0; i < count; i++) {
                long pid = buf.getLong();
                short epoch = buf.getShort();
                int n = buf.getInt();
                List<BatchMetadata> batches = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    batches.add(new BatchMetadata(buf.getInt(), buf.getInt(), buf.getLong(), buf.getLong(), buf.getLong()));
                }
                loaded.put(pid, new ProducerEntry(epoch, List.copyOf(batches)));
            }
            producers.clear();
            producers.putAll(loaded);
            return true;
        } catch (IOException | BufferUnderflowException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Offsets of the snapshots in {@code dir}, ascending. */
    static List<Long> listSnapshots(Path dir) throws IOException {
        List<Long> offsets = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(SNAPSHOT_SUFFIX)) {
                    try {
                        offsets.add(Long.parseLong(name.substring(0, name.length() - SNAPSHOT_SUFFIX.length())));
                    } catch (NumberFormatException ignored) {
                        // not ours
                    }
                }
            }
        }
        offsets.sort(null);
        return offsets;
    }
}
