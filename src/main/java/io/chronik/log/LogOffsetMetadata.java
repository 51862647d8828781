package io.chronik.log;

/**
 * An offset of a partition's log together with the segment and byte position where a read up to it stops, published
 * as one value after the bytes are written: a reader never looks past {@code position} of {@code segment}. Used for
 * the log end and the high watermark.
 */
record LogOffsetMetadata(long offset, LogSegment segment, int position) {
}
