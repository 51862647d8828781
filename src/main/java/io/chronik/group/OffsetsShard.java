package io.chronik.group;

import io.chronik.coordinator.CoordinatorShard;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The groups of one {@code __consumer_offsets} partition: their committed offsets and, per producer, the offsets of
 * open transactions (TxnOffsetCommit), which become committed offsets when a COMMIT marker of that producer is written
 * to the partition and are dropped by an ABORT marker. Every entry carries the log offset of its record: a commit never
 * replaces one written later (compaction may leave transactional and plain commits of a key in either order), and a
 * marker only resolves the records written before it, so replaying a record or a marker twice changes nothing.
 *
 * <p>While loading it also keeps the newest group membership record ({@link GroupRecords}) of each key, and hands
 * them to its listener when loaded, before the partition is served; after that the coordinators hold membership.
 *
 * <p>Changed by the loader's replay, by writes once replicated and by marker notifications, all under the
 * coordinator runtime's lock; read from any thread.
 */
final class OffsetsShard implements CoordinatorShard {
    private static final Logger log = LoggerFactory.getLogger(OffsetsShard.class);

    /** A commit with the log offset of its record. */
    record Stamped(Committed committed, long logOffset) {
    }

    /** A marker told before the replay reached it. */
    private record Marker(long producerId, boolean commit) {
    }

    /** The producer epoch and next sequence number of a producer's batches in this partition. */
    private record Sequence(short epoch, int next) {
    }

    private final Map<String, Map<TopicPartition, Stamped>> offsets = new ConcurrentHashMap<>();
    /** Open transactions: producer id -> group -> partition -> pending commit. */
    private final Map<Long, Map<String, Map<TopicPartition, Stamped>>> pending = new ConcurrentHashMap<>();
    private final Map<Long, Sequence> sequences = new ConcurrentHashMap<>();
    /** Markers written while loading that the replay has not reached yet, by offset. */
    private final TreeMap<Long, Marker> deferred = new TreeMap<>();
    private volatile boolean loaded;
    /** The newest membership record ({@link GroupRecords}) of each key, while loading; handed over when loaded. */
    private final Map<java.nio.ByteBuffer, byte[]> groupRecords = new java.util.LinkedHashMap<>();
    private final int partition;
    private final GroupStateStore.Listener groups;
    /** The offset after the last batch replayed. */
    private long replayedTo;

    /** A shard whose membership records nobody hears (offsets only). */
    OffsetsShard() {
        this(0, null);
    }

    /** The shard of {@code partition}; {@code groups} hears its membership records once loaded, and its unloading. */
    OffsetsShard(int partition, GroupStateStore.Listener groups) {
        this.partition = partition;
        this.groups = groups;
    }

    // ---- replay ----

