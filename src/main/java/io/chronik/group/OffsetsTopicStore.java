package io.chronik.group;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.coordinator.CoordinatorRuntime;
import io.chronik.coordinator.CoordinatorShard;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import io.chronik.replica.Leadership;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Committed offsets in the partitions of the {@code __consumer_offsets} topic (replicated in a cluster; a broker alone
 * leads every partition, see {@link LocalOffsetsTopic}). A group's
 * state lives in partition {@code abs(groupId.hashCode()) % partitions}; this broker serves the groups of the
 * partitions it leads, through the {@link CoordinatorRuntime}: a commit or deletion is appended as keyed records
 * ({@link OffsetRecords}, tombstones for deletions) and becomes visible once every ISR member has it (acks=all);
 * a broker that becomes leader of a partition replays it first and answers COORDINATOR_LOAD_IN_PROGRESS until done;
 * when it stops leading it drops the partition's groups. Offsets of open transactions (TxnOffsetCommit) are written as
 * transactional batches of the producer and kept pending per producer in the {@link OffsetsShard} until a marker of
 * that producer reaches the partition.
 */
public final class OffsetsTopicStore implements GroupStateStore, PartitionStateListener {
    public static final String TOPIC = "__consumer_offsets";

    /** The topic's partition count once it exists. */
    private final Supplier<Optional<Integer>> topicPartitions;
    private final int configuredPartitions;
    private final CoordinatorRuntime<OffsetsShard> runtime;
    /** Hears the membership records of loaded partitions; until there is one, they wait in {@link #unheard}. */
    private Listener listener;
    private final Map<Integer, Map<java.nio.ByteBuffer, byte[]>> unheard = new HashMap<>();

    /** A broker of a cluster: the topic as the cluster image has it. */
    public OffsetsTopicStore(int brokerId, LogManager logs, Leadership leadership, Supplier<ClusterImage> image,
                             int configuredPartitions, long writeTimeoutMs) {
        this(brokerId, logs, leadership, configuredPartitions, writeTimeoutMs,
                () -> image.get().topic(TOPIC).map(t -> t.partitions().size()));
    }

    private OffsetsTopicStore(int brokerId, LogManager logs, Leadership leadership, int configuredPartitions,
                              long writeTimeoutMs, Supplier<Optional<Integer>> topicPartitions) {
        this.topicPartitions = topicPartitions;
        this.configuredPartitions = configuredPartitions;
        this.runtime = new CoordinatorRuntime<>(TOPIC, brokerId, logs, leadership, p -> new OffsetsShard(p, relay()), writeTimeoutMs);
    }

    /**
     * A broker alone: the topic as its own storage has it; it leads every partition, once {@link LocalOffsetsTopic}
     * has created the topic and calls {@link #lead}.
     */
    public static OffsetsTopicStore alone(int brokerId, LogManager logs, int configuredPartitions, long writeTimeoutMs) {
        return new OffsetsTopicStore(brokerId, logs, Leadership.ALONE, configuredPartitions, writeTimeoutMs,
                () -> logs.topic(TOPIC).map(TopicInfo::partitions));
    }

    /** Passes a shard's membership records on to the listener, or keeps them until there is one. */
    private Listener relay() {
        return new Listener() {
            @Override
            public void loaded(int partition, Map<java.nio.ByteBuffer, byte[]> records) {
                synchronized (OffsetsTopicStore.this) {
                    if (listener == null) {
                        unheard.put(partition, records);
                    } else {
                        listener.loaded(partition, records);
                    }
                }
            }

            @Override
            public void unloaded(int partition) {
                synchronized (OffsetsTopicStore.this) {
                    unheard.remove(partition);
                    if (listener != null) {
                        listener.unloaded(partition);
                    }
                }
            }
        };
    }

    @Override
    public synchronized void listen(Listener listener) {
        this.listener = listener;
        unheard.forEach(listener::loaded);
        unheard.clear();
    }

