package io.chronik.handler;

import io.chronik.group.CoordinatorWriteErrors;
import io.chronik.group.GroupCoordinator;
import io.chronik.group.OffsetManager;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TxnOffsetCommit, sent by a transactional producer to the group's coordinator (after AddOffsetsToTxn): the offsets
 * are written to the group's {@code __consumer_offsets} partition as a transactional batch of that producer and stay
 * pending until the transaction coordinator's marker reaches the partition (COMMIT: they become the group's committed
 * offsets; ABORT: they are dropped). Checked as Kafka does: this broker coordinates the group and has loaded it
 * (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS), the member and generation when given (from version 3:
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID), the topic exists (UNKNOWN_TOPIC_OR_PARTITION), the
 * metadata fits (OFFSET_METADATA_TOO_LARGE). Answered once the batch is replicated; errors are per partition.
 */
public final class TxnOffsetCommitHandler implements RequestHandler {
    private static final int MAX_METADATA_BYTES = 4096;

    private final OffsetManager offsets;
    private final TopicAdmin topics;
    private final CoordinatorPlacement placement;
    private final TxnOffsetEnrolment enrolment;

    public TxnOffsetCommitHandler(GroupCoordinator coordinator, TopicAdmin topics, CoordinatorPlacement placement) {
        this(coordinator, topics, placement, null);
    }

    /** @param enrolment adds (v5) or checks (v0-v4) the group's partition in the transaction, or null */
    public TxnOffsetCommitHandler(GroupCoordinator coordinator, TopicAdmin topics, CoordinatorPlacement placement,
                                  TxnOffsetEnrolment enrolment) {
        this.offsets = coordinator.offsetManager();
        this.topics = topics;
        this.placement = placement;
        this.enrolment = enrolment;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.TXN_OFFSET_COMMIT);
    }

    @Override
    public Mono<TxnOffsetCommitResponseData> handle(KafkaRequest request) {
        TxnOffsetCommitRequestData body = request.body();
        if (enrolment != null && enrolment.applies(request.version()) && placement.isLocal(body.groupId())) {
            // Transaction version 2: no AddOffsetsToTxn was sent; the group's partition joins the transaction first.
            // Before v5 the coordinator confirms the partition is in the producer's ongoing transaction.
            return Mono.fromFuture(enrolment.enrol(request.version(), body.transactionalId(), body.producerId(),
                    body.producerEpoch(), body.groupId()), true).flatMap(error -> error == Errors.NONE ? commit(body) : Mono.just(failed(body, error)));
        }
        return commit(body);
    }

    private static TxnOffsetCommitResponseData failed(TxnOffsetCommitRequestData body, Errors error) {
        TxnOffsetCommitResponseData response = new TxnOffsetCommitResponseData();
        for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic topic : body.topics()) {
            TxnOffsetCommitResponseTopic topicResult = new TxnOffsetCommitResponseTopic().setName(topic.name());
            response.topics().add(topicResult);
            topic.partitions().forEach(p -> topicResult.partitions().add(new TxnOffsetCommitResponsePartition()
                    .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code())));
        }
        return response;
    }

    private Mono<TxnOffsetCommitResponseData> commit(TxnOffsetCommitRequestData body) {
        String groupId = body.groupId();
        short groupError = !placement.isLocal(groupId) ? Errors.NOT_COORDINATOR.code()
                : offsets.validateTransactionalCommit(groupId, body.generationIdOrMemberEpoch(), body.memberId(), body.groupInstanceId());
        TxnOffsetCommitResponseData response = new TxnOffsetCommitResponseData();
        Map<TopicPartition, Committed> accepted = new LinkedHashMap<>();
        List<TxnOffsetCommitResponsePartition> acceptedResults = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic topic : body.topics()) {
            TxnOffsetCommitResponseTopic topicResult = new TxnOffsetCommitResponseTopic().setName(topic.name());
            response.topics().add(topicResult);
            boolean known = topics.topic(topic.name()).isPresent();
            for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition p : topic.partitions()) {
                TxnOffsetCommitResponsePartition result = new TxnOffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex());
                topicResult.partitions().add(result);
                String metadata = p.committedMetadata();
                if (groupError != Errors.NONE.code()) {
                    result.setErrorCode(groupError);
                } else if (!known) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (metadata != null && metadata.getBytes(StandardCharsets.UTF_8).length > MAX_METADATA_BYTES) {
                    result.setErrorCode(Errors.OFFSET_METADATA_TOO_LARGE.code());
                } else {
                    accepted.put(new TopicPartition(topic.name(), p.partitionIndex()),
                            new Committed(p.committedOffset(), p.committedLeaderEpoch(), metadata, now));
                    acceptedResults.add(result);
                }
            }
        }
        if (accepted.isEmpty()) {
            return Mono.just(response);
        }
        return Mono.fromFuture(offsets.commitTransactional(groupId, body.producerId(), body.producerEpoch(), accepted)
                .handle((ok, failure) -> {
                    short error = CoordinatorWriteErrors.of(failure).code();
                    acceptedResults.forEach(r -> r.setErrorCode(error));
                    return response;
                }), true);
    }
}
