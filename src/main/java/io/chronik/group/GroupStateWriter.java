package io.chronik.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes a group's membership records ({@link GroupRecords}) to its {@code __consumer_offsets} partition, only those
 * whose value differs from what was last written for the key (or loaded), and tombstones for keys the group no longer
 * has. Callers hold the group's monitor, so a group's writes reach the log in the order its state changed. A write
 * that fails leaves its keys marked unknown, so the next write of the group writes them again.
 */
final class GroupStateWriter {
    /** The value of a key whose last write failed: it never equals a value to write. */
    private static final byte[] UNKNOWN = new byte[0];

    private final GroupStateStore store;
    /** Group id -> record key -> the value last written (null never stored: removed keys leave the map). */
    private final Map<String, Map<ByteBuffer, byte[]>> written = new HashMap<>();

    GroupStateWriter(GroupStateStore store) {
        this.store = store;
    }

    /**
     * Writes the records of {@code updates} that changed (a null value is a removal, written as a tombstone when the
     * key was written before); with {@code complete}, {@code updates} is the group's whole state and every other
     * key written before is removed too. Completes once durable (at once when nothing changed).
     */
    CompletableFuture<Void> write(String groupId, Map<ByteBuffer, byte[]> updates, boolean complete) {
        List<byte[][]> records = new ArrayList<>();
        synchronized (this) {
            Map<ByteBuffer, byte[]> base = written.computeIfAbsent(groupId, g -> new HashMap<>());
            for (Map.Entry<ByteBuffer, byte[]> update : updates.entrySet()) {
                byte[] before = base.get(update.getKey());
                byte[] value = update.getValue();
                if (value == null) {
                    if (before != null) {
                        records.add(new byte[][]{array(update.getKey()), null});
                        base.remove(update.getKey());
                    }
                } else if (before == UNKNOWN || !Arrays.equals(before, value)) {
                    records.add(new byte[][]{array(update.getKey()), value});
                    base.put(update.getKey(), value);
                }
            }
            if (complete) {
                base.keySet().removeIf(key -> {
                    if (updates.containsKey(key)) {
                        return false;
                    }
                    records.add(new byte[][]{array(key), null});
                    return true;
                });
            }
            if (base.isEmpty()) {
                written.remove(groupId);
            }
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = store.writeGroupRecords(groupId, records);
        done.whenComplete((ok, failure) -> {
            if (failure != null) {
                synchronized (this) {
                    Map<ByteBuffer, byte[]> base = written.computeIfAbsent(groupId, g -> new HashMap<>());
                    records.forEach(r -> base.put(ByteBuffer.wrap(r[0]), UNKNOWN));
                }
            }
        });
        return done;
    }

    /** The group's records as loaded from the log: what later writes are compared with. */
    synchronized void loaded(String groupId, Map<ByteBuffer, byte[]> records) {
        written.put(groupId, new HashMap<>(records));
    }

    /** This broker no longer coordinates the group. */
    synchronized void forget(String groupId) {
        written.remove(groupId);
    }

    private static byte[] array(ByteBuffer key) {
        byte[] bytes = new byte[key.remaining()];
        key.duplicate().get(bytes);
        return bytes;
    }
}