    /** The offsets-topic partition of a group: the topic's actual partition count once it exists. */
    @Override
    public int partitionOf(String groupId) {
        int partitions = topicPartitions.get().orElse(configuredPartitions);
        return Utils.abs(groupId.hashCode()) % partitions;
    }

    /** Alone: this broker leads {@code partition} (loaded in the background). */
    void lead(int partition) {
        runtime.lead(partition, 0);
    }

    @Override
    public Errors availability(String groupId) {
        int partition = partitionOf(groupId);
        Errors available = runtime.availability(partition);
        if (available == Errors.NONE && !runtime.shard(partition).map(OffsetsShard::isLoaded).orElse(false)) {
            // Loaded, but its groups are being handed to the coordinator this very moment.
            return Errors.COORDINATOR_LOAD_IN_PROGRESS;
        }
        return available;
    }

    private Optional<OffsetsShard> shardOf(String groupId) {
        return runtime.shard(partitionOf(groupId));
    }

    // ---- writes ----

    @Override
    public CompletableFuture<Void> commit(String groupId, Map<TopicPartition, Committed> commits) {
        List<TopicPartition> keys = new ArrayList<>(commits.keySet());
        List<Committed> values = new ArrayList<>();
        keys.forEach(k -> values.add(commits.get(k)));
        return write(groupId, keys, values);
    }

    @Override
    public CompletableFuture<Void> delete(String groupId, Iterable<TopicPartition> partitions) {
        List<TopicPartition> keys = new ArrayList<>();
        List<Committed> values = new ArrayList<>();
        Map<TopicPartition, OffsetsShard.Stamped> current = shardOf(groupId).map(s -> s.group(groupId)).orElse(Map.of());
        for (TopicPartition tp : partitions) {
            if (current.containsKey(tp)) {
                keys.add(tp);
                values.add(null);
            }
        }
        return write(groupId, keys, values);
    }

    @Override
    public CompletableFuture<Void> deleteGroup(String groupId) {
        return delete(groupId, Set.copyOf(shardOf(groupId).map(s -> s.group(groupId)).orElse(Map.of()).keySet()));
    }