    @Override
    public synchronized void replay(RecordBatch batch, long fromOffset) {
        replayedTo = Math.max(replayedTo, batch.nextOffset());
        if (batch.hasProducerId()) {
            trackSequence(batch);
        }
        if (batch.isControlBatch()) {
            Iterator<Record> records = batch.iterator();
            if (batch.baseOffset() >= fromOffset && records.hasNext()) {
                ControlRecordType type = ControlRecordType.parse(records.next().key());
                if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                    marker(batch.producerId(), type == ControlRecordType.COMMIT, batch.baseOffset());
                }
            }
            return;
        }
        for (Record record : batch) {
            if (record.offset() < fromOffset) {
                continue;
            }
            if (GroupRecords.isGroupRecord(record.key())) {
                if (!batch.isTransactional()) {
                    replayGroupRecord(record);
                }
                continue;
            }
            OffsetRecords.Entry entry;
            try {
                entry = OffsetRecords.decode(record.key(), record.hasValue() ? record.value() : null);
            } catch (IllegalArgumentException e) {
                log.warn("Skipping unreadable record at offset {} of {}: {}", record.offset(), OffsetsTopicStore.TOPIC,
                        e.getMessage());
                continue;
            }
            if (entry == null) {
                continue;
            }
            if (batch.isTransactional()) {
                applyPending(batch.producerId(), entry.group(), entry.partition(), entry.committed(), record.offset());
            } else {
                apply(entry.group(), entry.partition(), entry.committed(), record.offset());
            }
        }
    }

    private void replayGroupRecord(Record record) {
        java.nio.ByteBuffer key = record.key();
        byte[] k = new byte[key.remaining()];
        key.get(k);
        java.nio.ByteBuffer wrapped = java.nio.ByteBuffer.wrap(k);
        if (record.hasValue()) {
            byte[] v = new byte[record.valueSize()];
            record.value().get(v);
            groupRecords.remove(wrapped);
            groupRecords.put(wrapped, v);
        } else {
            groupRecords.remove(wrapped);
        }
    }

    /** Whether the partition has been loaded and its groups handed over: its state may be served. */
    boolean isLoaded() {
        return loaded;
    }

    @Override
    public synchronized void unloaded() {
        loaded = false;
        if (groups != null) {
            groups.unloaded(partition);
        }
    }

    @Override
    public synchronized void loaded() {
        if (groups != null) {
            groups.loaded(partition, Map.copyOf(groupRecords));
        }
        groupRecords.clear();
        for (Map.Entry<Long, Marker> m : deferred.entrySet()) {
            if (m.getKey() >= replayedTo) {
                marker(m.getValue().producerId(), m.getValue().commit(), m.getKey());
            }
        }
        deferred.clear();
        loaded = true;
    }

    // ---- changes ----

    /** A plain commit (or a tombstone: {@code value} null) at {@code logOffset}. */
    synchronized void apply(String groupId, TopicPartition tp, Committed value, long logOffset) {
        Map<TopicPartition, Stamped> group = offsets.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
        Stamped existing = group.get(tp);
        if (existing == null || existing.logOffset() <= logOffset) {
            if (value == null) {
                group.remove(tp);
            } else {
                group.put(tp, new Stamped(value, logOffset));
            }
        }
        if (group.isEmpty()) {
            offsets.remove(groupId, group);
        }
        if (value == null) {
            // A deleted offset takes the open transactions' commits of it along, as the group is gone or reset.
            for (Map<String, Map<TopicPartition, Stamped>> producer : pending.values()) {
                Map<TopicPartition, Stamped> open = producer.get(groupId);
                if (open != null) {
                    open.computeIfPresent(tp, (k, s) -> s.logOffset() < logOffset ? null : s);
                }
            }
        }
    }

    /** A commit of {@code producerId}'s open transaction at {@code logOffset}. */
    synchronized void applyPending(long producerId, String groupId, TopicPartition tp, Committed value, long logOffset) {
        if (value == null) {
            return; // transactions commit offsets, they never delete them
        }
        pending.computeIfAbsent(producerId, p -> new ConcurrentHashMap<>())
                .computeIfAbsent(groupId, g -> new ConcurrentHashMap<>())
                .merge(tp, new Stamped(value, logOffset), (a, b) -> b.logOffset() >= a.logOffset() ? b : a);
    }

    /**
     * A COMMIT ({@code commit}) or ABORT marker of {@code producerId} at {@code markerOffset}, once replicated. While
     * loading, a marker beyond what the replay has reached waits until the replay is done.
     */
    synchronized void markerWritten(long producerId, short producerEpoch, boolean commit, long markerOffset) {
        markerEpoch(producerId, producerEpoch);
        if (!loaded && markerOffset >= replayedTo) {
            deferred.put(markerOffset, new Marker(producerId, commit));
            return;
        }
        marker(producerId, commit, markerOffset);
    }

    private void marker(long producerId, boolean commit, long markerOffset) {
        Map<String, Map<TopicPartition, Stamped>> open = pending.get(producerId);
        if (open == null) {
            return;
        }
        open.forEach((groupId, byPartition) -> {
            Iterator<Map.Entry<TopicPartition, Stamped>> it = byPartition.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<TopicPartition, Stamped> e = it.next();
                if (e.getValue().logOffset() < markerOffset) {
                    if (commit) {
                        // Committed before the pending entry leaves, so a reader never sees neither.
                        apply(groupId, e.getKey(), e.getValue().committed(), e.getValue().logOffset());
                    }
                    it.remove();
                }
            }
        });
        open.values().removeIf(Map::isEmpty);
        if (open.isEmpty()) {
            pending.remove(producerId, open);
        }
    }

    // ---- producer sequences of the transactional batches this partition's leader writes ----

    private void trackSequence(RecordBatch batch) {
        if (batch.isControlBatch()) {
            markerEpoch(batch.producerId(), batch.producerEpoch());
        } else if (batch.baseSequence() >= 0) {
            sequences.put(batch.producerId(), new Sequence(batch.producerEpoch(), batch.lastSequence() + 1));
        }
    }

    /** A marker of another epoch restarts the producer's sequence numbers in the partition. */
    private void markerEpoch(long producerId, short epoch) {
        Sequence current = sequences.get(producerId);
        if (current == null || current.epoch() != epoch) {
            sequences.put(producerId, new Sequence(epoch, 0));
        }
    }

    /**
     * The base sequence of the next transactional batch of {@code count} records of {@code producerId} in
     * {@code producerEpoch}, reserved; -1 when the epoch is older than the producer's last one in this partition.
     */
    synchronized int nextSequence(long producerId, short producerEpoch, int count) {
        Sequence current = sequences.get(producerId);
        if (current != null && producerEpoch < current.epoch()) {
            return -1;
        }
        int base = current != null && current.epoch() == producerEpoch ? current.next() : 0;
        sequences.put(producerId, new Sequence(producerEpoch, plus(base, count)));
        return base;
    }

    /** Gives back a reservation of {@link #nextSequence} whose batch was never appended, unless another came since. */
    synchronized void releaseSequence(long producerId, short producerEpoch, int base, int count) {
        sequences.computeIfPresent(producerId, (id, current) -> current.epoch() == producerEpoch
                && current.next() == plus(base, count) ? new Sequence(producerEpoch, base) : current);
    }

    private static int plus(int sequence, int count) {
        return sequence > Integer.MAX_VALUE - count ? count - (Integer.MAX_VALUE - sequence) - 1 : sequence + count;
    }

    // ---- reads ----

    Map<TopicPartition, Stamped> group(String groupId) {
        return offsets.getOrDefault(groupId, Map.of());
    }

    Iterable<String> groupIds() {
        return offsets.keySet();
    }

    /** Whether an open transaction has committed an offset of the group's partition. */
    boolean hasPending(String groupId, TopicPartition tp) {
        for (Map<String, Map<TopicPartition, Stamped>> producer : pending.values()) {
            Map<TopicPartition, Stamped> open = producer.get(groupId);
            if (open != null && open.containsKey(tp)) {
                return true;
            }
        }
        return false;
    }

    /** The partitions of the group with offsets committed by open transactions. */
    List<TopicPartition> pendingPartitions(String groupId) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (Map<String, Map<TopicPartition, Stamped>> producer : pending.values()) {
            Map<TopicPartition, Stamped> open = producer.get(groupId);
            if (open != null) {
                partitions.addAll(open.keySet());
            }
        }
        return partitions;
    }
}
