package io.chronik.handler;

import io.chronik.log.AppendBatch;
import io.chronik.log.AppendResult;
import io.chronik.metrics.BrokerMetrics;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
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
 * requests are appended in arrival order.
 */
public final class ProduceHandler implements RequestHandler {
    private final LogManager logs;
    private final BrokerMetrics metrics;
    private final Leadership leadership;

    /** The one client id that may still produce to an internal topic (Kafka's own admin tools use it). */
    static final String ADMIN_CLIENT_ID = "__admin_client";

    public ProduceHandler(LogManager logs, BrokerMetrics metrics) {
        this(logs, metrics, Leadership.ALONE);
    }

    public ProduceHandler(LogManager logs, BrokerMetrics metrics, Leadership leadership) {
        this.logs = logs;
        this.metrics = metrics;
        this.leadership = leadership;
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
        try {
            addAppends(request, appends, pending, response);
        } finally {
            // Whatever was added is queued, so every retained frame is released when its append completes. A full
            // lane takes the appends all the same, in order, and the connection reads nothing more until it has room.
            CompletableFuture<?> admitted = appends.submit();
            if (admitted != null) {
                request.holdIntakeUntil(admitted);
            }
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
                            ProduceResponseData response) {
        ProduceRequestData body = request.body();
        short acks = body.acks();
        boolean byId = request.version() >= 13;
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
                int bytes = batches.remaining();
                // The batches are a view of the frame: keep it alive until the append is done.
                request.retain();
                CompletableFuture<AppendResult> append = appends.add(log.get(), batches, acks == -1);
                int index = partitionData.index();
                pending.add(append.whenComplete((result, error) -> {
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
                        })));
            }
        }
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
