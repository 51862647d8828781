package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Starting managers on a temp dir, appending synchronously, reading batches back. */
abstract class LogTestSupport {
    static final LogConfig SMALL = new LogConfig(1 << 20, 7L * 24 * 3600 * 1000, -1, -1, 1024 * 1024 + 12, 4096, false);

    /** One batch seen by a reader: its header fields and whether its CRC still holds. */
    record ReadBatch(long baseOffset, long lastOffset, int records, long maxTimestamp, long producerId, boolean crcOk) {
    }

    static StorageConfig storage(Path dir, LogConfig defaults, boolean fsync) {
        return new StorageConfig(dir, defaults, fsync, 2, 1000, 3_600_000, 0);
    }

    static LogManager start(Path dir) throws IOException {
        return start(storage(dir, SMALL, false));
    }

    static LogManager start(StorageConfig config) throws IOException {
        LogManager manager = new LogManager(config, LogMetrics.NOOP);
        manager.startup();
        return manager;
    }

    static Log createLog(LogManager manager, String topic, Map<String, String> configs) {
        manager.createTopic(topic, 1, configs, false);
        return manager.log(topic, 0).orElseThrow();
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static AppendResult append(Log log, ByteBuffer batches) {
        return await(log.append(batches, false));
    }

    static AppendResult appendOk(Log log, ByteBuffer batches) {
        AppendResult result = append(log, batches);
        assertThat(result.error()).as(result.message()).isEqualTo(LogError.NONE);
        return result;
    }

    /** The batches of a slice, read through its channel; the slice is released. */
    static List<ReadBatch> batches(FileSlice slice) {
        if (slice.isEmpty()) {
            return new ArrayList<>();
        }
        try {
            return parse(bytes(slice));
        } finally {
            slice.release();
        }
    }

    /** The batches in a buffer of whole batches. */
    static List<ReadBatch> parse(ByteBuffer buf) {
        List<ReadBatch> out = new ArrayList<>();
        int at = 0;
        while (at < buf.limit()) {
            int size = (int) RecordBatchHeader.totalSize(buf, at);
            long base = RecordBatchHeader.baseOffset(buf, at);
            out.add(new ReadBatch(base, base + RecordBatchHeader.lastOffsetDelta(buf, at),
                    RecordBatchHeader.recordsCount(buf, at), RecordBatchHeader.maxTimestamp(buf, at),
                    RecordBatchHeader.producerId(buf, at), TestBatches.crcValid(buf, at, size)));
            at += size;
        }
        assertThat(at).isEqualTo(buf.limit());
        return out;
    }

    /** The bytes of a slice, read through the channel it holds (the slice is not released). */
    static ByteBuffer bytes(FileSlice slice) {
        ByteBuffer buf = ByteBuffer.allocate(slice.size());
        try {
            long at = slice.position();
            while (buf.hasRemaining()) {
                int n = slice.channel().read(buf, at);
                if (n < 0) {
                    throw new AssertionError("slice past end of file");
                }
                at += n;
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return buf.flip();
    }

    /** Every batch from {@code from} to the high watermark, reading as a consumer would. */
    static List<ReadBatch> readAll(Log log, long from) {
        List<ReadBatch> all = new ArrayList<>();
        long next = from;
        while (next < log.highWatermark()) {
            ReadResult r = log.read(next, 64 * 1024, true);
            assertThat(r.error()).isEqualTo(LogError.NONE);
            List<ReadBatch> got = batches(r.slice());
            assertThat(got).isNotEmpty();
            all.addAll(got);
            next = got.get(got.size() - 1).lastOffset() + 1;
        }
        return all;
    }

    static Path segmentFile(Log log, long baseOffset) {
        return LogSegment.logPath(log.dir(), baseOffset);
    }
}
