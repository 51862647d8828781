package io.chronik.log;

import java.nio.file.Path;

/**
 * The name of a segment's files: its base offset, and for a segment written by the log cleaner a generation, so a
 * cleaned segment never takes the path of a segment it replaces. Replaced segments keep their files for
 * file.delete.delay and fetches hold slices by path, so a path must never change content while it can be read.
 *
 * <p>{@code 00000000000000000000.log} is generation 0 (appended by producers); {@code 00000000000000000000.3.log}
 * is the third cleaning of the segments starting at offset 0. Each file may carry a suffix: {@code .cleaned} while the
 * cleaner writes it, {@code .swap} once it is complete and replaces the old segments (see {@link SegmentSwap}).
 */
record SegmentName(long baseOffset, long generation) {
    static final String LOG = ".log";
    static final String INDEX = ".index";
    static final String TIME_INDEX = ".timeindex";
    static final String CLEANED = ".cleaned";
    static final String SWAP = ".swap";
    static final String DELETED = ".deleted";

    static SegmentName of(long baseOffset) {
        return new SegmentName(baseOffset, 0);
    }

    /** The file name without extension, e.g. {@code 00000000000000000042} or {@code 00000000000000000042.7}. */
    String stem() {
        String base = String.format("%020d", baseOffset);
        return generation == 0 ? base : base + "." + generation;
    }

    Path log(Path dir, String suffix) {
        return dir.resolve(stem() + LOG + suffix);
    }

    Path index(Path dir, String suffix) {
        return dir.resolve(stem() + INDEX + suffix);
    }

    Path timeIndex(Path dir, String suffix) {
        return dir.resolve(stem() + TIME_INDEX + suffix);
    }

    /** The marker saying this segment was replaced by a cleaned one (see {@link SegmentSwap}). */
    Path deletedMarker(Path dir) {
        return log(dir, DELETED);
    }

    /**
     * The segment named by {@code fileName} if it is {@code <stem><extension><suffix>}, or null. The stem is a
     * base offset, optionally followed by {@code .generation}.
     */
    static SegmentName parse(String fileName, String extension, String suffix) {
        String ending = extension + suffix;
        if (!fileName.endsWith(ending)) {
            return null;
        }
        return parseStem(fileName.substring(0, fileName.length() - ending.length()));
    }

    static SegmentName parseStem(String stem) {
        int dot = stem.indexOf('.');
        try {
            long base = Long.parseLong(dot < 0 ? stem : stem.substring(0, dot));
            long generation = dot < 0 ? 0 : Long.parseLong(stem.substring(dot + 1));
            return base >= 0 && generation >= 0 ? new SegmentName(base, generation) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return stem();
    }
}
