package io.chronik.log;

import java.io.IOException;
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
import java.util.stream.Stream;

/**
 * Replacing segments with a cleaned one so that a crash at any point leaves either the old segments or the new one,
 * never a mix. On disk, in this order:
 * <ol>
 *   <li>the cleaned segment is written and fsynced as {@code <stem>.log.cleaned} (+ {@code .index.cleaned},
 *       {@code .timeindex.cleaned});</li>
 *   <li>each replaced segment gets a marker {@code <old stem>.log.deleted} naming the cleaned segment; a marker counts
 *       only once the segment it names exists under a {@code .swap} or final name;</li>
 *   <li>the cleaned files are renamed to {@code .swap}: the commit point;</li>
 *   <li>then to their final names; the log swaps the segments in memory, and the replaced files are deleted after
 *       file.delete.delay (fetches may still hold slices of them), markers last.</li>
 * </ol>
 * At startup {@link #recover} deletes {@code .cleaned} files (the old segments are intact), finishes every
 * {@code .swap} (renames it, then deletes the segments whose markers name it), and drops markers naming nothing.
 */
final class SegmentSwap {
    private static final System.Logger LOGGER = System.getLogger(SegmentSwap.class.getName());

    private SegmentSwap() {
    }

    /** Steps 2 to 4 for a cleaned segment already written and fsynced under its {@code .cleaned} names. */
    static void commit(Path dir, SegmentName cleaned, List<SegmentName> replaced, CleanerHook hook, Log log)
            throws IOException {
        byte[] superseder = cleaned.stem().getBytes(StandardCharsets.UTF_8);
        for (SegmentName old : replaced) {
            try (FileChannel ch = FileChannel.open(old.deletedMarker(dir), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(superseder);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
        }
        AtomicFiles.syncDirectory(dir);
        hook.reached(CleanerHook.Step.MARKERS_WRITTEN, log);
        // Indexes first: a .log.swap is the commit and its indexes must be there by then (or are rebuilt).
        move(cleaned.index(dir, SegmentName.CLEANED), cleaned.index(dir, SegmentName.SWAP));
        move(cleaned.timeIndex(dir, SegmentName.CLEANED), cleaned.timeIndex(dir, SegmentName.SWAP));
        move(cleaned.log(dir, SegmentName.CLEANED), cleaned.log(dir, SegmentName.SWAP));
        AtomicFiles.syncDirectory(dir);
        hook.reached(CleanerHook.Step.SWAP_COMMITTED, log);
        finishSwap(dir, cleaned);
        AtomicFiles.syncDirectory(dir);
    }

    /**
     * Undoes {@link #commit} while the log still serves the old segments (it refused the swap): the cleaned files go
     * first, then the markers, which name nothing from then on.
     */
    static void rollback(Path dir, SegmentName cleaned, List<SegmentName> replaced) {
        for (String suffix : List.of("", SegmentName.SWAP, SegmentName.CLEANED)) {
            deleteQuietly(cleaned.log(dir, suffix));
            deleteQuietly(cleaned.index(dir, suffix));
            deleteQuietly(cleaned.timeIndex(dir, suffix));
        }
        AtomicFiles.syncDirectory(dir);
        for (SegmentName old : replaced) {
            deleteQuietly(old.deletedMarker(dir));
        }
        AtomicFiles.syncDirectory(dir);
    }

    /**
     * Completes or rolls back whatever an interrupted cleaner left in a partition directory; runs before the
     * segments are loaded.
     */
    static void recover(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.toList();
        }
        List<SegmentName> swaps = new ArrayList<>();
        List<SegmentName> markers = new ArrayList<>();
        boolean changed = false;
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (name.endsWith(SegmentName.CLEANED)) {
                LOGGER.log(System.Logger.Level.INFO, "Deleting {0}: an interrupted cleaning left it", p);
                Files.deleteIfExists(p);
                changed = true;
            } else if (name.endsWith(SegmentName.LOG + SegmentName.SWAP)) {
                SegmentName swap = SegmentName.parse(name, SegmentName.LOG, SegmentName.SWAP);
                if (swap != null) {
                    swaps.add(swap);
                }
            } else if (name.endsWith(SegmentName.LOG + SegmentName.DELETED)) {
                SegmentName marked = SegmentName.parse(name, SegmentName.LOG, SegmentName.DELETED);
                if (marked != null) {
                    markers.add(marked);
                }
            }
        }
        for (SegmentName swap : swaps) {
            LOGGER.log(System.Logger.Level.INFO, "Finishing the interrupted replacement of segments by {0} in {1}",
                    swap, dir);
            finishSwap(dir, swap);
            changed = true;
        }
        // Index files renamed to .swap without their log: the log was renamed already, or never will be.
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (name.endsWith(SegmentName.SWAP) && !name.endsWith(SegmentName.LOG + SegmentName.SWAP)
                    && Files.deleteIfExists(p)) {
                changed = true;
            }
        }
        // Decide for every marker before deleting anything: a replaced segment may itself have replaced older ones.
        List<SegmentName> replaced = new ArrayList<>();
        for (SegmentName marked : markers) {
            SegmentName superseder = readMarker(marked.deletedMarker(dir));
            if (superseder != null && Files.exists(superseder.log(dir, ""))) {
                LOGGER.log(System.Logger.Level.INFO, "Deleting segment {0} of {1}: it was replaced by {2}", marked, dir,
                        superseder);
                replaced.add(marked);
            }
        }
        for (SegmentName marked : replaced) {
            deleteSegmentFiles(dir, marked);
        }
        for (SegmentName marked : markers) {
            Files.deleteIfExists(marked.deletedMarker(dir));
            changed = true;
        }
        changed |= keepNewestGeneration(dir);
        if (changed) {
            AtomicFiles.syncDirectory(dir);
        }
    }

    /** Two segments with one base offset: the older generation was replaced (defensive; markers say it first). */
    private static boolean keepNewestGeneration(Path dir) throws IOException {
        Map<Long, SegmentName> newest = new HashMap<>();
        List<SegmentName> older = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                SegmentName name = SegmentName.parse(p.getFileName().toString(), SegmentName.LOG, "");
                if (name == null) {
                    continue;
                }
                SegmentName other = newest.get(name.baseOffset());
                if (other == null) {
                    newest.put(name.baseOffset(), name);
                } else if (other.generation() < name.generation()) {
                    older.add(other);
                    newest.put(name.baseOffset(), name);
                } else {
                    older.add(name);
                }
            }
        }
        for (SegmentName name : older) {
            LOGGER.log(System.Logger.Level.WARNING, "Deleting segment {0} of {1}: a newer generation replaces it", name,
                    dir);
            deleteSegmentFiles(dir, name);
        }
        return !older.isEmpty();
    }

    private static void finishSwap(Path dir, SegmentName cleaned) throws IOException {
        move(cleaned.log(dir, SegmentName.SWAP), cleaned.log(dir, ""));
        move(cleaned.index(dir, SegmentName.SWAP), cleaned.index(dir, ""));
        move(cleaned.timeIndex(dir, SegmentName.SWAP), cleaned.timeIndex(dir, ""));
    }

    private static SegmentName readMarker(Path marker) {
        try {
            return SegmentName.parseStem(Files.readString(marker, StandardCharsets.UTF_8).trim());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void deleteSegmentFiles(Path dir, SegmentName name) throws IOException {
        Files.deleteIfExists(name.log(dir, ""));
        Files.deleteIfExists(name.index(dir, ""));
        Files.deleteIfExists(name.timeIndex(dir, ""));
    }

    /** Renames {@code from} to {@code to} if it exists (a missing index is rebuilt from its log). */
    private static void move(Path from, Path to) throws IOException {
        if (Files.exists(from)) {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "cannot delete " + p, e);
        }
    }

    /** Deletes a cleaned segment's {@code .cleaned} files (cleaning aborted before the commit). */
    static void deleteCleaned(Path dir, SegmentName cleaned) {
        deleteQuietly(cleaned.log(dir, SegmentName.CLEANED));
        deleteQuietly(cleaned.index(dir, SegmentName.CLEANED));
        deleteQuietly(cleaned.timeIndex(dir, SegmentName.CLEANED));
    }
}
