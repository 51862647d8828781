package io.chronik.group;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.coordinator.CoordinatorRuntime;
import io.chronik.coordinator.CoordinatorShard;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.LogManager;
import io.chronik.replica.Leadership;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Committed offsets in the partitions of the replicated {@code __consumer_offsets} topic (cluster mode). A group's
 * state lives in partition {@code abs(groupId.hashCode()) % partitions}; this broker serves the groups of the
 * partitions it leads, through the {@link CoordinatorRuntime}: a commit or deletion is appended as keyed records
 * ({@link OffsetRecords}, tombstones for deletions) and becomes visible once every ISR member has it (acks=all);
 * a broker that becomes leader of a partition replays it first and answers COORDINATOR_LOAD_IN_PROGRESS until done;
 * when it stops leading it drops the partition's groups.
 */
public final class OffsetsTopicStore implements GroupStateStore, PartitionStateListener {
    public static final String TOPIC = "__consumer_offsets";
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopicStore.class);

    /** A commit with the log offset of its record, so an older write never replaces a newer one. */
    private record Stamped(Committed committed, long logOffset) {
    }

    /** The groups of one offsets partition: group id -> partition -> latest commit. */
    static final class OffsetsShard implements CoordinatorShard {
        private final Map<String, Map<TopicPartition, Stamped>> offsets = new ConcurrentHashMap<>();

        @Override
        public void replay(RecordBatch batch, long fromOffset) {
            if (batch.isControlBatch()) {
                return;
            }
            for (Record record : batch) {
                if (record.offset() < fromOffset) {
                    continue;
                }
                OffsetRecords.Entry entry;
                try {
                    entry = OffsetRecords.decode(record.key(), record.hasValue() ? record.value() : null);
                } catch (IllegalArgumentException e) {
                    log.warn("Skipping unreadable record at offset {} of {}: {}", record.offset(), TOPIC, e.getMessage());
                    continue;
                }
                if (entry != null) {
                    apply(entry.group(), entry.partition(), entry.committed(), record.offset());
                }
            }
        }

        void apply(String groupId, TopicPartition tp, Committed value, long logOffset) {
            Map<TopicPartition, Stamped> group = offsets.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
            Stamped existing = group.get(tp);
            if (existing != null && existing.logOffset() > logOffset) {
                return;
            }
            if (value == null) {
                group.remove(tp);
                if (group.isEmpty()) {
                    offsets.remove(groupId, group);
                }
            } else {
                group.put(tp, new Stamped(value, logOffset));
            }
        }

        Map<TopicPartition, Stamped> group(String groupId) {
            return offsets.getOrDefault(groupId, Map.of());
        }
    }

    private final Supplier<ClusterImage> image;
    private final int configuredPartitions;
    private final CoordinatorRuntime<OffsetsShard> runtime;

    public OffsetsTopicStore(int brokerId, LogManager logs, Leadership leadership, Supplier<ClusterImage> image,
                             int configuredPartitions, long writeTimeoutMs) {
        this.image = image;
        this.configuredPartitions = configuredPartitions;
        this.runtime = new CoordinatorRuntime<>(TOPIC, brokerId, logs, leadership, p -> new OffsetsShard(), writeTimeoutMs);
    }

    /** The offsets-topic partition of a group: the topic's actual partition count once it exists. */
    int partitionOf(String groupId) {
        int partitions = image.get().topic(TOPIC).map(t -> t.partitions().size()).orElse(configuredPartitions);
        return Utils.abs(groupId.hashCode()) % partitions;
    }

    @Override
    public Errors availability(String groupId) {
        return runtime.availability(partitionOf(groupId));
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
        Map<TopicPartition, Stamped> current = shardOf(groupId).map(s -> s.group(groupId)).orElse(Map.of());
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
        long now = System.currentTimeMillis();
        SimpleRecord[] records = new SimpleRecord[keys.size()];
        for (int i = 0; i < records.length; i++) {
            Committed value = values.get(i);
            records[i] = new SimpleRecord(now, OffsetRecords.key(groupId, keys.get(i)),
                    value == null ? null : OffsetRecords.value(value));
        }
        return runtime.write(partition, MemoryRecords.withRecords(Compression.NONE, records), (shard, result) -> {
            for (int i = 0; i < keys.size(); i++) {
                shard.apply(groupId, keys.get(i), values.get(i), result.baseOffset() + i);
            }
            return null;
        });
    }

    // ---- reads ----

    @Override
    public Map<TopicPartition, Committed> offsets(String groupId) {
        Map<TopicPartition, Stamped> group = shardOf(groupId).map(s -> s.group(groupId)).orElse(Map.of());
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
        runtime.shards().values().forEach(shard -> groups.addAll(shard.offsets.keySet()));
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
