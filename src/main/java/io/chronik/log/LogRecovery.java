package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * Loads a partition directory at startup: its segments (rebuilding damaged indexes), after an unclean shutdown the
 * active segment checked batch by batch and cut at the first torn or corrupt batch, the log start offset, and the
 * producer state (newest snapshot plus a replay of the log after it, without producers that expired or whose last
 * batch is below the log start offset).
 */
final class LogRecovery {
    static final String LOG_START_FILE = "log-start-offset";

    /** A loaded partition, ready to be wrapped in a {@link Log}. */
    record Loaded(ConcurrentSkipListMap<Long, LogSegment> segments, long logStartOffset,
                  ProducerStateManager producers, LeaderEpochCache epochs) {
    }

    private LogRecovery() {
    }

    static Loaded load(Path dir, LogConfig config, boolean cleanShutdown, long nowMs) throws IOException {
        AtomicFiles.createDirectories(dir);
        SegmentSwap.recover(dir); // an interrupted log cleaner: finish its committed replacement, drop the rest
        List<Long> bases = new ArrayList<>();
        List<Path> indexes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(AtomicFiles.TMP_SUFFIX) || name.endsWith(AtomicFiles.DELETED_SUFFIX)) {
                    Files.deleteIfExists(p); // an interrupted write-then-rename, or a segment deleted before a crash
                } else if (name.endsWith(".log")) {
                    try {
                        bases.add(Long.parseLong(name.substring(0, name.length() - 4)));
                    } catch (NumberFormatException ignored) {
                        // not a segment
                    }
                } else if (name.endsWith(".index") || name.endsWith(".timeindex")
                        || name.endsWith(TransactionIndex.SUFFIX)) {
                    indexes.add(p);
                }
            }
        }
        deleteOrphanIndexes(dir, indexes);
        bases.sort(null);
        long storedStart = readLogStartOffset(dir);
        ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
        try {
            for (int i = 0; i < bases.size(); i++) {
                boolean last = i == bases.size() - 1;
                LogSegment segment = LogSegment.open(dir, bases.get(i), config.indexIntervalBytes(),
                        last && !cleanShutdown, last, config.segmentIndexBytes(), nowMs);
                segments.put(segment.baseOffset(), segment);
            }
            if (segments.isEmpty()) {
                long base = Math.max(0, storedStart);
                segments.put(base, LogSegment.create(dir, base, nowMs, config.preallocate() ? config.segmentBytes() : 0,
                        config.segmentIndexBytes()));
            }
            LogSegment active = segments.lastEntry().getValue();
            long logEnd = active.nextOffset();
            long logStart = Math.min(Math.max(storedStart, segments.firstKey()), logEnd);
            // Whole segments below the log start offset were deleted by DeleteRecords before a restart.
            while (segments.size() > 1 && segments.higherKey(segments.firstKey()) <= logStart) {
                segments.pollFirstEntry().getValue().deleteFiles();
            }
            ProducerStateManager producers = new ProducerStateManager();
            restoreProducerState(dir, segments, producers, logEnd, nowMs, config.producerIdExpirationMs());
            segments.values().forEach(LogSegment::txnIndexRebuilt);
            producers.truncateHead(logStart);
            LeaderEpochCache epochs = loadEpochCache(dir, segments, logStart, logEnd);
            return new Loaded(segments, logStart, producers, epochs);
        } catch (IOException | RuntimeException e) {
            segments.values().forEach(LogSegment::close);
            throw e;
        }
    }

    /** Index files whose .log is gone (a deletion interrupted by a crash): they are never used, so removed. */
    private static void deleteOrphanIndexes(Path dir, List<Path> indexes) throws IOException {
        for (Path index : indexes) {
            String name = index.getFileName().toString();
            String base = name.substring(0, name.lastIndexOf('.'));
            if (!Files.exists(dir.resolve(base + ".log"))) {
                Files.deleteIfExists(index);
            }
        }
    }

    /**
     * The leader-epoch cache: its checkpoint file, or when that is missing or damaged, rebuilt from the batches'
     * partitionLeaderEpoch; then cut to the log (entries past the log end describe batches a crash or a truncation
     * removed; entries below the log start were deleted).
     */
    private static LeaderEpochCache loadEpochCache(Path dir, ConcurrentSkipListMap<Long, LogSegment> segments,
                                                   long logStart, long logEnd) throws IOException {
        LeaderEpochCache epochs = LeaderEpochCache.load(dir);
        if (epochs == null) {
            epochs = LeaderEpochCache.empty(dir);
            rebuildEpochs(segments, epochs);
        }
        epochs.truncateFromEnd(logEnd);
        epochs.truncateFromStart(logStart);
        return epochs;
    }

    /**
     * Adds an entry for each batch whose epoch is newer than the one before. Epochs never decrease along the log, so
     * a segment whose first and last batches carry the same epoch is not scanned further.
     */
    private static void rebuildEpochs(ConcurrentSkipListMap<Long, LogSegment> segments, LeaderEpochCache epochs)
            throws IOException {
        for (LogSegment segment : segments.values()) {
            if (segment.size() == 0) {
                continue;
            }
            ByteBuffer first = segment.readAt(0, RecordBatchHeader.HEADER_SIZE);
            int firstEpoch = first.getInt(RecordBatchHeader.PARTITION_LEADER_EPOCH);
            epochs.assign(firstEpoch, RecordBatchHeader.baseOffset(first, 0));
            int position = segment.offsetIndex().entries() > 0 ? segment.offsetIndex().lastPosition() : 0;
            int lastEpoch = firstEpoch;
            while (position < segment.size()) {
                ByteBuffer h = segment.readAt(position, RecordBatchHeader.HEADER_SIZE);
                if (h.remaining() < RecordBatchHeader.HEADER_SIZE) {
                    break;
                }
                lastEpoch = h.getInt(RecordBatchHeader.PARTITION_LEADER_EPOCH);
                position += (int) RecordBatchHeader.totalSize(h, 0);
            }
            if (lastEpoch == firstEpoch) {
                continue;
            }
            position = 0;
            while (position < segment.size()) {
                ByteBuffer h = segment.readAt(position, RecordBatchHeader.HEADER_SIZE);
                if (h.remaining() < RecordBatchHeader.HEADER_SIZE) {
                    break;
                }
                epochs.assign(h.getInt(RecordBatchHeader.PARTITION_LEADER_EPOCH), RecordBatchHeader.baseOffset(h, 0));
                position += (int) RecordBatchHeader.totalSize(h, 0);
            }
        }
    }

    /** Newest usable snapshot at or below the log end, then every idempotent batch after it. */
    static void restoreProducerState(Path dir, ConcurrentSkipListMap<Long, LogSegment> segments,
                                             ProducerStateManager producers, long logEnd, long nowMs,
                                             long expirationMs) throws IOException {
        List<Long> snapshots = ProducerSnapshots.list(dir);
        long from = segments.firstKey();
        // A segment whose txn index was unusable is rebuilt by replaying the whole log (its aborts may be older than
        // any snapshot).
        boolean replayAll = segments.values().stream().anyMatch(LogSegment::txnIndexLost);
        for (int i = replayAll ? -1 : snapshots.size() - 1; i >= 0; i--) {
            long offset = snapshots.get(i);
            Path file = ProducerSnapshots.path(dir, offset);
            if (offset > logEnd) {
                Files.deleteIfExists(file); // describes batches cut off by recovery
            } else if (producers.loadSnapshot(file, nowMs, expirationMs)) {
                from = Math.max(offset, from);
                break;
            }
        }
        for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
            LogSegment segment = e.getValue();
            if (segment.nextOffset() <= from) {
                continue;
            }
            int position = from > segment.baseOffset() ? segment.offsetIndex().lookup(from) : 0;
            while (position < segment.size()) {
                ByteBuffer h = segment.readAt(position, RecordBatchHeader.HEADER_SIZE);
                if (h.remaining() < RecordBatchHeader.HEADER_SIZE) {
                    break;
                }
                long base = RecordBatchHeader.baseOffset(h, 0);
                int delta = RecordBatchHeader.lastOffsetDelta(h, 0);
                long producerId = RecordBatchHeader.producerId(h, 0);
                if (producerId >= 0 && base + delta >= from) {
                    if (ControlBatches.isControl(h, 0)) {
                        int size = (int) RecordBatchHeader.totalSize(h, 0);
                        ProducerStateManager.Marker marker = ControlBatches.readMarker(segment.readAt(position, size),
                                0, size);
                        if (marker != null) {
                            ControlBatches.replay(producers, segment, marker, -1, nowMs);
                        }
                    } else {
                        producers.replay(new ProducerStateManager.IdempotentBatch(producerId,
                                RecordBatchHeader.producerEpoch(h, 0), RecordBatchHeader.baseSequence(h, 0), delta,
                                base, base + delta, RecordBatchHeader.maxTimestamp(h, 0),
                                ControlBatches.isTransactional(h, 0)), nowMs);
                    }
                }
                position += (int) RecordBatchHeader.totalSize(h, 0);
            }
        }
    }

    static long readLogStartOffset(Path dir) {
        Path file = dir.resolve(LOG_START_FILE);
        try {
            if (Files.isRegularFile(file)) {
                return Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
            }
        } catch (IOException | NumberFormatException ignored) {
            // a damaged file only loses a DeleteRecords position; the first segment's base is still a valid start
        }
        return -1;
    }

    static void writeLogStartOffset(Path dir, long offset) throws IOException {
        AtomicFiles.write(dir.resolve(LOG_START_FILE), Long.toString(offset).getBytes(StandardCharsets.UTF_8));
    }
}
