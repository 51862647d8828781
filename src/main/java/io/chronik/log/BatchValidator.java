package io.chronik.log;

import java.nio.ByteBuffer;

/**
 * Checks every batch of a produce request before anything is written, so an append is all or nothing. Works on
 * header fields only; the CRC covers the records, so corrupted records are caught without decoding them.
 */
final class BatchValidator {

    /** The batches found in a buffer: their positions (absolute in the buffer) and sizes, or the error. */
    record Result(LogError error, String message, int[] positions, int[] sizes) {
        int count() {
            return positions.length;
        }
    }

    private BatchValidator() {
    }

    /** {@code buf} is big-endian; the batches are its bytes between position and limit. */
    static Result validate(ByteBuffer buf, int maxMessageBytes) {
        int start = buf.position();
        int end = buf.limit();
        if (end == start) {
            return error(LogError.INVALID_RECORD, "Produce request has no record batch");
        }
        int count = 0;
        int at = start;
        // First pass: the lengths must tile the buffer exactly, or nothing else can be trusted.
        while (at < end) {
            if (end - at < RecordBatchHeader.HEADER_SIZE) {
                return error(LogError.CORRUPT_MESSAGE, "Record batch at byte " + (at - start)
                        + " is shorter than the " + RecordBatchHeader.HEADER_SIZE + "-byte batch header");
            }
            long size = RecordBatchHeader.totalSize(buf, at);
            if (size < RecordBatchHeader.HEADER_SIZE || size > end - at) {
                return error(LogError.CORRUPT_MESSAGE, "Record batch at byte " + (at - start) + " has length " + size
                        + " but " + (end - at) + " bytes remain");
            }
            at += (int) size;
            count++;
        }
        int[] positions = new int[count];
        int[] sizes = new int[count];
        at = start;
        for (int i = 0; i < count; i++) {
            int size = (int) RecordBatchHeader.totalSize(buf, at);
            positions[i] = at;
            sizes[i] = size;
            Result bad = check(buf, at, size, maxMessageBytes);
            if (bad != null) {
                return bad;
            }
            at += size;
        }
        return new Result(LogError.NONE, null, positions, sizes);
    }

    private static Result check(ByteBuffer buf, int at, int size, int maxMessageBytes) {
        byte magic = RecordBatchHeader.magic(buf, at);
        if (magic != RecordBatchHeader.MAGIC_V2) {
            return error(LogError.INVALID_RECORD, "Record batch magic " + magic + " is not supported (only v2)");
        }
        if (RecordBatchHeader.computeCrc(buf, at, size) != RecordBatchHeader.storedCrc(buf, at)) {
            return error(LogError.CORRUPT_MESSAGE, "Record batch failed its CRC-32C check");
        }
        if (size > maxMessageBytes) {
            return error(LogError.MESSAGE_TOO_LARGE, "Record batch of " + size
                    + " bytes is larger than max.message.bytes (" + maxMessageBytes + ")");
        }
        int delta = RecordBatchHeader.lastOffsetDelta(buf, at);
        int records = RecordBatchHeader.recordsCount(buf, at);
        if (delta < 0 || records != delta + 1) {
            return error(LogError.INVALID_RECORD, "Record batch has " + records + " records but last offset delta "
                    + delta);
        }
        short attributes = RecordBatchHeader.attributes(buf, at);
        if ((attributes & RecordBatchHeader.CONTROL) != 0) {
            return error(LogError.INVALID_RECORD, "Control batches are written by the transaction coordinator, "
                    + "never produced by clients");
        }
        if ((attributes & RecordBatchHeader.TRANSACTIONAL) != 0 && RecordBatchHeader.producerId(buf, at) < 0) {
            return error(LogError.INVALID_RECORD, "Transactional batch without a producer id");
        }
        return null;
    }

    private static Result error(LogError error, String message) {
        return new Result(error, message, null, null);
    }
}
