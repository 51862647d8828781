package io.chronik.coordinator;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.log.AppendResult;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.log.ReadResult;
import io.chronik.replica.Leadership;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/**
 * What every coordinator that keeps its state in the partitions of an internal topic shares (the group coordinator
 * in {@code __consumer_offsets}, the transaction coordinator in {@code __transaction_state}): this broker serves the
 * partitions it leads, one {@link CoordinatorShard} each.
 *
 * <ul>
 *   <li>When this broker becomes leader of a partition (in a cluster, heard from the metadata publisher; alone,
 *   told by {@link #lead}), a fresh shard replays the partition's log on the loader thread (bounded reads, data and
 *   control batches in log order); until then {@link #availability} answers COORDINATOR_LOAD_IN_PROGRESS.</li>
 *   <li>A write appends one batch as the partition's leader and completes once every ISR member has it (acks=all);
 *   only then is it applied to the shard, and only if the shard that was current when it was written still is.</li>
 *   <li>When this broker stops leading, the shard is dropped and {@link #availability} answers NOT_COORDINATOR.</li>
 * </ul>
 *
 * Reads of a shard's state are in memory and never block; shards make their own state safe to read concurrently.
 */
public final class CoordinatorRuntime<S extends CoordinatorShard> implements PartitionStateListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorRuntime.class);
    private static final int READ_BYTES = 1 << 20;
    /** How often a partition whose log has not taken the leader epoch yet is looked at again. */
    private static final long RETRY_MS = 20;
    private static final long FAILED_LOAD_RETRY_MS = 1_000;

    /** A partition this broker leads in {@code leaderEpoch}, with its shard: loading, or loaded and served. */
    private record Led<S>(int leaderEpoch, S shard, boolean loaded) {
    }

    private final String topic;
    private final int brokerId;
    private final LogManager logs;
    private final Leadership leadership;
    private final IntFunction<S> newShard;
    private final long writeTimeoutMs;
    private final Map<Integer, Led<S>> led = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loader;

    /**
     * @param topic          the internal topic whose partitions hold the coordinator's state
     * @param newShard       an empty shard for a partition, filled by replaying it
     * @param writeTimeoutMs how long a write waits for the ISR
     */
    public CoordinatorRuntime(String topic, int brokerId, LogManager logs, Leadership leadership, IntFunction<S> newShard,
                              long writeTimeoutMs) {
        this.topic = topic;
        this.brokerId = brokerId;
        this.logs = logs;
        this.leadership = leadership;
        this.newShard = newShard;
        this.writeTimeoutMs = writeTimeoutMs;
        this.loader = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chronik-loader-" + topic);
            t.setDaemon(true);
            return t;
        });
    }

    /** NONE when this broker serves the partition, COORDINATOR_LOAD_IN_PROGRESS while loading, else NOT_COORDINATOR. */
    public Errors availability(int partition) {
        Led<S> state = led.get(partition);
        return state == null ? Errors.NOT_COORDINATOR : state.loaded() ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** The loaded shard of a partition this broker serves. */
    public Optional<S> shard(int partition) {
        Led<S> state = led.get(partition);
        return state != null && state.loaded() ? Optional.of(state.shard()) : Optional.empty();
    }

    /** The leader epoch in which this broker leads the partition (the coordinator epoch), or -1 when it does not. */
    public int leaderEpoch(int partition) {
        Led<S> state = led.get(partition);
        return state == null ? -1 : state.leaderEpoch();
    }

    /** Every loaded shard, by partition. */
    public Map<Integer, S> shards() {
        Map<Integer, S> loaded = new java.util.HashMap<>();
        led.forEach((partition, state) -> {
            if (state.loaded()) {
                loaded.put(partition, state.shard());
            }
        });
        return loaded;
    }

    /**
     * Appends {@code records} (one batch) to the partition as its leader and, once every ISR member has it, applies
     * it with {@code onReplicated(shard, result)} and completes with what that returns. Fails with the Kafka error
     * as exception: the partition's {@link #availability}, NOT_COORDINATOR when leadership moved before the batch
     * was replicated (the new leader replays it), NOT_ENOUGH_REPLICAS or REQUEST_TIMED_OUT from replication.
     */
    public <T> CompletableFuture<T> write(int partition, MemoryRecords records, BiFunction<S, AppendResult, T> onReplicated) {
        return write(partition, records, true, onReplicated);
    }

    /**
     * Like {@link #write(int, MemoryRecords, BiFunction)}; with {@code awaitFsync} false the leader does not wait for
     * its own fsync (the ISR still has the batch before it is applied). Only for records whose loss in a crash is
     * harmless because replay redoes their effect (a transaction's completion after its markers), and which a later
     * durable write of the partition makes durable too.
     */
    public <T> CompletableFuture<T> write(int partition, MemoryRecords records, boolean awaitFsync,
                                          BiFunction<S, AppendResult, T> onReplicated) {
        Errors available = availability(partition);
        if (available != Errors.NONE) {
            return CompletableFuture.failedFuture(available.exception());
        }
        Led<S> writer = led.get(partition);
        Log partitionLog = logs.log(topic, partition).orElse(null);
        if (writer == null || partitionLog == null || leadership.checkAppend(topic, partition) != null) {
            return CompletableFuture.failedFuture(Errors.NOT_COORDINATOR.exception());
        }
        Errors enough = leadership.checkEnoughReplicas(topic, partition);
        if (enough != Errors.NONE) {
            return CompletableFuture.failedFuture(enough.exception());
        }
        return partitionLog.append(records.buffer(), awaitFsync).thenCompose(result -> {
            if (result.error() != LogError.NONE || result.lastOffset() < 0) {
                throw Errors.NOT_COORDINATOR.exception(topic + "-" + partition + " append failed: " + result.error());
            }
            return leadership.afterLeaderAppend(topic, partition, result.lastOffset(), true, writeTimeoutMs)
                    .thenApply(replicated -> {
                        if (replicated != Errors.NONE) {
                            throw replicated.exception();
                        }
                        return result;
                    });
        }).thenApply(result -> applyWritten(partition, writer, result, onReplicated));
    }

    private synchronized <T> T applyWritten(int partition, Led<S> writer, AppendResult result,
                                            BiFunction<S, AppendResult, T> onReplicated) {
        Led<S> current = led.get(partition);
        if (current == null || current.shard() != writer.shard()) {
            // Leadership moved while the records replicated: the new leader serves them once it has loaded them.
            throw Errors.NOT_COORDINATOR.exception();
        }
        return onReplicated.apply(writer.shard(), result);
    }

    /**
     * Runs {@code action} on the partition's current shard (loading or loaded) under the runtime's lock, so it is
     * ordered with the application of writes and with leadership changes; false when this broker does not lead it.
     * For records written to the partition by other paths than {@link #write} (transaction markers); such a record
     * may also be replayed by a load in progress, so shards apply records idempotently (by offset).
     */
    public synchronized boolean withShard(int partition, java.util.function.Consumer<S> action) {
        Led<S> current = led.get(partition);
        if (current == null) {
            return false;
        }
        action.accept(current.shard());
        return true;
    }

    // ---- leadership of the partitions ----

    /** This broker leads {@code partition} in {@code leaderEpoch}: (re)load it unless already leading in that epoch. */
    public synchronized void lead(int partition, int leaderEpoch) {
        Led<S> current = led.get(partition);
        if (current != null && current.leaderEpoch() == leaderEpoch) {
            return;
        }
        if (current != null) {
            current.shard().unloaded();
        }
        Led<S> loading = new Led<>(leaderEpoch, newShard.apply(partition), false);
        led.put(partition, loading);
        loader.execute(() -> load(partition, loading));
    }

    /** This broker no longer leads {@code partition}: its shard is dropped. */
    public synchronized void resign(int partition) {
        Led<S> current = led.remove(partition);
        if (current != null) {
            current.shard().unloaded();
            log.info("No longer coordinating {}-{}", topic, partition);
        }
    }

    @Override
    public void onPartitionsChanged(ClusterImage clusterImage, List<LocalPartition> changed) {
        for (LocalPartition local : changed) {
            if (!topic.equals(local.topic())) {
                continue;
            }
            if (local.registration().leader() == brokerId) {
                lead(local.partition(), local.registration().leaderEpoch());
            } else {
                resign(local.partition());
            }
        }
    }

    @Override
    public void onPartitionsRemoved(List<LocalPartition> removed) {
        for (LocalPartition local : removed) {
            if (topic.equals(local.topic())) {
                resign(local.partition());
            }
        }
    }

    /**
     * Replays one partition into its new shard on the loader thread once this broker's log has taken the leader
     * epoch (looked at again every few milliseconds until then, as long as this broker is still to lead it).
     */
    private void load(int partition, Led<S> loading) {
        if (led.get(partition) != loading) {
            return;
        }
        Log partitionLog = logs.log(topic, partition).orElse(null);
        long epochStart = leadership.epochStartOffset(topic, partition);
        boolean alone = leadership == Leadership.ALONE;
        if (partitionLog == null || leadership.checkLeader(topic, partition, -1) != null
                || (!alone && (epochStart < 0 || epochStart == Long.MAX_VALUE))) {
            loader.schedule(() -> load(partition, loading), RETRY_MS, TimeUnit.MILLISECONDS);
            return;
        }
        long started = System.currentTimeMillis();
        long start = partitionLog.logStartOffset();
        long end = partitionLog.logEndOffset();
        try {
            long next = start;
            while (next < end && led.get(partition) == loading) {
                long before = next;
                next = replayFrom(partitionLog, partition, next, loading);
                if (next <= before) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Stays unloaded (COORDINATOR_LOAD_IN_PROGRESS) and is loaded again from scratch while this broker leads it.
            log.warn("Could not load {}-{}: {}; trying again", topic, partition, e.toString());
            synchronized (this) {
                if (led.get(partition) == loading) {
                    Led<S> retry = new Led<>(loading.leaderEpoch(), newShard.apply(partition), false);
                    led.put(partition, retry);
                    loader.schedule(() -> load(partition, retry), FAILED_LOAD_RETRY_MS, TimeUnit.MILLISECONDS);
                }
            }
            return;
        }
        synchronized (this) {
            if (led.get(partition) != loading) {
                return;
            }
            led.put(partition, new Led<>(loading.leaderEpoch(), loading.shard(), true));
            loading.shard().loaded();
        }
        // An empty partition (most of them on a new cluster) is not worth an INFO line each.
        if (end > start) {
            log.info("Loaded {}-{} (offsets {} to {}, leader epoch {}) in {} ms", topic, partition, start, end,
                    loading.leaderEpoch(), System.currentTimeMillis() - started);
        } else {
            log.debug("Loaded empty {}-{} (leader epoch {})", topic, partition, loading.leaderEpoch());
        }
    }

    /** Reads the batches from {@code offset} (bounded), replays them and returns the next offset. */
    private long replayFrom(Log partitionLog, int partition, long offset, Led<S> loading) throws IOException {
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
            if (batch.lastOffset() >= offset) {
                synchronized (this) {
                    if (led.get(partition) != loading) {
                        return next;
                    }
                    loading.shard().replay(batch, offset);
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
