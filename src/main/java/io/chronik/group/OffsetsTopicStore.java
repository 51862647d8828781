package io.chronik.group;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.cluster.TopicImage;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.AppendResult;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.log.ReadResult;
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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Committed offsets in the partitions of the replicated {@code __consumer_offsets} topic (cluster mode). A group's
 * state lives in partition {@code abs(groupId.hashCode()) % partitions}; this broker serves the groups of the
 * partitions it leads. A commit or deletion is appended as keyed records ({@link OffsetRecords}, tombstones for
 * deletions) as a leader append, and becomes visible once every ISR member has it (acks=all). When this broker
 * becomes leader of a partition it replays the partition's log on its loader thread (bounded reads) and answers
 * COORDINATOR_LOAD_IN_PROGRESS until done; when it stops leading it drops the partition's groups.
 */
public final class OffsetsTopicStore implements GroupStateStore, PartitionStateListener {
    public static final String TOPIC = "__consumer_offsets";
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopicStore.class);
    private static final int READ_BYTES = 1 << 20;
    /** How often a partition whose log has not taken the leader epoch yet is looked at again, and after a failed load. */
    private static final long RETRY_MS = 20;
    private static final long FAILED_LOAD_RETRY_MS = 1_000;

    /** A partition this broker leads in {@code leaderEpoch}: loading, or loaded and served. */
    private record Led(int leaderEpoch, boolean loaded) {
    }

    /** A commit with the log offset of its record, so an older write never replaces a newer one. */
    private record Stamped(Committed committed, long logOffset) {
    }

    private final int brokerId;
    private final LogManager logs;
    private final Leadership leadership;
    private final Supplier<ClusterImage> image;
    private final int configuredPartitions;
    private final long writeTimeoutMs;
    private final Map<Integer, Led> led = new ConcurrentHashMap<>();
    private final Map<String, Map<TopicPartition, Stamped>> offsets = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chronik-offsets-loader");
        t.setDaemon(true);
        return t;
    });

    public OffsetsTopicStore(int brokerId, LogManager logs, Leadership leadership, Supplier<ClusterImage> image,
                             int configuredPartitions, long writeTimeoutMs) {
        this.brokerId = brokerId;
        this.logs = logs;
        this.leadership = leadership;
        this.image = image;
        this.configuredPartitions = configuredPartitions;
        this.writeTimeoutMs = writeTimeoutMs;
    }

    /** The offsets-topic partition of a group: the topic's actual partition count once it exists. */
    int partitionOf(String groupId) {
        int partitions = image.get().topic(TOPIC).map(t -> t.partitions().size()).orElse(configuredPartitions);
        return Utils.abs(groupId.hashCode()) % partitions;
    }

    @Override
    public Errors availability(String groupId) {
        Led state = led.get(partitionOf(groupId));
        return state == null ? Errors.NOT_COORDINATOR : state.loaded() ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS;
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
        Map<TopicPartition, Stamped> current = offsets.getOrDefault(groupId, Map.of());
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
        return delete(groupId, Set.copyOf(offsets.getOrDefault(groupId, Map.of()).keySet()));
    }

    /** Appends one record per key (a null value is a tombstone) and applies them once replicated to the ISR. */
    private CompletableFuture<Void> write(String groupId, List<TopicPartition> keys, List<Committed> values) {
        Errors available = availability(groupId);
        if (available != Errors.NONE) {
            return CompletableFuture.failedFuture(available.exception());
        }
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        int partition = partitionOf(groupId);
        Led writer = led.get(partition);
        Log partitionLog = logs.log(TOPIC, partition).orElse(null);
        if (partitionLog == null || leadership.checkAppend(TOPIC, partition) != null) {
            return CompletableFuture.failedFuture(Errors.NOT_COORDINATOR.exception());
        }
        Errors enough = leadership.checkEnoughReplicas(TOPIC, partition);
        if (enough != Errors.NONE) {
            return CompletableFuture.failedFuture(enough.exception());
        }
        long now = System.currentTimeMillis();
        SimpleRecord[] records = new SimpleRecord[keys.size()];
        for (int i = 0; i < records.length; i++) {
            Committed value = values.get(i);
            records[i] = new SimpleRecord(now, OffsetRecords.key(groupId, keys.get(i)),
                    value == null ? null : OffsetRecords.value(value));
        }
        ByteBuffer batch = MemoryRecords.withRecords(Compression.NONE, records).buffer();
        return partitionLog.append(batch, true).thenCompose(result -> {
            if (result.error() != LogError.NONE || result.lastOffset() < 0) {
                throw Errors.NOT_COORDINATOR.exception("offsets append failed: " + result.error());
            }
            return leadership.afterLeaderAppend(TOPIC, partition, result.lastOffset(), true, writeTimeoutMs)
                    .thenApply(replicated -> {
                        if (replicated != Errors.NONE) {
                            throw replicated.exception();
                        }
                        return result;
                    });
        }).thenAccept(result -> applyWritten(partition, writer, groupId, keys, values, result));
    }

    private synchronized void applyWritten(int partition, Led writer, String groupId, List<TopicPartition> keys,
                                           List<Committed> values, AppendResult result) {
        if (led.get(partition) != writer && !sameEpoch(led.get(partition), writer)) {
            // Leadership moved while the records replicated: the new leader serves them once it has loaded them.
            throw Errors.NOT_COORDINATOR.exception();
        }
        for (int i = 0; i < keys.size(); i++) {
            apply(offsets, groupId, keys.get(i), values.get(i), result.baseOffset() + i);
        }
    }

    private static boolean sameEpoch(Led a, Led b) {
        return a != null && b != null && a.leaderEpoch() == b.leaderEpoch();
    }

    private static void apply(Map<String, Map<TopicPartition, Stamped>> into, String groupId, TopicPartition tp,
                              Committed value, long logOffset) {
        Map<TopicPartition, Stamped> group = into.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
        Stamped existing = group.get(tp);
        if (existing != null && existing.logOffset() > logOffset) {
            return;
        }
        if (value == null) {
            group.remove(tp);
            if (group.isEmpty()) {
                into.remove(groupId, group);
            }
        } else {
            group.put(tp, new Stamped(value, logOffset));
        }
    }

    // ---- reads ----

    @Override
    public Map<TopicPartition, Committed> offsets(String groupId) {
        Map<TopicPartition, Stamped> group = offsets.get(groupId);
        if (group == null) {
            return Map.of();
        }
        Map<TopicPartition, Committed> view = new HashMap<>();
        group.forEach((tp, s) -> view.put(tp, s.committed()));
        return view;
    }

    @Override
    public Map<String, Map<TopicPartition, Committed>> allOffsets() {
        Map<String, Map<TopicPartition, Committed>> all = new HashMap<>();
        for (String groupId : offsets.keySet()) {
            Map<TopicPartition, Committed> group = offsets(groupId);
            if (!group.isEmpty()) {
                all.put(groupId, group);
            }
        }
        return all;
    }

    @Override
    public Set<String> groups() {
        return Set.copyOf(offsets.keySet());
    }

    // ---- leadership of the offsets partitions (publisher thread) ----

    @Override
    public synchronized void onPartitionsChanged(ClusterImage clusterImage, List<LocalPartition> changed) {
        for (LocalPartition local : changed) {
            if (!TOPIC.equals(local.topic())) {
                continue;
            }
            int partition = local.partition();
            Led current = led.get(partition);
            if (local.registration().leader() == brokerId) {
                int epoch = local.registration().leaderEpoch();
                if (current != null && current.leaderEpoch() == epoch) {
                    continue;
                }
                drop(partition);
                Led loading = new Led(epoch, false);
                led.put(partition, loading);
                loader.execute(() -> load(partition, loading));
            } else if (current != null) {
                led.remove(partition);
                drop(partition);
                log.info("No longer coordinating the groups of {}-{}", TOPIC, partition);
            }
        }
    }

    @Override
    public synchronized void onPartitionsRemoved(List<LocalPartition> removed) {
        for (LocalPartition local : removed) {
            if (TOPIC.equals(local.topic()) && led.remove(local.partition()) != null) {
                drop(local.partition());
            }
        }
    }

    private void drop(int partition) {
        offsets.keySet().removeIf(groupId -> partitionOf(groupId) == partition);
    }

    /**
     * Replays one partition on the loader thread once this broker's log has taken the leader epoch (looked at again
     * every few milliseconds until then, as long as this broker is still to lead it), then serves its groups.
     */
    private void load(int partition, Led loading) {
        if (led.get(partition) != loading) {
            return;
        }
        Log partitionLog = logs.log(TOPIC, partition).orElse(null);
        long epochStart = leadership.epochStartOffset(TOPIC, partition);
        if (partitionLog == null || leadership.checkLeader(TOPIC, partition, -1) != null || epochStart < 0
                || epochStart == Long.MAX_VALUE) {
            loader.schedule(() -> load(partition, loading), RETRY_MS, TimeUnit.MILLISECONDS);
            return;
        }
        long started = System.currentTimeMillis();
        Map<String, Map<TopicPartition, Stamped>> loaded = new HashMap<>();
        try {
            long end = partitionLog.logEndOffset();
            long next = partitionLog.logStartOffset();
            while (next < end && led.get(partition) == loading) {
                long before = next;
                next = readBatches(partitionLog, next, loaded);
                if (next <= before) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Stays unloaded (COORDINATOR_LOAD_IN_PROGRESS) and is tried again while this broker leads it.
            log.warn("Could not load {}-{}: {}; trying again", TOPIC, partition, e.toString());
            loader.schedule(() -> load(partition, loading), FAILED_LOAD_RETRY_MS, TimeUnit.MILLISECONDS);
            return;
        }
        synchronized (this) {
            if (led.get(partition) != loading) {
                return;
            }
            loaded.forEach((groupId, group) -> group.forEach((tp, s) ->
                    apply(offsets, groupId, tp, s.committed(), s.logOffset())));
            led.put(partition, new Led(loading.leaderEpoch(), true));
        }
        log.info("Loaded {} groups of {}-{} (leader epoch {}) in {} ms", loaded.size(), TOPIC, partition,
                loading.leaderEpoch(), System.currentTimeMillis() - started);
    }

    /** Reads the batches from {@code offset} (bounded), applies their records and returns the next offset. */
    private static long readBatches(Log partitionLog, long offset, Map<String, Map<TopicPartition, Stamped>> into)
            throws IOException {
        ReadResult read = partitionLog.read(offset, READ_BYTES, true, false);
        if (read.error() != LogError.NONE) {
            throw new IOException("reading at " + offset + ": " + read.error());
        }
        if (read.slice().isEmpty()) {
            return offset;
        }
        ByteBuffer buffer = ByteBuffer.allocate(read.slice().size());
        try {
            long position = read.slice().position();
            while (buffer.hasRemaining()) {
                int n = read.slice().channel().read(buffer, position + buffer.position());
                if (n < 0) {
                    break;
                }
            }
        } finally {
            read.slice().release();
        }
        buffer.flip();
        long next = offset;
        for (RecordBatch batch : MemoryRecords.readableRecords(buffer).batches()) {
            if (batch.lastOffset() < offset) {
                continue;
            }
            if (!batch.isControlBatch()) {
                for (Record record : batch) {
                    if (record.offset() < offset) {
                        continue;
                    }
                    OffsetRecords.Entry entry;
                    try {
                        entry = OffsetRecords.decode(record.key(), record.hasValue() ? record.value() : null);
                    } catch (IllegalArgumentException e) {
                        log.warn("Skipping unreadable record at offset {} of {}: {}", record.offset(), partitionLog, e.getMessage());
                        continue;
                    }
                    if (entry != null) {
                        apply(into, entry.group(), entry.partition(), entry.committed(), record.offset());
                    }
                }
            }
            next = batch.nextOffset();
        }
        return next;
    }

    @Override
    public void close() {
        loader.shutdownNow();
    }
}
