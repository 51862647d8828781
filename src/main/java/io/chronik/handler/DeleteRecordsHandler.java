package io.chronik.handler;

import io.chronik.log.Log;
import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** DeleteRecords: moves each partition's log start offset forward (offset -1 means the high watermark). */
public final class DeleteRecordsHandler implements RequestHandler {
    private final LogManager logs;
    private final io.chronik.replica.Leadership leadership;

    public DeleteRecordsHandler(LogManager logs) {
        this(logs, io.chronik.replica.Leadership.ALONE);
    }

    /** In a cluster only the leader deletes; followers follow its log start as they fetch. */
    public DeleteRecordsHandler(LogManager logs, io.chronik.replica.Leadership leadership) {
        this.logs = logs;
        this.leadership = leadership;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DELETE_RECORDS);
    }

    @Override
    public Mono<DeleteRecordsResponseData> handle(KafkaRequest request) {
        DeleteRecordsRequestData body = request.body();
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DeleteRecordsTopic topic : body.topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topic.name());
            response.topics().add(topicResult);
            for (DeleteRecordsPartition partition : topic.partitions()) {
                DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult()
                        .setPartitionIndex(partition.partitionIndex()).setLowWatermark(-1);
                topicResult.partitions().add(result);
                if (CoordinatorPlacement.isInternal(topic.name())
                        && !ProduceHandler.ADMIN_CLIENT_ID.equals(request.clientId())) {
                    // As Kafka: only its own admin client id may delete records of an internal topic.
                    result.setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
                    continue;
                }
                io.chronik.replica.NotLeader notLeader = leadership.checkAppend(topic.name(), partition.partitionIndex());
                if (notLeader != null) {
                    result.setErrorCode(notLeader.error().code());
                    continue;
                }
                Optional<Log> log = logs.log(topic.name(), partition.partitionIndex());
                if (log.isEmpty()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                pending.add(log.get().deleteRecordsBefore(partition.offset()).whenComplete((lowWatermark, error) -> {
                    if (error != null) {
                        result.setErrorCode(ErrorCodes.of(error).code());
                    } else {
                        result.setErrorCode(Errors.NONE.code()).setLowWatermark(lowWatermark);
                    }
                }).exceptionally(e -> null));
            }
        }
        return Mono.fromFuture(CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)), true)
                .thenReturn(response);
    }
}
