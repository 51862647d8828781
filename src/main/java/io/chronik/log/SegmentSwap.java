package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of the log cleaner's replacement of segments by a cleaned one, so that a crash at any point leaves either
 * the old segments or the cleaned one, never a mix and never neither. On disk, in this order:
 * <ol>
 *   <li>the cleaned segment is written and fsynced as {@code <base>.log.cleaned} (+ {@code .index.cleaned},
 *       {@code .timeindex.cleaned}), {@code <base>} being the first replaced segment's base offset;</li>
 *   <li>its files are renamed to {@code .swap}, the log last, and the directory fsynced: <b>the commit point</b>;</li>
 *   <li>on the partition's append lane, with the replaced segments still served: their files are renamed for
 *       deletion ({@code .deleted}, as retention does), the directory fsynced; then the {@code .swap} files take their
 *       final names (the first replaced segment's, free since), the directory fsynced, and the log serves the cleaned
 *       segment. The replaced files are removed after file.delete.delay.</li>
 * </ol>
 * At startup {@link #recover} deletes {@code .cleaned} files (the old segments are intact) and finishes every
 * {@code .log.swap}: the live segments it replaced are those whose base offset lies in [its base offset, its next
 * offset), as in Kafka; they are deleted and the swap renamed. Segments renamed {@code .deleted} are removed by the
 * loader, as every deleted segment: that rename only ever happens after a commit, so the swap holds their records.
 * A committed swap never outlives the state it was made for: if the lane refuses it (a replaced segment went away
 * meanwhile), its files are deleted at once, and if that fails the partition goes offline until a restart.
 */
final class SegmentSwap {
    static final String CLEANED_SUFFIX = ".cleaned";
    static final String SWAP_SUFFIX = ".swap";
    private static final System.Logger LOGGER = System.getLogger(SegmentSwap.class.getName());

    private SegmentSwap() {
    }

    /** The commit: a cleaned segment written and fsynced under its {@code .cleaned} names becomes {@code .swap}. */
    static void commit(Path dir, long base) throws IOException {
        List<Path> cleaned = files(dir, base, CLEANED_SUFFIX);
        List<Path> swap = files(dir, base, SWAP_SUFFIX);
        // Indexes first: a .log.swap is the commit, and an index renamed without it is dropped at recovery.
        for (int i = 0; i < cleaned.size(); i++) {
            if (i == 0 && !Files.exists(cleaned.get(i))) {
                continue; // a txn index exists only when the segment holds an aborted transaction
            }
            Files.move(cleaned.get(i), swap.get(i), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        AtomicFiles.syncDirectory(dir);
    }

    /** Whether the commit's rename happened (even if the fsync after it failed): then only {@link #abandon} undoes it. */
    static boolean committed(Path dir, long base) {
        return Files.exists(LogSegment.logPath(dir, base, SWAP_SUFFIX));
    }

    /** The committed swap takes its final names (the caller has renamed the replaced segments away and syncs). */
    static void finish(Path dir, long base) throws IOException {
        List<Path> swap = files(dir, base, SWAP_SUFFIX);
        List<Path> live = files(dir, base, "");
        for (int i = 0; i < swap.size(); i++) {
            if (Files.exists(swap.get(i))) { // a missing index is rebuilt from the log
                Files.move(swap.get(i), live.get(i), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Withdraws a commit the log refused (it still serves the old segments): the .log.swap goes first. */
    static void abandon(Path dir, long base) throws IOException {
        List<Path> swap = files(dir, base, SWAP_SUFFIX);
        for (int i = swap.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(swap.get(i));
        }
        AtomicFiles.syncDirectory(dir);
    }

    /**
     * Deletes a cleaned segment's files when cleaning stopped before the commit: its {@code .cleaned} files, and index
     * files a failed commit renamed to {@code .swap} already (never the {@code .log.swap}: see {@link #committed}).
     */
    static void deleteCleaned(Path dir, long base) {
        List<Path> files = new ArrayList<>(files(dir, base, CLEANED_SUFFIX));
        files.add(LogSegment.indexPath(dir, base, SWAP_SUFFIX));
        files.add(LogSegment.timeIndexPath(dir, base, SWAP_SUFFIX));
        files.add(TransactionIndex.path(dir, base, SWAP_SUFFIX));
        for (Path p : files) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOGGER.log(System.Logger.Level.WARNING, "cannot delete " + p + " (it goes at the next startup)", e);
            }
        }
    }

    /**
     * Completes what an interrupted cleaner left in a partition directory; runs before the segments are loaded.
     * Idempotent: a crash during recovery is recovered the same way.
     */
    static void recover(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.toList();
        }
        boolean changed = false;
        List<Long> swaps = new ArrayList<>();
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (name.endsWith(CLEANED_SUFFIX)) {
                LOGGER.log(System.Logger.Level.INFO, "Deleting {0}: an interrupted cleaning left it", p);
                Files.deleteIfExists(p);
                changed = true;
            } else if (name.endsWith(".log" + SWAP_SUFFIX)) {
                Long base = baseOffset(name, ".log" + SWAP_SUFFIX);
                if (base != null) {
                    swaps.add(base);
                }
            }
        }
        // Index files renamed to .swap without their log: a commit that did not happen.
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (name.endsWith(SWAP_SUFFIX) && !name.endsWith(".log" + SWAP_SUFFIX)) {
                Long base = baseOffset(name, name.endsWith(".timeindex" + SWAP_SUFFIX) ? ".timeindex" + SWAP_SUFFIX
                        : name.endsWith(TransactionIndex.SUFFIX + SWAP_SUFFIX) ? TransactionIndex.SUFFIX + SWAP_SUFFIX
                        : ".index" + SWAP_SUFFIX);
                if (base == null || !swaps.contains(base)) {
                    Files.deleteIfExists(p);
                    changed = true;
                }
            }
        }
        swaps.sort(null);
        for (long base : swaps) {
            long next = nextOffset(LogSegment.logPath(dir, base, SWAP_SUFFIX), base);
            LOGGER.log(System.Logger.Level.INFO, "Finishing the interrupted replacement of the segments of {0} in "
                    + "[{1}, {2}) by a cleaned one", dir, Long.toString(base), Long.toString(next));
            for (long replaced : liveBaseOffsets(dir)) {
                if (replaced >= base && replaced < next) {
                    // The log first: index files without it are never used, and are removed as orphans.
                    Files.deleteIfExists(LogSegment.logPath(dir, replaced, ""));
                    Files.deleteIfExists(LogSegment.indexPath(dir, replaced, ""));
                    Files.deleteIfExists(LogSegment.timeIndexPath(dir, replaced, ""));
                    Files.deleteIfExists(TransactionIndex.path(dir, replaced, ""));
                }
            }
            AtomicFiles.syncDirectory(dir);
            finish(dir, base);
            changed = true;
        }
        if (changed) {
            AtomicFiles.syncDirectory(dir);
        }
    }

    /**
     * The txn index, index, time index and log file of the segment at {@code base}, with {@code suffix}, in renaming
     * order.
     */
    private static List<Path> files(Path dir, long base, String suffix) {
        return List.of(TransactionIndex.path(dir, base, suffix), LogSegment.indexPath(dir, base, suffix), LogSegment.timeIndexPath(dir, base, suffix),
                LogSegment.logPath(dir, base, suffix));
    }

    private static List<Long> liveBaseOffsets(Path dir) throws IOException {
        List<Long> bases = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                Long base = baseOffset(p.getFileName().toString(), ".log");
                if (base != null) {
                    bases.add(base);
                }
            }
        }
        return bases;
    }

    private static Long baseOffset(String name, String ending) {
        if (!name.endsWith(ending)) {
            return null;
        }
        try {
            long base = Long.parseLong(name.substring(0, name.length() - ending.length()));
            return base >= 0 ? base : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The offset after the last whole batch of a segment file (its base offset when it holds none): a walk over the
     * batch headers. The file was fsynced before its commit, so a batch that does not parse ends it.
     */
    private static long nextOffset(Path log, long base) throws IOException {
        long next = base;
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = ch.size();
            long position = 0;
            ByteBuffer header = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
            while (position + RecordBatchHeader.HEADER_SIZE <= size) {
                header.clear();
                while (header.hasRemaining()) {
                    if (ch.read(header, position + header.position()) < 0) {
                        return next;
                    }
                }
                long length = RecordBatchHeader.totalSize(header, 0);
                if (length < RecordBatchHeader.HEADER_SIZE || position + length > size) {
                    break;
                }
                next = RecordBatchHeader.baseOffset(header, 0) + RecordBatchHeader.lastOffsetDelta(header, 0) + 1;
                position += length;
            }
        }
        return next;
    }
}
