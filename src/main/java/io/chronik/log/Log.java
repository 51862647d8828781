package io.chronik.log;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One partition's append-only log: a sequence of segments, its offsets (log start, high watermark, log end),
 * its leader epoch and its idempotent-producer state. Appends are serialized on the partition's lane thread;
 * reads may run on any thread concurrently with appends and only ever see whole, committed batches.
 */
public final class Log {
    public String topic() { throw new UnsupportedOperationException(); }

    public int partition() { throw new UnsupportedOperationException(); }

    public long logStartOffset() { throw new UnsupportedOperationException(); }

    /** Offset up to which records are committed and visible to consumers (single node: equals log end). */
    public long highWatermark() { throw new UnsupportedOperationException(); }

    public long logEndOffset() { throw new UnsupportedOperationException(); }

    public int leaderEpoch() { throw new UnsupportedOperationException(); }

    public long sizeInBytes() { throw new UnsupportedOperationException(); }

    /**
     * Validates and appends the record batches in {@code records} (a produce request's records for this
     * partition, magic 2). Calls are queued on this partition's lane in call order, so two calls made one
     * after the other are appended in that order. The buffer must stay valid until the future completes.
     * Offsets and partition leader epoch are written into the batch headers; nothing else is changed
     * (except the timestamp for LogAppendTime topics, with the CRC recomputed).
     *
     * @param awaitFsync complete only after the data is fsynced (acks=all), through group commit,
     *                   when {@code StorageConfig.fsyncOnAcksAll} is on
     */
    public CompletableFuture<AppendResult> append(ByteBuffer records, boolean awaitFsync) {
        throw new UnsupportedOperationException();
    }

    /**
     * Whole batches starting with the one containing {@code fetchOffset}, up to {@code maxBytes}, from one
     * segment, never past the high watermark. If the first batch alone exceeds maxBytes it is still returned
     * whole when {@code minOneBatch}. OFFSET_OUT_OF_RANGE when fetchOffset is outside [log start, log end].
     */
    public ReadResult read(long fetchOffset, int maxBytes, boolean minOneBatch) {
        throw new UnsupportedOperationException();
    }

    /** The first offset whose batch max timestamp is >= timestamp (time index), or offset -1 if none. */
    public OffsetAndTimestamp offsetForTimestamp(long timestamp) { throw new UnsupportedOperationException(); }

    /** The offset and timestamp of the record with the largest timestamp, or (-1, -1) for an empty log. */
    public OffsetAndTimestamp maxTimestamp() { throw new UnsupportedOperationException(); }

    /**
     * Moves the log start offset to {@code offset} (-1 means the high watermark), deleting whole segments
     * below it. Completes with the new log start offset, or exceptionally with
     * {@link LogException} (OFFSET_OUT_OF_RANGE) when offset is beyond the high watermark.
     */
    public CompletableFuture<Long> deleteRecordsBefore(long offset) { throw new UnsupportedOperationException(); }

    /** Completes at the next successful append to this partition, or when the partition is deleted. */
    public CompletableFuture<Void> onAppend() { throw new UnsupportedOperationException(); }
}
