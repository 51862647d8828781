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
 * The producer-state snapshot files of a partition, {@code <offset>.snapshot}: each holds the state of every producer
 * for the batches below its offset, CRC-checked, written with write-then-rename. Only the newest few are kept.
 */
final class ProducerSnapshots {
    static final String SUFFIX = ".snapshot";
    /** Format 1 had no last-append time per producer. */
    private static final int MAGIC_V1 = 0x43505331; // "CPS1"
    private static final int MAGIC_V2 = 0x43505332; // "CPS2"
    /** Format 3 adds each producer's coordinator epoch and its ongoing transaction's first offset. */
    private static final int MAGIC_V3 = 0x43505333; // "CPS3"
    static final int KEPT = 2;

    private ProducerSnapshots() {
    }

    static Path path(Path dir, long offset) {
        return dir.resolve(LogSegment.fileName(offset, SUFFIX));
    }

    /** Serializes {@code state}, makes it durable as the snapshot at {@code offset}, and keeps only the newest {@link #KEPT}. */
    static void write(Path dir, long offset, Map<Long, ProducerStateManager.ProducerEntry> state) throws IOException {
        int bytes = 4 + 8 + 4;
        for (ProducerStateManager.ProducerEntry e : state.values()) {
            bytes += 8 + 2 + 8 + 4 + 8 + 4 + e.batches().size() * (4 + 4 + 8 + 8 + 8);
        }
        ByteBuffer buf = ByteBuffer.allocate(bytes + 4);
        buf.putInt(MAGIC_V3).putLong(offset).putInt(state.size());
        for (Map.Entry<Long, ProducerStateManager.ProducerEntry> e : state.entrySet()) {
            ProducerStateManager.ProducerEntry entry = e.getValue();
            buf.putLong(e.getKey()).putShort(entry.epoch()).putLong(entry.lastAppendMs())
                    .putInt(entry.coordinatorEpoch()).putLong(entry.txnFirstOffset()).putInt(entry.batches().size());
            for (ProducerStateManager.BatchMetadata b : entry.batches()) {
                buf.putInt(b.firstSeq()).putInt(b.lastSeq()).putLong(b.firstOffset()).putLong(b.lastOffset())
                        .putLong(b.timestamp());
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        AtomicFiles.write(path(dir, offset), buf.array());
        List<Long> offsets = list(dir);
        for (int i = 0; i < offsets.size() - KEPT; i++) {
            Files.deleteIfExists(path(dir, offsets.get(i)));
        }
    }

    /**
     * The producers stored in {@code file}, or null when it is damaged. A format-1 snapshot has no append times:
     * its producers count as last seen at {@code nowMs}.
     */
    static Map<Long, ProducerStateManager.ProducerEntry> read(Path file, long nowMs) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length < 20) {
                return null;
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            int magic = buf.getInt();
            if ((int) crc.getValue() != buf.getInt(bytes.length - 4) || (magic != MAGIC_V1 && magic != MAGIC_V2
                    && magic != MAGIC_V3)) {
                return null;
            }
            buf.getLong();
            int count = buf.getInt();
            Map<Long, ProducerStateManager.ProducerEntry> loaded = new HashMap<>();
            for (int i = 0; i < count; i++) {
                long pid = buf.getLong();
                short epoch = buf.getShort();
                long lastAppendMs = magic != MAGIC_V1 ? buf.getLong() : nowMs;
                int coordinatorEpoch = magic == MAGIC_V3 ? buf.getInt() : -1;
                long txnFirstOffset = magic == MAGIC_V3 ? buf.getLong() : -1;
                int n = buf.getInt();
                List<ProducerStateManager.BatchMetadata> batches = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    batches.add(new ProducerStateManager.BatchMetadata(buf.getInt(), buf.getInt(), buf.getLong(),
                            buf.getLong(), buf.getLong()));
                }
                loaded.put(pid, new ProducerStateManager.ProducerEntry(epoch, List.copyOf(batches), lastAppendMs,
                        coordinatorEpoch, txnFirstOffset));
            }
            return loaded;
        } catch (IOException | BufferUnderflowException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Offsets of the snapshots in {@code dir}, ascending. */
    static List<Long> list(Path dir) throws IOException {
        List<Long> offsets = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(SUFFIX)) {
                    try {
                        offsets.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
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
