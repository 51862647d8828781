package io.chronik.log;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

import java.nio.ByteBuffer;
import java.util.Iterator;

/**
 * Validates a produce request's batches against the topic configuration before anything is written, and rewrites
 * them where the topic asks for it, as Kafka's broker does:
 * <ul>
 *   <li>the batch structure (CRC, size, magic, offsets; see {@link BatchValidator});</li>
 *   <li>CreateTime timestamps within message.timestamp.before.max.ms / after.max.ms of the broker's clock, and no
 *       LogAppendTime set by a producer (INVALID_TIMESTAMP);</li>
 *   <li>compression.type other than "producer": a batch in another codec is rebuilt in the topic's codec (at its
 *       compression.*.level), keeping offset deltas, timestamps, keys, values, headers and producer id, epoch and
 *       sequence.</li>
 * </ul>
 * The common case costs header reads only: records are decoded just when a batch must be recompressed or when
 * message.timestamp.before.max.ms is set (the oldest timestamp of a batch is not in its header; the newest is).
 * Runs on the partition's append lane.
 */
final class LogValidator {
    private static final int CODEC_MASK = 0x07;
    /** Decompression buffers, reused per lane thread. */
    private static final ThreadLocal<BufferSupplier> BUFFERS = ThreadLocal.withInitial(BufferSupplier::create);

    /** The batches to write (the input, or rebuilt ones) with their positions and sizes, or the error. */
    record Result(LogError error, String message, ByteBuffer records, int[] positions, int[] sizes) {
        int count() {
            return positions.length;
        }
    }

    private LogValidator() {
    }

    /** {@code buf} is big-endian; the batches are its bytes between position and limit. */
    static Result validate(ByteBuffer buf, LogConfig cfg, long now) {
        BatchValidator.Result valid = BatchValidator.validate(buf, cfg.maxMessageBytes());
        if (valid.error() != LogError.NONE) {
            return error(valid.error(), valid.message());
        }
        int target = targetCodec(cfg.compressionType());
        boolean checkOldest = !cfg.logAppendTime() && cfg.timestampBeforeMaxMs() != Long.MAX_VALUE;
        boolean recompress = false;
        for (int i = 0; i < valid.count(); i++) {
            int at = valid.positions()[i];
            String bad = checkHeaderTimestamps(buf, at, cfg, now);
            if (bad != null) {
                return error(LogError.INVALID_TIMESTAMP, bad);
            }
            boolean rebuildThis = target >= 0 && (RecordBatchHeader.attributes(buf, at) & CODEC_MASK) != target;
            recompress |= rebuildThis;
            if (checkOldest && !rebuildThis) {
                // Rebuilt batches are checked record by record while they are rebuilt.
                MutableRecordBatch batch = parse(buf, at, valid.sizes()[i]);
                bad = batch == null ? "Record batch " + i + " cannot be decoded" : checkRecordTimestamps(batch, cfg, now);
                if (bad != null) {
                    return error(batch == null ? LogError.CORRUPT_MESSAGE : LogError.INVALID_TIMESTAMP, bad);
                }
            }
        }
        if (!recompress) {
            return new Result(LogError.NONE, null, buf, valid.positions(), valid.sizes());
        }
        return recompress(buf, valid, cfg, target, now);
    }

    /** The codec id compression.type asks for, or -1 for "producer" (keep each batch's own). */
    static int targetCodec(String compressionType) {
        return switch (compressionType) {
            case "producer" -> -1;
            case "uncompressed", "none" -> CompressionType.NONE.id;
            default -> CompressionType.forName(compressionType).id;
        };
    }

    /** What a header alone proves wrong: a LogAppendTime set by the producer, or a max timestamp too far ahead. */
    private static String checkHeaderTimestamps(ByteBuffer buf, int at, LogConfig cfg, long now) {
        long maxTimestamp = RecordBatchHeader.maxTimestamp(buf, at);
        boolean producerAppendTime = (RecordBatchHeader.attributes(buf, at) & RecordBatchHeader.TIMESTAMP_TYPE_LOG_APPEND) != 0;
        if (producerAppendTime && (cfg.logAppendTime() || maxTimestamp == RecordBatch.NO_TIMESTAMP)) {
            return "Invalid timestamp type in a record batch: producers must not set the timestamp type to LogAppendTime";
        }
        if (!cfg.logAppendTime() && maxTimestamp != RecordBatch.NO_TIMESTAMP
                && maxTimestamp - now > cfg.timestampAfterMaxMs()) {
            return outOfRange(maxTimestamp, cfg, now);
        }
        return null;
    }

    /** Every record's CreateTime timestamp against both bounds; null when all are in range. */
    private static String checkRecordTimestamps(MutableRecordBatch batch, LogConfig cfg, long now) {
        try (CloseableIterator<Record> records = batch.skipKeyValueIterator(BUFFERS.get())) {
            while (records.hasNext()) {
                String bad = checkTimestamp(records.next().timestamp(), cfg, now);
                if (bad != null) {
                    return bad;
                }
            }
        } catch (KafkaException e) {
            return "Record batch cannot be decoded: " + e.getMessage();
        }
        return null;
    }

