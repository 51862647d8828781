package io.chronik.handler;

import io.chronik.log.AbortedTxn;
import io.chronik.log.FileSlice;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.log.ReadResult;
import io.chronik.log.TopicInfo;
import io.chronik.metrics.BrokerMetrics;
import io.chronik.protocol.Api;
import io.chronik.protocol.FileReference;
import io.chronik.protocol.KafkaRequest;
import io.chronik.protocol.Records;
import io.chronik.replica.Leadership;
import io.chronik.replica.Leadership.ReplicaFetchCheck;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.AbortedTransaction;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Fetch: reads whole batches from the segment files (sent later with sendfile, never copied through the heap)
 * and long-polls: when fewer than min_bytes are available it parks until an append to one of the partitions or
 * until max_wait_ms, with no timer loop. A min_bytes of 0 is always satisfied: such a fetch answers at once.
 * Fetch sessions are not kept: a session id of 0 makes clients send full fetch requests, as Kafka allows.
 */
public final class FetchHandler implements RequestHandler {
    private final LogManager logs;
    private final Scheduler io;
    private final AppendWaiters waiters = new AppendWaiters();
    private final BrokerMetrics metrics;
    private final Leadership leadership;

    public FetchHandler(LogManager logs, Scheduler io, BrokerMetrics metrics) {
        this(logs, io, metrics, Leadership.ALONE);
    }

