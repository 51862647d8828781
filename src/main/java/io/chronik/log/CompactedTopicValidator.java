package io.chronik.log;

import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

import java.nio.ByteBuffer;

/**
 * Produce-time check of a compacted topic, as Kafka's: every record needs a key, since the cleaner keeps records by
 * key. The only check that has to look inside batches (decompressing them), so it runs for compacted topics only.
 */
final class CompactedTopicValidator {
    private CompactedTopicValidator() {
    }

    /** Kafka's message for the first record without a key, or null when every record has one. */
    static String missingKey(ByteBuffer buf, int[] positions, int[] sizes, String topicPartition) {
        for (int i = 0; i < positions.length; i++) {
            ByteBuffer slice = buf.duplicate();
            slice.limit(positions[i] + sizes[i]).position(positions[i]);
            MutableRecordBatch batch = MemoryRecords.readableRecords(slice.slice()).batches().iterator().next();
            try (CloseableIterator<Record> records = batch instanceof DefaultRecordBatch v2
                    ? v2.skipKeyValueIterator(BufferSupplier.NO_CACHING)
                    : batch.streamingIterator(BufferSupplier.NO_CACHING)) {
                while (records.hasNext()) {
                    if (!records.next().hasKey()) {
                        return "Compacted topic cannot accept message without key in topic partition "
                                + topicPartition + ".";
                    }
                }
            } catch (RuntimeException e) {
                // The CRC held, so the producer itself wrote records that do not parse.
                return "Record batch of " + topicPartition + " cannot be read: " + e.getMessage();
            }
        }
        return null;
    }
}
