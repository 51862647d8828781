package io.chronik.log;

/** An offset found by a ListOffsets lookup, with the timestamp that matched (-1 when not applicable). */
public record OffsetAndTimestamp(long offset, long timestamp) {
}