    /** Appends one record per key (a null value is a tombstone) and applies them once replicated to the ISR. */
    private CompletableFuture<Void> write(String groupId, List<TopicPartition> keys, List<Committed> values) {
        int partition = partitionOf(groupId);
        Errors available = runtime.availability(partition);
        if (available != Errors.NONE) {
            return CompletableFuture.failedFuture(available.exception());
        }
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        SimpleRecord[] records = records(groupId, keys, values);
        return runtime.write(partition, MemoryRecords.withRecords(Compression.NONE, records), (shard, result) -> {
            for (int i = 0; i < keys.size(); i++) {
                shard.apply(groupId, keys.get(i), values.get(i), result.baseOffset() + i);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> writeGroupRecords(String groupId, List<byte[][]> records) {
        int partition = partitionOf(groupId);
        long now = System.currentTimeMillis();
        SimpleRecord[] batch = new SimpleRecord[records.size()];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = new SimpleRecord(now, records.get(i)[0], records.get(i)[1]);
        }
        return runtime.write(partition, MemoryRecords.withRecords(Compression.NONE, batch), (shard, result) -> null);
    }

    /**
     * Appends the offsets of {@code producerId}'s open transaction as one transactional batch: once replicated they are
     * pending, and become the group's committed offsets when a COMMIT marker of the producer is written to the
     * partition ({@link #markerWritten}); an ABORT marker drops them. INVALID_PRODUCER_EPOCH when the producer has
     * written to the partition with a newer epoch.
     */
    @Override
    public CompletableFuture<Void> commitTransactional(String groupId, long producerId, short producerEpoch,
                                                       Map<TopicPartition, Committed> commits) {
        int partition = partitionOf(groupId);
        Errors available = runtime.availability(partition);
        Optional<OffsetsShard> shard = runtime.shard(partition);
        if (available != Errors.NONE || shard.isEmpty()) {
            return CompletableFuture.failedFuture((available != Errors.NONE ? available : Errors.NOT_COORDINATOR).exception());
        }
        if (commits.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<TopicPartition> keys = new ArrayList<>(commits.keySet());
        SimpleRecord[] records = records(groupId, keys, keys.stream().map(commits::get).toList());
        int sequence = shard.get().nextSequence(producerId, producerEpoch, records.length);
        if (sequence < 0) {
            return CompletableFuture.failedFuture(Errors.INVALID_PRODUCER_EPOCH.exception());
        }
        MemoryRecords batch = MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, producerEpoch, sequence,
                records);
        CompletableFuture<Void> written = runtime.write(partition, batch, (applied, result) -> {
            for (int i = 0; i < keys.size(); i++) {
                applied.applyPending(producerId, groupId, keys.get(i), commits.get(keys.get(i)), result.baseOffset() + i);
            }
            return null;
        });
        if (written.isCompletedExceptionally()) {
            // Refused before anything was appended (not enough replicas, leadership moving): the sequence is free again.
            shard.get().releaseSequence(producerId, producerEpoch, sequence, records.length);
        }
        return written;
    }

    /**
     * A COMMIT or ABORT marker of {@code producerId} was written to {@code topic}-{@code partition} at
     * {@code markerOffset} and replicated (WriteTxnMarkers): on a partition of this topic, the producer's pending
     * offsets there become committed, or are dropped.
     */
    public void markerWritten(String topic, int partition, long producerId, short producerEpoch, boolean commit,
                              long markerOffset) {
        if (!TOPIC.equals(topic)) {
            return;
        }
        runtime.withShard(partition, shard -> shard.markerWritten(producerId, producerEpoch, commit, markerOffset));
    }

    @Override
    public boolean hasPendingOffset(String groupId, TopicPartition tp) {
        return shardOf(groupId).map(s -> s.hasPending(groupId, tp)).orElse(false);
    }

    @Override
    public List<TopicPartition> pendingPartitions(String groupId) {
        return shardOf(groupId).map(s -> s.pendingPartitions(groupId)).orElse(List.of());
    }

    private static SimpleRecord[] records(String groupId, List<TopicPartition> keys, List<Committed> values) {
        long now = System.currentTimeMillis();
        SimpleRecord[] records = new SimpleRecord[keys.size()];
        for (int i = 0; i < records.length; i++) {
            Committed value = values.get(i);
            records[i] = new SimpleRecord(now, OffsetRecords.key(groupId, keys.get(i)),
                    value == null ? null : OffsetRecords.value(value));
        }
        return records;
    }

    // ---- reads ----

    @Override
    public Map<TopicPartition, Committed> offsets(String groupId) {
        Map<TopicPartition, OffsetsShard.Stamped> group = shardOf(groupId).map(s -> s.group(groupId)).orElse(Map.of());
        Map<TopicPartition, Committed> view = new HashMap<>();
        group.forEach((tp, s) -> view.put(tp, s.committed()));
        return view;
    }

    @Override
    public Map<String, Map<TopicPartition, Committed>> allOffsets() {
        Map<String, Map<TopicPartition, Committed>> all = new HashMap<>();
        for (String groupId : groups()) {
            Map<TopicPartition, Committed> group = offsets(groupId);
            if (!group.isEmpty()) {
                all.put(groupId, group);
            }
        }
        return all;
    }

    @Override
    public Set<String> groups() {
        Set<String> groups = new java.util.HashSet<>();
        runtime.shards().values().forEach(shard -> shard.groupIds().forEach(groups::add));
        return groups;
    }

    // ---- leadership of the offsets partitions (publisher thread) ----

    @Override
    public void onPartitionsChanged(ClusterImage clusterImage, List<LocalPartition> changed) {
        runtime.onPartitionsChanged(clusterImage, changed);
    }

    @Override
    public void onPartitionsRemoved(List<LocalPartition> removed) {
        runtime.onPartitionsRemoved(removed);
    }

    @Override
    public void close() {
        runtime.close();
    }
}
