package io.chronik.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A partition's leader epochs and the offset where each began, in epoch (and offset) order, persisted in the
 * partition directory as {@code leader-epoch-checkpoint} in Kafka's text format: a version line ({@code 0}), the
 * number of entries, then one {@code epoch startOffset} line per entry. Every change is written atomically (write,
 * fsync, rename, directory fsync) before the method returns. Reads take the same monitor as changes and may come from
 * any thread; changes come from the partition's lane (or recovery).
 */
public final class LeaderEpochCache {
    static final String FILE = "leader-epoch-checkpoint";
    private static final int VERSION = 0;

    /** One leader epoch and the first offset written in it. */
    public record Entry(int epoch, long startOffset) {
    }

    private final Path file;
    private final List<Entry> entries;
    /** The latest epoch, or -1: read on every append without taking the monitor. */
    private volatile int latest;

    private LeaderEpochCache(Path file, List<Entry> entries) {
        this.file = file;
        this.entries = entries;
        this.latest = entries.isEmpty() ? -1 : entries.get(entries.size() - 1).epoch();
    }

    /** An empty cache of {@code dir} (nothing is written until an epoch is assigned). */
    static LeaderEpochCache empty(Path dir) {
        return new LeaderEpochCache(dir.resolve(FILE), new ArrayList<>());
    }

    /** The cache stored in {@code dir}, or null when its file is missing or damaged (the caller rebuilds it). */
    static LeaderEpochCache load(Path dir) {
        Path path = dir.resolve(FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                return null;
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() < 2 + count) {
                return null;
            }
            List<Entry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String[] parts = lines.get(2 + i).trim().split("\\s+");
                if (parts.length != 2) {
                    return null;
                }
                Entry e = new Entry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
                if (e.epoch() < 0 || e.startOffset() < 0 || (!entries.isEmpty()
                        && (e.epoch() <= entries.get(entries.size() - 1).epoch()
                        || e.startOffset() < entries.get(entries.size() - 1).startOffset()))) {
                    return null;
                }
                entries.add(e);
            }
            return new LeaderEpochCache(path, entries);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The latest epoch, if any. */
    public OptionalInt latestEpoch() {
        int e = latest;
        return e < 0 ? OptionalInt.empty() : OptionalInt.of(e);
    }

    /** A copy of the entries, oldest first. */
    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Records that {@code epoch} starts at {@code startOffset}, when it is newer than the latest epoch (otherwise
     * nothing changes). Entries that would no longer be monotonic (a start offset at or after this one) are removed
     * first, as Kafka does. Returns whether the cache changed.
     */
    synchronized boolean assign(int epoch, long startOffset) throws IOException {
        if (epoch < 0 || epoch <= latest) {
            return false;
        }
        while (!entries.isEmpty() && entries.get(entries.size() - 1).startOffset() >= startOffset) {
            entries.remove(entries.size() - 1);
        }
        entries.add(new Entry(epoch, startOffset));
        flush();
        return true;
    }

    /**
     * Kafka's OffsetsForLeaderEpoch answer for {@code requestedEpoch}: the latest epoch ends at the log end; an older
     * one at the start offset of the next larger epoch, reported with the largest known epoch at or below it (the
     * requested epoch itself when it is below every known epoch); (-1, -1) for an undefined epoch, an empty cache, or
     * an epoch above the latest.
     */
    public synchronized EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
        if (requestedEpoch == EpochEndOffset.UNDEFINED_EPOCH || entries.isEmpty()) {
            return EpochEndOffset.UNDEFINED;
        }
        if (requestedEpoch == latest) {
            return new EpochEndOffset(requestedEpoch, logEndOffset);
        }
        Entry floor = null;
        Entry higher = null;
        for (Entry e : entries) {
            if (e.epoch() <= requestedEpoch) {
                floor = e;
            } else {
                higher = e;
                break;
            }
        }
        if (higher == null) {
            return EpochEndOffset.UNDEFINED; // newer than anything this log knows
        }
        return new EpochEndOffset(floor == null ? requestedEpoch : floor.epoch(), higher.startOffset());
    }

    /** Removes the entries starting at or after {@code endOffset} (the log was truncated there). */
    synchronized void truncateFromEnd(long endOffset) throws IOException {
        boolean changed = false;
        while (!entries.isEmpty() && entries.get(entries.size() - 1).startOffset() >= endOffset) {
            entries.remove(entries.size() - 1);
            changed = true;
        }
        if (changed) {
            latest = entries.isEmpty() ? -1 : entries.get(entries.size() - 1).epoch();
            flush();
        }
    }

    /**
     * The log start moved to {@code startOffset}: entries that began below it are removed, except the last of them,
     * which now starts at {@code startOffset} (its epoch still covers the first remaining records).
     */
    synchronized void truncateFromStart(long startOffset) throws IOException {
        int below = 0;
        while (below < entries.size() && entries.get(below).startOffset() < startOffset) {
            below++;
        }
        if (below == 0) {
            return;
        }
        Entry kept = new Entry(entries.get(below - 1).epoch(), startOffset);
        entries.subList(0, below).clear();
        entries.add(0, kept);
        flush();
    }

    /** Forgets every entry (the log starts over empty). */
    synchronized void clear() throws IOException {
        entries.clear();
        flush();
    }

    private void flush() throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(entries.size()).append('\n');
        for (Entry e : entries) {
            text.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
        }
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
        latest = entries.isEmpty() ? -1 : entries.get(entries.size() - 1).epoch();
    }

    @Override
    public synchronized String toString() {
        return entries.toString();
    }
}
