package io.chronik.log;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The log cleaner's bounded map from key to the offset of its latest record, like Kafka's SkimpyOffsetMap: keys are
 * not stored, only their 128-bit MD5 hash (a collision, about 2^-64 for a billion keys, would drop a record) and the
 * offset, 24 bytes per slot. Its memory is fixed when it is created; the cleaner stops filling it at a load factor
 * and cleans the rest of the log in a later round. Open addressing with double hashing over a prime number of
 * slots. One cleaner thread owns it.
 */
final class OffsetMap {
    private static final int LONGS_PER_SLOT = 3;
    static final int BYTES_PER_SLOT = LONGS_PER_SLOT * Long.BYTES;

    private final MessageDigest md5;
    private final byte[] hash = new byte[16];
    /** Per slot: high and low half of the hash, then offset + 1 (0 marks an empty slot). */
    private final long[] table;
    private final int slots;
    private int entries;
    private long latestOffset = -1;
    private long lookups;
    private long probes;

    OffsetMap(long memoryBytes) {
        long wanted = Math.max(2, memoryBytes / BYTES_PER_SLOT);
        slots = largestPrimeAtMost((int) Math.min(wanted, (Integer.MAX_VALUE - 8) / LONGS_PER_SLOT));
        table = new long[slots * LONGS_PER_SLOT];
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is part of every Java platform", e);
        }
    }

    int slots() {
        return slots;
    }

    int size() {
        return entries;
    }

    /** The largest offset the map has seen (inserted, or declared with {@link #updateLatestOffset}); -1 if none. */
    long latestOffset() {
        return latestOffset;
    }

    void updateLatestOffset(long offset) {
        latestOffset = Math.max(latestOffset, offset);
    }

    /** Records {@code offset} as the latest for {@code key} (read from its position to its limit, untouched). */
    void put(ByteBuffer key, long offset) {
        hashKey(key);
        long hi = bytesToLong(0);
        long lo = bytesToLong(8);
        int slot = find(hi, lo);
        int at = slot * LONGS_PER_SLOT;
        if (table[at + 2] == 0) {
            table[at] = hi;
            table[at + 1] = lo;
            entries++;
        }
        table[at + 2] = offset + 1;
        latestOffset = Math.max(latestOffset, offset);
    }

    /** The latest offset recorded for {@code key}, or -1. */
    long get(ByteBuffer key) {
        hashKey(key);
        int at = find(bytesToLong(0), bytesToLong(8)) * LONGS_PER_SLOT;
        return table[at + 2] - 1;
    }

    /** Empties the map for the next round, keeping its memory. */
    void clear() {
        Arrays.fill(table, 0);
        entries = 0;
        latestOffset = -1;
        lookups = 0;
        probes = 0;
    }

    /** Fraction of slots in use. */
    double utilization() {
        return (double) entries / slots;
    }

    /** Average slots looked at per put or get since the last clear (1 means no collisions). */
    double averageProbes() {
        return lookups == 0 ? 0 : (double) probes / lookups;
    }

    /** The slot holding this hash, or the empty slot where it belongs. The map is never full (load factor < 1). */
    private int find(long hi, long lo) {
        lookups++;
        int slot = (int) Long.remainderUnsigned(hi, slots);
        int step = 1 + (int) Long.remainderUnsigned(lo, slots - 1);
        for (int i = 0; i < slots; i++) {
            probes++;
            int at = slot * LONGS_PER_SLOT;
            if (table[at + 2] == 0 || (table[at] == hi && table[at + 1] == lo)) {
                return slot;
            }
            slot += step;
            if (slot >= slots) {
                slot -= slots;
            }
        }
        throw new IllegalStateException("offset map is full");
    }

    private void hashKey(ByteBuffer key) {
        md5.reset();
        md5.update(key.duplicate());
        try {
            md5.digest(hash, 0, hash.length);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private long bytesToLong(int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (hash[i] & 0xff);
        }
        return v;
    }

    private static int largestPrimeAtMost(int n) {
        for (int candidate = Math.max(n, 3); candidate > 2; candidate--) {
            if (isPrime(candidate)) {
                return candidate;
            }
        }
        return 3;
    }

    private static boolean isPrime(int n) {
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