    private static String checkTimestamp(long timestamp, LogConfig cfg, long now) {
        if (cfg.logAppendTime() || timestamp == RecordBatch.NO_TIMESTAMP) {
            return null;
        }
        long diff = now - timestamp;
        return diff > cfg.timestampBeforeMaxMs() || -diff > cfg.timestampAfterMaxMs() ? outOfRange(timestamp, cfg, now) : null;
    }

    private static String outOfRange(long timestamp, LogConfig cfg, long now) {
        long low = cfg.timestampBeforeMaxMs() == Long.MAX_VALUE ? Long.MIN_VALUE : now - cfg.timestampBeforeMaxMs();
        long high = cfg.timestampAfterMaxMs() == Long.MAX_VALUE ? Long.MAX_VALUE : now + cfg.timestampAfterMaxMs();
        return "Timestamp " + timestamp + " of a record is out of range. The timestamp should be within [" + low + ", "
                + high + "] (message.timestamp.before.max.ms=" + cfg.timestampBeforeMaxMs()
                + ", message.timestamp.after.max.ms=" + cfg.timestampAfterMaxMs() + ")";
    }

    /** Rebuilds every batch not in the target codec; the others are copied as they are. */
    private static Result recompress(ByteBuffer buf, BatchValidator.Result valid, LogConfig cfg, int target, long now) {
        int n = valid.count();
        ByteBuffer[] out = new ByteBuffer[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            int at = valid.positions()[i];
            int size = valid.sizes()[i];
            if ((RecordBatchHeader.attributes(buf, at) & CODEC_MASK) == target) {
                out[i] = buf.duplicate().limit(at + size).position(at).slice();
            } else {
                MutableRecordBatch batch = parse(buf, at, size);
                if (batch == null) {
                    return error(LogError.CORRUPT_MESSAGE, "Record batch " + i + " cannot be decoded");
                }
                try {
                    out[i] = rebuild(batch, compression(cfg, target), cfg, now);
                } catch (Rejected e) {
                    return error(e.error, e.getMessage());
                }
                if (out[i].remaining() > cfg.maxMessageBytes()) {
                    return error(LogError.MESSAGE_TOO_LARGE, "Record batch of " + out[i].remaining()
                            + " bytes after recompression to " + cfg.compressionType()
                            + " is larger than max.message.bytes (" + cfg.maxMessageBytes() + ")");
                }
            }
            total += out[i].remaining();
        }
        ByteBuffer records = ByteBuffer.allocate(total);
        int[] positions = new int[n];
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = records.position();
            sizes[i] = out[i].remaining();
            records.put(out[i]);
        }
        return new Result(LogError.NONE, null, records.flip(), positions, sizes);
    }

    /** Why a batch cannot be rebuilt. */
    private static final class Rejected extends Exception {
        final LogError error;

        Rejected(LogError error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    /** The batch rebuilt in {@code compression}, its records' timestamps checked on the way. */
    private static ByteBuffer rebuild(MutableRecordBatch batch, Compression compression, LogConfig cfg, long now)
            throws Rejected {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(Math.max(256, batch.sizeInBytes())),
                RecordBatch.MAGIC_VALUE_V2, compression, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP,
                batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.isTransactional(),
                batch.partitionLeaderEpoch());
        try (CloseableIterator<Record> records = batch.streamingIterator(BUFFERS.get())) {
            while (records.hasNext()) {
                Record record = records.next();
                String bad = checkTimestamp(record.timestamp(), cfg, now);
                if (bad != null) {
                    throw new Rejected(LogError.INVALID_TIMESTAMP, bad);
                }
                builder.appendWithOffset(record.offset() - batch.baseOffset(), record);
            }
        } catch (KafkaException | IllegalArgumentException e) {
            throw new Rejected(LogError.INVALID_RECORD, "Record batch cannot be recompressed: " + e.getMessage());
        }
        ByteBuffer rebuilt = builder.build().buffer();
        if (builder.numRecords() != batch.countOrNull()
                || RecordBatchHeader.lastOffsetDelta(rebuilt, 0) != batch.lastOffset() - batch.baseOffset()) {
            throw new Rejected(LogError.INVALID_RECORD, "Record batch's records do not match its header's offsets");
        }
        return rebuilt;
    }

    private static Compression compression(LogConfig cfg, int codec) {
        CompressionType type = CompressionType.forId(codec);
        return switch (type) {
            case GZIP -> Compression.gzip().level(cfg.compressionGzipLevel()).build();
            case LZ4 -> Compression.lz4().level(cfg.compressionLz4Level()).build();
            case ZSTD -> Compression.zstd().level(cfg.compressionZstdLevel()).build();
            case SNAPPY -> Compression.snappy().build();
            case NONE -> Compression.NONE;
        };
    }

    private static MutableRecordBatch parse(ByteBuffer buf, int at, int size) {
        try {
            Iterator<MutableRecordBatch> batches = MemoryRecords.readableRecords(
                    buf.duplicate().limit(at + size).position(at).slice()).batches().iterator();
            return batches.hasNext() ? batches.next() : null;
        } catch (KafkaException e) {
            return null;
        }
    }

    private static Result error(LogError error, String message) {
        return new Result(error, message, null, null, null);
    }
}
