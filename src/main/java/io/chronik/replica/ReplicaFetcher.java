package io.chronik.replica;

import io.chronik.client.BrokerClient;
import io.chronik.log.AppendResult;
import io.chronik.log.EpochEndOffset;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ReplicaState;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fetches every partition this broker follows from one leader, as Kafka's replica fetcher does: one Fetch for all
 * of them at a time over the pipelined client, the leader holding it until it has something (its purgatory is
 * woken by appends). Each answer's batches are appended byte for byte; once they are in the log (and on disk
 * when followers are durable) the next fetch goes out at the new log end, which is how the leader learns how far
 * this replica has got. A diverging epoch truncates the log to where it agrees with the leader. Nothing here
 * blocks: the steps are chained on futures, and a failure backs off before the next fetch.
 */
final class ReplicaFetcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);
    static final short FETCH_VERSION = 17;

    /** One followed partition, replaced by a new object when its leadership changes. */
    static final class FetchState {
        final Partition partition;
        final Uuid topicId;
        final int leaderEpoch;
        volatile long retryAtNanos;

        FetchState(Partition partition, int leaderEpoch) {
            this.partition = partition;
            this.topicId = new Uuid(partition.topicId().getMostSignificantBits(), partition.topicId().getLeastSignificantBits());
            this.leaderEpoch = leaderEpoch;
        }
    }

    private final int leaderId;
    private final String host;
    private final int port;
    private final BrokerClient client;
    private final ReplicationSettings settings;
    private final ReplicationThrottles throttles;
    private final ScheduledExecutorService scheduler;
    private final Map<String, FetchState> partitions = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean closed;
    private long backoffUntilNanos;

    ReplicaFetcher(int leaderId, String host, int port, BrokerClient client, ReplicationSettings settings,
                   ReplicationThrottles throttles, ScheduledExecutorService scheduler) {
        this.leaderId = leaderId;
        this.host = host;
        this.port = port;
        this.client = client;
        this.settings = settings;
        this.throttles = throttles;
        this.scheduler = scheduler;
    }

    int leaderId() {
        return leaderId;
    }

    boolean hasEndpoint(String h, int p) {
        return host.equals(h) && port == p;
    }

    boolean isEmpty() {
        return partitions.isEmpty();
    }

    void add(Partition partition, int leaderEpoch) {
        partitions.put(key(partition), new FetchState(partition, leaderEpoch));
        kick();
    }

    void remove(Partition partition) {
        partitions.remove(key(partition));
    }

    private static String key(Partition p) {
        return p.topic() + "-" + p.partition();
    }

    /** Starts a fetch round unless one is running. */
    private void kick() {
        if (!closed && running.compareAndSet(false, true)) {
            scheduler.execute(this::fetchRound);
        }
    }

    private void fetchRound() {
        if (closed) {
            running.set(false);
            return;
        }
        long now = System.nanoTime();
        List<FetchState> sent = new ArrayList<>();
        FetchRequestData request = buildRequest(now, sent);
        if (sent.isEmpty()) {
            running.set(false);
            // A partition added meanwhile, or one backing off or held back by the throttle, needs another round.
            long throttledUntil = throttledUntil(now);
            long next = java.util.stream.LongStream.concat(partitions.values().stream().mapToLong(s -> s.retryAtNanos),
                    java.util.stream.LongStream.of(throttledUntil)).filter(t -> t > now).min().orElse(0);
            if (!partitions.isEmpty() && next > 0) {
                scheduler.schedule(this::kick, next - now, TimeUnit.NANOSECONDS);
            } else if (!partitions.isEmpty() && partitions.values().stream().anyMatch(s -> s.retryAtNanos <= now)) {
                kick();
            }
            return;
        }
        client.<FetchResponseData>send(ApiKeys.FETCH, FETCH_VERSION, request).whenComplete((response, error) -> {
            if (error != null) {
                log.debug("Fetch from broker {} failed: {}", leaderId, error.toString());
                backOffAll();
                return;
            }
            try {
                handle(response, sent).whenComplete((v, e) -> next(e));
            } catch (RuntimeException e) {
                next(e);
            }
        });
    }

    private void next(Throwable error) {
        if (error != null) {
            log.warn("Replicating from broker {} failed: {}", leaderId, error.toString());
            backOffAll();
            return;
        }
        scheduler.execute(this::fetchRound);
    }

    private void backOffAll() {
        if (closed) {
            running.set(false);
            return;
        }
        scheduler.schedule(this::fetchRound, settings.fetchBackoff().toMillis(), TimeUnit.MILLISECONDS);
    }

    private FetchRequestData buildRequest(long now, List<FetchState> sent) {
        FetchRequestData request = new FetchRequestData()
                .setReplicaState(new ReplicaState().setReplicaId(settings.brokerId()).setReplicaEpoch(-1))
                .setMaxWaitMs((int) settings.fetchWaitMax().toMillis())
                .setMinBytes(1)
                .setMaxBytes(settings.fetchMaxBytes())
                .setIsolationLevel((byte) 0)
                .setSessionId(0)
                .setSessionEpoch(-1)
                .setRackId("");
        Map<Uuid, FetchTopic> topics = new HashMap<>();
        ReplicationQuota quota = throttles.followerQuota();
        long allowance = quota.available(now);
        boolean enough = allowance >= quota.chunk(settings.fetchPartitionMaxBytes());
        for (FetchState state : partitions.values()) {
            if (state.retryAtNanos > now) {
                continue;
            }
            int maxBytes = settings.fetchPartitionMaxBytes();
            if (throttled(state, quota)) {
                // Kafka's rule: a throttled replica behind the leader is not asked for while the quota is exceeded
                // (here: until the bucket holds a chunk worth a fetch).
                if (!enough) {
                    continue;
                }
                maxBytes = (int) Math.min(maxBytes, Math.max(1, allowance));
            }
            Log replicaLog = state.partition.log();
            FetchTopic topic = topics.computeIfAbsent(state.topicId, id -> {
                FetchTopic t = new FetchTopic().setTopicId(id).setTopic(state.partition.topic());
                request.topics().add(t);
                return t;
            });
            topic.partitions().add(new FetchPartition()
                    .setPartition(state.partition.partition())
                    .setCurrentLeaderEpoch(state.leaderEpoch)
                    .setFetchOffset(replicaLog.logEndOffset())
                    .setLastFetchedEpoch(replicaLog.latestEpoch().orElse(-1))
                    .setLogStartOffset(replicaLog.logStartOffset())
                    .setPartitionMaxBytes(maxBytes));
            sent.add(state);
        }
        return request;
    }

    /** Whether the follower throttle applies to the partition now: listed, limited, and behind the leader. */
    private boolean throttled(FetchState state, ReplicationQuota quota) {
        return !quota.unlimited() && throttles.followerThrottled(state.partition.topic(), state.partition.partition())
                && !state.partition.caughtUpWithLeader();
    }

    /** When the partitions the throttle holds back may be asked for again; 0 when none is held back. */
    private long throttledUntil(long now) {
        ReplicationQuota quota = throttles.followerQuota();
        long wait = quota.nanosUntil(quota.chunk(settings.fetchPartitionMaxBytes()), now);
        if (wait == 0 || partitions.values().stream().noneMatch(s -> throttled(s, quota))) {
            return 0;
        }
        return now + Math.max(wait, 1_000_000L);
    }

    /** Applies one answer: appends, truncations and high watermarks; completes when all are done. */
    private CompletableFuture<Void> handle(FetchResponseData response, List<FetchState> sent) {
        if (response.errorCode() != Errors.NONE.code()) {
            throw new IllegalStateException("fetch answered " + Errors.forCode(response.errorCode()));
        }
        Map<String, FetchState> byKey = new HashMap<>();
        sent.forEach(s -> byKey.put(key(s.partition), s));
        Map<Uuid, String> names = new HashMap<>();
        sent.forEach(s -> names.put(s.topicId, s.partition.topic()));
        List<CompletableFuture<?>> steps = new ArrayList<>();
        for (FetchableTopicResponse topic : response.responses()) {
            String name = names.get(topic.topicId());
            for (PartitionData data : topic.partitions()) {
                FetchState state = byKey.get(name + "-" + data.partitionIndex());
                if (state == null || partitions.get(key(state.partition)) != state) {
                    continue; // no longer followed from this leader in this epoch
                }
                steps.add(apply(state, data));
            }
        }
        return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<?> apply(FetchState state, PartitionData data) {
        Partition partition = state.partition;
        Log replicaLog = partition.log();
        Errors error = Errors.forCode(data.errorCode());
        if (error == Errors.OFFSET_OUT_OF_RANGE && data.logStartOffset() > replicaLog.logEndOffset()) {
            // Everything this replica has lies below the leader's log start: start over there.
            log.info("{} starts over at offset {}: its log ends at {}, below leader {}'s log start", partition,
                    data.logStartOffset(), replicaLog.logEndOffset(), leaderId);
            return replicaLog.truncateFullyAndStartAt(data.logStartOffset());
        }
        if (error != Errors.NONE) {
            // Not the leader (any more, or not yet in this epoch), or the partition is missing there: wait for the
            // metadata to settle, then try again.
            log.debug("Fetching {} from broker {}: {}", partition, leaderId, error);
            state.retryAtNanos = System.nanoTime() + settings.fetchBackoff().toNanos();
            return CompletableFuture.completedFuture(null);
        }
        partition.leaderHighWatermarkSeen(data.highWatermark());
        if (data.divergingEpoch() != null && data.divergingEpoch().epoch() >= 0) {
            long truncateTo = truncationOffset(replicaLog, data.divergingEpoch().epoch(), data.divergingEpoch().endOffset());
            log.info("Truncating {} to offset {}: it diverges from leader {} after epoch {} at offset {}", partition,
                    truncateTo, leaderId, data.divergingEpoch().epoch(), data.divergingEpoch().endOffset());
            return replicaLog.truncateTo(truncateTo);
        }
        ByteBuffer batches = buffer(data.records());
        if (batches == null || !batches.hasRemaining()) {
            return caughtUp(replicaLog, data);
        }
        if (throttles.followerThrottled(partition.topic(), partition.partition())) {
            throttles.followerQuota().record(batches.remaining(), System.nanoTime());
        }
        return replicaLog.appendAsFollower(batches, settings.durableFollowers()).thenCompose(result -> {
            if (result.error() != LogError.NONE) {
                log.warn("Appending to follower {} failed: {} {}", partition, result.error(), result.message());
                state.retryAtNanos = System.nanoTime() + settings.fetchBackoff().toNanos();
                return CompletableFuture.completedFuture(null);
            }
            return caughtUp(replicaLog, data);
        });
    }

    /**
     * After an answer is in the log: the follower's high watermark follows the leader's (never past its own log
     * end), and so does its log start (retention and DeleteRecords on the leader), as far as its high watermark.
     */
    private static CompletableFuture<?> caughtUp(Log replicaLog, PartitionData data) {
        replicaLog.updateHighWatermark(Math.min(data.highWatermark(), replicaLog.logEndOffset()));
        long start = Math.min(data.logStartOffset(), replicaLog.highWatermark());
        if (start > replicaLog.logStartOffset()) {
            return replicaLog.deleteRecordsBefore(start).handle((v, e) -> {
                if (e != null) {
                    log.debug("{} could not move its log start to {}: {}", replicaLog, start, e.toString());
                }
                return null;
            });
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Where this replica agrees with the leader, from the leader's end of {@code epoch} (Kafka's rule). */
    static long truncationOffset(Log replicaLog, int leaderEpoch, long leaderEndOffset) {
        long end = replicaLog.logEndOffset();
        if (leaderEpoch < 0 || leaderEndOffset < 0) {
            return Math.min(replicaLog.highWatermark(), end);
        }
        EpochEndOffset own = replicaLog.endOffsetForEpoch(leaderEpoch);
        if (own.epoch() < 0 || own.endOffset() < 0) {
            return Math.min(leaderEndOffset, end);
        }
        // Same epoch: agree up to the smaller end. An older own epoch: cut at its end and ask again.
        return Math.min(Math.min(leaderEndOffset, own.endOffset()), end);
    }

    private static ByteBuffer buffer(BaseRecords records) {
        if (records instanceof MemoryRecords memory) {
            return memory.buffer();
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        partitions.clear();
        client.close();
    }
}