    public FetchHandler(LogManager logs, Scheduler io, BrokerMetrics metrics, Leadership leadership) {
        this.logs = logs;
        this.io = io;
        this.metrics = metrics;
        this.leadership = leadership;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.FETCH);
    }

    @Override
    public Mono<FetchResponseData> handle(KafkaRequest request) {
        FetchRequestData body = request.body();
        long deadline = System.nanoTime() + Math.max(0, body.maxWaitMs()) * 1_000_000L;
        HeldSlices held = new HeldSlices();
        // A fetch that is cancelled (its connection went away) or fails gives back the segment files its reads hold,
        // including those of a read still running when the cancel arrives. An answered fetch's slices travel with
        // the response: the encoder moves them to the file regions.
        return poll(body, request.version(), deadline, held)
                .map(response -> request.version() >= 6 ? response : withoutStorageError(response))
                .doOnCancel(held::close)
                .doOnError(e -> held.close());
    }

    private static FetchResponseData withoutStorageError(FetchResponseData response) {
        response.responses().forEach(t -> t.partitions().forEach(
                p -> p.setErrorCode(ErrorCodes.storageErrorFor(p.errorCode(), false))));
        return response;
    }

    private Mono<FetchResponseData> poll(FetchRequestData body, short version, long deadline, HeldSlices held) {
        return Mono.fromCallable(() -> read(body, version, held)).subscribeOn(io).flatMap(attempt -> {
            long remaining = deadline - System.nanoTime();
            // As Kafka: enough bytes (min_bytes 0 or less is always enough), an error, or the wait is over.
            if (attempt.bytes >= body.minBytes() || attempt.hasError || remaining <= 0
                    || attempt.signals.isEmpty()) {
                attempt.bytesByTopic.forEach(metrics::fetched);
                if (attempt.throttledBytes > 0) {
                    leadership.throttledFetchSent(attempt.throttledBytes);
                }
                return Mono.just(attempt.response);
            }
            // Not answered: this attempt's slices go back before waiting, the next attempt reads again.
            held.releaseAll();
            return waiters.await(attempt.signals, Duration.ofNanos(remaining))
                    .then(Mono.defer(() -> poll(body, version, deadline, held)));
        });
    }

    private Attempt read(FetchRequestData body, short version, HeldSlices held) {
        try {
            return readPartitions(body, version, held);
        } catch (RuntimeException e) {
            held.releaseAll();
            throw e;
        }
    }

    private Attempt readPartitions(FetchRequestData body, short version, HeldSlices held) {
        boolean byId = version >= 13;
        int replicaId = version >= 15 ? body.replicaState().replicaId() : body.replicaId();
        // A follower's fetch reads up to the log end and tells the leader how far the follower is; leader
        // appends in the meantime wake it as they wake consumers.
        boolean follower = replicaId >= 0 && leadership != Leadership.ALONE;
        // read_committed (isolation level 1): data only below the last stable offset, with the aborted transactions.
        boolean readCommitted = !follower && body.isolationLevel() == 1;
        FetchResponseData response = new FetchResponseData().setErrorCode(Errors.NONE.code()).setSessionId(0);
        int budget = body.maxBytes() > 0 ? body.maxBytes() : Integer.MAX_VALUE;
        int total = 0;
        long throttledBytes = 0;
        boolean hasError = false;
        List<CompletableFuture<Void>> signals = new ArrayList<>();
        Map<String, Integer> bytesByTopic = new HashMap<>();
        for (FetchTopic topicRequest : body.topics()) {
            Optional<TopicInfo> topic = TopicIds.lookup(logs, byId, topicRequest.topicId(), topicRequest.topic());
            FetchableTopicResponse topicResponse = new FetchableTopicResponse().setTopic(topicRequest.topic())
                    .setTopicId(topicRequest.topicId());
            response.responses().add(topicResponse);
            for (FetchPartition partitionRequest : topicRequest.partitions()) {
                PartitionData partition = new PartitionData().setPartitionIndex(partitionRequest.partition())
                        .setRecords(Records.empty());
                topicResponse.partitions().add(partition);
                String name = topic.map(TopicInfo::name).orElse(byId ? null : topicRequest.topic());
                if (name != null) {
                    ReplicaFetchCheck check = follower
                            ? leadership.replicaFetch(replicaId, name, partitionRequest.partition(),
                            partitionRequest.currentLeaderEpoch(), partitionRequest.fetchOffset(), partitionRequest.lastFetchedEpoch())
                            : notLeader(name, partitionRequest.partition(), partitionRequest.currentLeaderEpoch());
                    if (check != null && check.error() != null) {
                        partition.setErrorCode(check.error().error().code()).setHighWatermark(-1).setLogStartOffset(-1);
                        LeaderHints.fetch(response, partition, check.error(), version);
                        hasError = true;
                        continue;
                    }
                    if (check != null) {
                        Optional<Log> diverged = logs.log(name, partitionRequest.partition());
                        partition.divergingEpoch().setEpoch(check.diverging().epoch()).setEndOffset(check.diverging().endOffset());
                        diverged.ifPresent(l -> partition.setHighWatermark(l.highWatermark()).setLogStartOffset(l.logStartOffset()));
                        hasError = true; // answered at once, like an error
                        continue;
                    }
                }
                Optional<Log> log = topic.flatMap(t -> logs.log(t.name(), partitionRequest.partition()));
                if (log.isEmpty()) {
                    partition.setErrorCode((byId && topic.isEmpty() ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                    hasError = true;
                    continue;
                }
                // Taken before the read, so an append racing with it still wakes this fetch.
                signals.add(log.get().onAppend());
                int limit = Math.min(Math.max(0, partitionRequest.partitionMaxBytes()), budget - total);
                // The leader's replication throttle: a follower outside the ISR gets no more than the quota allows,
                // and nothing while it is exceeded (the fetch then waits like one that found no data).
                long allowance = follower ? leadership.throttledFetchAllowance(replicaId, name, partitionRequest.partition()) : -1;
                if (allowance == 0) {
                    partition.setHighWatermark(log.get().highWatermark()).setLogStartOffset(log.get().logStartOffset())
                            .setLastStableOffset(Math.min(log.get().highWatermark(), log.get().lastStableOffset()));
                    continue;
                }
                if (allowance > 0) {
                    limit = (int) Math.min(limit, allowance);
                }
                // Like Kafka, the first batch of the first non-empty partition is returned even if larger than the limits.
                ReadResult read = readCommitted ? log.get().readCommitted(partitionRequest.fetchOffset(), limit, total == 0)
                        : log.get().read(partitionRequest.fetchOffset(), limit, total == 0, !follower);
                partition.setHighWatermark(read.highWatermark())
                        .setLastStableOffset(readCommitted ? read.lastStableOffset()
                                : Math.min(read.highWatermark(), log.get().lastStableOffset()))
                        .setLogStartOffset(read.logStartOffset());
                if (readCommitted) {
                    List<AbortedTransaction> aborted = new ArrayList<>(read.abortedTransactions().size());
                    for (AbortedTxn txn : read.abortedTransactions()) {
                        aborted.add(new AbortedTransaction().setProducerId(txn.producerId())
                                .setFirstOffset(txn.firstOffset()));
                    }
                    partition.setAbortedTransactions(aborted);
                }
                if (read.error() != LogError.NONE) {
                    partition.setErrorCode(ErrorCodes.of(read.error()));
                    hasError = true;
                    continue;
                }
                FileSlice slice = read.slice();
                if (!slice.isEmpty() && held.add(slice)) {
                    partition.setRecords(Records.fromFile(slice.channel(), slice.position(), slice.size(),
                            new SliceReference(slice)));
                    total += slice.size();
                    bytesByTopic.merge(log.get().topic(), slice.size(), Integer::sum);
                    if (allowance > 0) {
                        throttledBytes += slice.size();
                    }
                }
            }
        }
        return new Attempt(response, total, throttledBytes, hasError, signals, bytesByTopic);
    }

    /**
     * The slices read for one fetch and not yet answered. Once closed (cancelled), a slice added by a read still
     * running is released at once.
     */
    private static final class HeldSlices {
        private final List<FileSlice> slices = new ArrayList<>();
        private boolean closed;

        /** False (and the slice released) when the fetch was already cancelled. */
        synchronized boolean add(FileSlice slice) {
            if (closed) {
                slice.release();
                return false;
            }
            slices.add(slice);
            return true;
        }

        synchronized void releaseAll() {
            slices.forEach(FileSlice::release);
            slices.clear();
        }

        synchronized void close() {
            closed = true;
            releaseAll();
        }
    }

    private ReplicaFetchCheck notLeader(String topic, int partition, int currentLeaderEpoch) {
        NotLeader notLeader = leadership.checkLeader(topic, partition, currentLeaderEpoch);
        return notLeader == null ? null : new ReplicaFetchCheck(notLeader, null);
    }

    /** A slice as the protocol layer sees it: moved to the file region that sends it, or released. */
    private record SliceReference(FileSlice slice) implements FileReference {
        @Override
        public FileReference transfer() {
            FileSlice moved = slice.transfer();
            return moved == null ? null : new SliceReference(moved);
        }

        @Override
        public void release() {
            slice.release();
        }
    }

    /** One read of every requested partition, with each partition's append signal taken just before its read. */
    private record Attempt(FetchResponseData response, int bytes, long throttledBytes, boolean hasError,
                           List<CompletableFuture<Void>> signals,
                           Map<String, Integer> bytesByTopic) {
    }
}
