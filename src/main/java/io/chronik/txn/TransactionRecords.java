package io.chronik.txn;

import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The keyed records of {@code __transaction_state} (Chronik's own layout, big-endian; strings are a 2-byte length
 * and UTF-8 bytes). Compaction keeps the latest record per key; an expired id is a tombstone (null value).
 *
 * <pre>
 * key   v0: version:int16 (0), transactional id:string
 * value v0: version:int16 (0), producer id:int64, last producer id:int64, producer epoch:int16,
 *           last producer epoch:int16, timeout ms:int32, state:int8 ({@link TransactionState} id),
 *           start timestamp:int64, last update timestamp:int64,
 *           topic count:int32, then per topic: name:string, partition count:int32, partitions:int32...
 * value v1: as v0, then transaction version:int8, next producer id:int64 (written only when the transaction version
 *           is not 0 or a next producer id is set, so ids of the classic protocol stay readable by v0 readers)
 * </pre>
 *
 * A reader refuses versions it does not know (IllegalArgumentException), so a newer layout is never misread.
 */
public final class TransactionRecords {
    static final short KEY_VERSION = 0;
    static final short VALUE_VERSION = 0;
    static final short VALUE_VERSION_1 = 1;

    private TransactionRecords() {
    }

    /** One decoded record: the id and its metadata, or null metadata for a tombstone. */
    public record Entry(String transactionalId, TransactionMetadata metadata) {
    }

    public static byte[] key(String transactionalId) {
        byte[] id = transactionalId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(2 + 2 + id.length);
        buffer.putShort(KEY_VERSION);
        putString(buffer, id);
        return buffer.array();
    }

    public static byte[] value(TransactionMetadata m) {
        Map<String, List<Integer>> byTopic = new TreeMap<>();
        for (TopicPartition tp : m.partitions()) {
            byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
        }
        boolean v1 = m.transactionVersion() != TransactionMetadata.TV_0 || m.nextProducerId() >= 0;
        int size = 2 + 8 + 8 + 2 + 2 + 4 + 1 + 8 + 8 + 4 + (v1 ? 1 + 8 : 0);
        List<byte[]> names = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> topic : byTopic.entrySet()) {
            byte[] name = topic.getKey().getBytes(StandardCharsets.UTF_8);
            names.add(name);
            size += 2 + name.length + 4 + 4 * topic.getValue().size();
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putShort(v1 ? VALUE_VERSION_1 : VALUE_VERSION).putLong(m.producerId()).putLong(m.lastProducerId()).putShort(m.producerEpoch())
                .putShort(m.lastProducerEpoch()).putInt(m.timeoutMs()).put(m.state().id).putLong(m.startTimestamp())
                .putLong(m.lastUpdateTimestamp()).putInt(byTopic.size());
        int i = 0;
        for (List<Integer> partitions : byTopic.values()) {
            putString(buffer, names.get(i++));
            buffer.putInt(partitions.size());
            partitions.stream().sorted().forEach(buffer::putInt);
        }
        if (v1) {
            buffer.put(m.transactionVersion()).putLong(m.nextProducerId());
        }
        return buffer.array();
    }

    /** Decodes a record; a null {@code value} is a tombstone. */
    public static Entry decode(ByteBuffer key, ByteBuffer value) {
        ByteBuffer k = key.duplicate();
        short keyVersion = k.getShort();
        if (keyVersion != KEY_VERSION) {
            throw new IllegalArgumentException("unknown key version " + keyVersion);
        }
        String id = getString(k);
        if (value == null) {
            return new Entry(id, null);
        }
        ByteBuffer v = value.duplicate();
        short valueVersion = v.getShort();
        if (valueVersion != VALUE_VERSION && valueVersion != VALUE_VERSION_1) {
            throw new IllegalArgumentException("unknown value version " + valueVersion + " for " + id);
        }
        long producerId = v.getLong();
        long lastProducerId = v.getLong();
        short epoch = v.getShort();
        short lastEpoch = v.getShort();
        int timeout = v.getInt();
        TransactionState state = TransactionState.ofId(v.get());
        long start = v.getLong();
        long lastUpdate = v.getLong();
        int topics = v.getInt();
        Set<TopicPartition> partitions = new HashSet<>();
        for (int t = 0; t < topics; t++) {
            String topic = getString(v);
            int count = v.getInt();
            for (int p = 0; p < count; p++) {
                partitions.add(new TopicPartition(topic, v.getInt()));
            }
        }
        byte version = TransactionMetadata.TV_0;
        long nextProducerId = -1;
        if (valueVersion == VALUE_VERSION_1) {
            version = v.get();
            nextProducerId = v.getLong();
        }
        return new Entry(id, new TransactionMetadata(producerId, lastProducerId, epoch, lastEpoch, timeout, state,
                partitions, start, lastUpdate, version, nextProducerId));
    }

    private static void putString(ByteBuffer buffer, byte[] bytes) {
        if (bytes.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("string longer than " + Short.MAX_VALUE + " bytes");
        }
        buffer.putShort((short) bytes.length).put(bytes);
    }

    private static String getString(ByteBuffer buffer) {
        int length = buffer.getShort();
        if (length < 0 || length > buffer.remaining()) {
            throw new IllegalArgumentException("bad string length " + length);
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
