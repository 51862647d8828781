package io.chronik.handler;

import io.chronik.log.AppendBatch;
import io.chronik.log.AppendResult;
import io.chronik.metrics.BrokerMetrics;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import io.chronik.log.VerificationGuard;
import io.chronik.protocol.Api;
import io.chronik.protocol.CloseConnectionException;
import io.chronik.protocol.KafkaRequest;
import io.chronik.protocol.Records;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Produce: hands each partition's record batches, as slices of the request frame, to the partition's append
 * lane, one task per lane for the whole request. The appends are enqueued before {@link #handle} returns, so
 * requests are appended in arrival order. With partition verification on, a transactional batch whose producer
 * has no ongoing transaction in the partition is appended only after its transaction coordinator confirmed the
 * partition is in the transaction ({@link TransactionVerification}).
 */
public final class ProduceHandler implements RequestHandler {
    private final LogManager logs;
    private final BrokerMetrics metrics;
    private final Leadership leadership;
    private final TransactionVerification verification;

    /** The one client id that may still produce to an internal topic (Kafka's own admin tools use it). */
    static final String ADMIN_CLIENT_ID = "__admin_client";

    public ProduceHandler(LogManager logs, BrokerMetrics metrics) {
        this(logs, metrics, Leadership.ALONE);
    }

    public ProduceHandler(LogManager logs, BrokerMetrics metrics, Leadership leadership) {
        this(logs, metrics, leadership, null);
    }

    /** @param verification partition verification of transactional produces (KIP-890), or null when off */
    public ProduceHandler(LogManager logs, BrokerMetrics metrics, Leadership leadership,
                          TransactionVerification verification) {
        this.logs = logs;
        this.metrics = metrics;
        this.leadership = leadership;
        this.verification = verification;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.PRODUCE);
    }

    @Override
    public Mono<ProduceResponseData> handle(KafkaRequest request) {
        ProduceRequestData body = request.body();
        short acks = body.acks();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        AppendBatch appends = new AppendBatch();
        ProduceResponseData response = new ProduceResponseData();
        List<TransactionVerification.Unverified> unverified = new ArrayList<>(0);
        try {
            addAppends(request, appends, pending, response, unverified);
        } finally {
            // Whatever was added is queued, so every retained frame is released when its append completes. A full
            // lane takes the appends all the same, in order, and the connection reads nothing more until it has room.
            CompletableFuture<?> admitted = appends.submit();
            if (admitted != null) {
                request.holdIntakeUntil(admitted);
            }
        }
        if (!unverified.isEmpty()) {
            request.holdIntakeUntil(verifyThenAppend(request, unverified, pending));
        }
        Mono<Void> done = Mono.fromFuture(CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)), true);
        if (acks == 0) {
            // No response, but a failure must not go unnoticed: Kafka closes the connection.
            return done.then(Mono.defer(() -> {
                String failed = failures(response);
                return failed == null ? Mono.empty() : Mono.error(new CloseConnectionException("acks=0 produce failed: " + failed));
            }));
        }
        if (request.version() < 4) {
            return done.then(Mono.fromSupplier(() -> {
                response.responses().forEach(t -> t.partitionResponses().forEach(
                        p -> p.setErrorCode(ErrorCodes.storageErrorFor(p.errorCode(), false))));
                return response;
            }));
        }
        return done.thenReturn(response);
    }

    /** Looks up each partition's log and adds its append to {@code appends}; a partition that fails now gets its error. */
    private void addAppends(KafkaRequest request, AppendBatch appends, List<CompletableFuture<?>> pending,
                            ProduceResponseData response, List<TransactionVerification.Unverified> unverified) {
        ProduceRequestData body = request.body();
        short acks = body.acks();
        boolean byId = request.version() >= 13;
        // As Kafka: transactional batches need the request's transactional id (whose authorization Kafka checks);
        // without one the whole request is refused and nothing is appended.
        boolean unauthorizedTransactional = body.transactionalId() == null
                && TransactionVerification.hasTransactionalRecords(body);
        for (TopicProduceData topicData : body.topicData()) {
            TopicProduceResponse topicResponse = new TopicProduceResponse().setName(topicData.name())
                    .setTopicId(topicData.topicId());
            response.responses().add(topicResponse);
            Optional<TopicInfo> topic = TopicIds.lookup(logs, byId, topicData.topicId(), topicData.name());
            String name = topic.map(TopicInfo::name).orElse(byId ? null : topicData.name());
            for (PartitionProduceData partitionData : topicData.partitionData()) {
                PartitionProduceResponse partitionResponse = new PartitionProduceResponse().setIndex(partitionData.index());
                topicResponse.partitionResponses().add(partitionResponse);
                if (acks != 0 && acks != 1 && acks != -1) {
                    fail(partitionResponse, Errors.INVALID_REQUIRED_ACKS, "acks must be 0, 1 or -1 (all)");
                    continue;
                }
                if (unauthorizedTransactional) {
                    fail(partitionResponse, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                            "Transactional records need the Produce request's transactional id");
                    continue;
                }
                if (topic.isPresent() && CoordinatorPlacement.isInternal(name) && !ADMIN_CLIENT_ID.equals(request.clientId())) {
                    // Only the coordinators write their internal topics (not over Produce), as in Kafka, which lets
                    // only its own admin client id through.
                    fail(partitionResponse, Errors.INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic " + name);
                    continue;
                }
                NotLeader notLeader = name == null ? null : leadership.checkAppend(name, partitionData.index());
                if (notLeader != null) {
                    fail(partitionResponse, notLeader.error(), null);
                    LeaderHints.produce(response, partitionResponse, notLeader, request.version());
                    if (notLeader.error() == Errors.NOT_LEADER_OR_FOLLOWER) {
                        // This replica may be about to lead: the refused producers' next batches there must start at
                        // sequence 0 if still unknown, or pipelined requests would be taken out of order.
                        topic.flatMap(t -> logs.log(t.name(), partitionData.index())).ifPresent(
                                l -> l.refusedBeforeLeading(Records.bytes(partitionData.records())));
                    }
                    continue;
                }
                if (acks == -1) {
                    Errors enough = leadership.checkEnoughReplicas(name, partitionData.index());
                    if (enough != Errors.NONE) {
                        fail(partitionResponse, enough, null);
                        continue;
                    }
                }
                Optional<Log> log = topic.flatMap(t -> logs.log(t.name(), partitionData.index()));
                if (log.isEmpty()) {
                    fail(partitionResponse, byId && topic.isEmpty() ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION, null);
                    continue;
                }
                String topicName = topic.get().name();
                ByteBuffer batches = Records.bytes(partitionData.records());
                VerificationGuard guard = null;
                if (verification != null && body.transactionalId() != null && verification.applies(request.version())) {
                    TransactionVerification.Producer producer = TransactionVerification.transactionalProducer(batches);
                    if (producer != null) {
                        guard = log.get().startTransactionVerification(producer.producerId(), producer.producerEpoch(),
                                verification.addsPartitions(request.version()));
                        if (guard != VerificationGuard.SENTINEL) {
                            // Asked of the transaction coordinator first; appended (or refused) once it answers.
                            request.retain();
                            unverified.add(new TransactionVerification.Unverified(log.get(), topicName,
                                    partitionData.index(), batches, guard, producer, partitionResponse));
                            continue;
                        }
                    }
                }
                pending.add(append(request, appends, log.get(), topicName, partitionData.index(), batches, guard,
                        partitionResponse));
            }
        }
    }

    /** Adds one partition's append to {@code appends}; completes once its response is filled in (and replicated). */
    private CompletableFuture<Void> append(KafkaRequest request, AppendBatch appends, Log log, String topicName, int index,
                                           ByteBuffer batches, VerificationGuard guard,
                                           PartitionProduceResponse partitionResponse) {
        ProduceRequestData body = request.body();
        short acks = body.acks();
        int bytes = batches.remaining();
        // The batches are a view of the frame: keep it alive until the append is done.
        request.retain();
        CompletableFuture<AppendResult> append = appends.add(log, batches, acks == -1, guard);
        return append.whenComplete((result, error) -> {
            request.release();
            record(partitionResponse, result, error);
            if (error == null && result.error() == LogError.NONE && result.recordCount() > 0) {
                metrics.produced(topicName, result.recordCount(), bytes);
            }
        }).thenCompose(result -> result == null || result.error() != LogError.NONE || result.lastOffset() < 0
                ? CompletableFuture.completedFuture(null)
                : leadership.afterLeaderAppend(topicName, index, result.lastOffset(), acks == -1, body.timeoutMs())
                .thenAccept(replicated -> {
                    if (replicated != Errors.NONE) {
                        fail(partitionResponse, replicated, null);
                    }
                }));
    }

    /**
     * Asks the transaction coordinator about the partitions whose producer has no ongoing transaction here, then
     * appends those it confirmed (with their guards) and refuses the others with the error Kafka answers for the
     * request's version. Returns when the appends are admitted to their lanes: the connection reads nothing more
     * until then, so what waits for a coordinator is one request per connection.
     */
    private CompletableFuture<Void> verifyThenAppend(KafkaRequest request, List<TransactionVerification.Unverified> unverified,
                                                     List<CompletableFuture<?>> pending) {
        List<CompletableFuture<?>> admittedAll = new ArrayList<>();
        java.util.Map<TransactionVerification.Producer, List<TransactionVerification.Unverified>> byProducer =
                new java.util.LinkedHashMap<>();
        unverified.forEach(u -> byProducer.computeIfAbsent(u.producer(), p -> new ArrayList<>()).add(u));
        long deadline = System.nanoTime() + verification.addRetryMax().toNanos();
        byProducer.forEach((producer, partitions) -> {
            List<CompletableFuture<Void>> responded = new ArrayList<>();
            partitions.forEach(u -> responded.add(new CompletableFuture<>()));
            pending.addAll(responded);
            admittedAll.add(verifyProducer(request, producer, partitions, responded, deadline));
        });
        return CompletableFuture.allOf(admittedAll.toArray(CompletableFuture[]::new));
    }

    /**
     * One producer's partitions of {@link #verifyThenAppend}. An add (transaction version 2) answered
     * CONCURRENT_TRANSACTIONS (the producer's last transaction is still completing) is asked again after the retry
     * backoff until {@code deadline}, each time under fresh guards, since the last transaction's marker drops those
     * taken before it: a retry here costs milliseconds where the producer's own costs its retry backoff.
     */
    private CompletableFuture<?> verifyProducer(KafkaRequest request, TransactionVerification.Producer producer,
                                                List<TransactionVerification.Unverified> partitions,
                                                List<CompletableFuture<Void>> responded, long deadline) {
        ProduceRequestData body = request.body();
        java.util.Set<org.apache.kafka.common.TopicPartition> tps = new java.util.HashSet<>();
        partitions.forEach(u -> tps.add(u.topicPartition()));
        boolean add = verification.addsPartitions(request.version());
        CompletableFuture<java.util.Map<org.apache.kafka.common.TopicPartition, Errors>> answer;
        try {
            answer = verification.verifier().verify(body.transactionalId(), producer.producerId(),
                    producer.producerEpoch(), tps, add);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e); // answered as unreachable, and the frame still released
        }
        return answer.handle((errors, e) -> {
            if (e == null && verification.askAgain(errors, add, deadline)) {
                List<TransactionVerification.Unverified> again = new ArrayList<>(partitions.size());
                partitions.forEach(u -> again.add(u.withGuard(u.log().startTransactionVerification(
                        producer.producerId(), producer.producerEpoch(), add))));
                return CompletableFuture.supplyAsync(() -> null, verification.retryDelay())
                        .thenCompose(v -> verifyProducer(request, producer, again, responded, deadline));
            }
            AppendBatch appends = new AppendBatch();
            for (int i = 0; i < partitions.size(); i++) {
                TransactionVerification.Unverified u = partitions.get(i);
                CompletableFuture<Void> done = responded.get(i);
                Errors error = e != null ? Errors.NETWORK_EXCEPTION
                        : errors.getOrDefault(u.topicPartition(), Errors.UNKNOWN_SERVER_ERROR);
                if (error == Errors.NONE) {
                    append(request, appends, u.log(), u.topic(), u.partition(), u.batches(), u.guard(), u.response())
                            .whenComplete((v, x) -> done.complete(null));
                } else {
                    Errors answered = TransactionVerification.produceError(error, request.version(), add);
                    fail(u.response(), answered, answered == error ? null
                            : "Unable to verify the partition has been added to the transaction: " + error);
                    done.complete(null);
                }
                request.release();
            }
            CompletableFuture<?> lanes = appends.submit();
            return lanes == null ? CompletableFuture.completedFuture(null) : lanes;
        }).thenCompose(f -> f);
    }

    /** "topic-partition: ERROR" for the first failed partition, or null when every partition succeeded. */
    private static String failures(ProduceResponseData response) {
        for (TopicProduceResponse topic : response.responses()) {
            for (PartitionProduceResponse partition : topic.partitionResponses()) {
                if (partition.errorCode() != Errors.NONE.code()) {
                    return topic.name() + "-" + partition.index() + ": " + Errors.forCode(partition.errorCode()).name();
                }
            }
        }
        return null;
    }

    private static void record(PartitionProduceResponse response, AppendResult result, Throwable error) {
        if (error != null) {
            Errors kafkaError = ErrorCodes.of(error);
            fail(response, kafkaError, ErrorCodes.message(error));
            return;
        }
        if (result.error() != LogError.NONE) {
            fail(response, Errors.forCode(ErrorCodes.of(result.error())), result.message());
            response.setLogStartOffset(result.logStartOffset());
            return;
        }
        response.setErrorCode(Errors.NONE.code()).setBaseOffset(result.baseOffset())
                .setLogAppendTimeMs(result.logAppendTime()).setLogStartOffset(result.logStartOffset());
    }

    private static void fail(PartitionProduceResponse response, Errors error, String message) {
        response.setErrorCode(error.code()).setErrorMessage(message).setBaseOffset(-1).setLogAppendTimeMs(-1)
                .setLogStartOffset(-1);
    }
}
