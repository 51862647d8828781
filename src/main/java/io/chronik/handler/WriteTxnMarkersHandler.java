package io.chronik.handler;

import io.chronik.log.AppendResult;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * WriteTxnMarkers, sent by a transaction coordinator to partition leaders: for each marker, a COMMIT or ABORT control
 * batch is appended to every named partition this broker leads (one offset each), with acks=all semantics in a
 * cluster. Errors are per partition, as in Kafka: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
 * NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, KAFKA_STORAGE_ERROR. Once a marker is
 * replicated, the {@link MarkerListener} hears of it (the group coordinator, for markers on {@code __consumer_offsets}:
 * they commit or drop the producer's pending transactional offsets).
 */
public final class WriteTxnMarkersHandler implements RequestHandler {
    /** How long a marker waits for the ISR, as Kafka's request.timeout.ms default. */
    static final long REPLICATION_TIMEOUT_MS = 30_000;

    /** Told of each marker once it is written and replicated. */
    @FunctionalInterface
    public interface MarkerListener {
        void markerWritten(String topic, int partition, long producerId, short producerEpoch, boolean commit,
                           long markerOffset);
    }

    private final LogManager logs;
    private final Leadership leadership;
    private final MarkerListener listener;

    public WriteTxnMarkersHandler(LogManager logs, Leadership leadership) {
        this(logs, leadership, (topic, partition, producerId, producerEpoch, commit, markerOffset) -> { });
    }

    public WriteTxnMarkersHandler(LogManager logs, Leadership leadership, MarkerListener listener) {
        this.logs = logs;
        this.leadership = leadership;
        this.listener = listener;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.WRITE_TXN_MARKERS);
    }

    @Override
    public Mono<WriteTxnMarkersResponseData> handle(KafkaRequest request) {
        WriteTxnMarkersRequestData body = request.body();
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (WritableTxnMarker marker : body.markers()) {
            WritableTxnMarkerResult markerResult = new WritableTxnMarkerResult().setProducerId(marker.producerId());
            response.markers().add(markerResult);
            for (WritableTxnMarkerTopic topic : marker.topics()) {
                WritableTxnMarkerTopicResult topicResult = new WritableTxnMarkerTopicResult().setName(topic.name());
                markerResult.topics().add(topicResult);
                for (int index : topic.partitionIndexes()) {
                    WritableTxnMarkerPartitionResult result = new WritableTxnMarkerPartitionResult()
                            .setPartitionIndex(index).setErrorCode(Errors.NONE.code());
                    topicResult.partitions().add(result);
                    CompletableFuture<Errors> written = write(marker, topic.name(), index);
                    pending.add(written.thenAccept(error -> result.setErrorCode(error.code())));
                }
            }
        }
        return Mono.fromFuture(CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)), true)
                .thenReturn(response);
    }

    /** Appends one marker to one partition and waits for the ISR; completes with the partition's error. */
    private CompletableFuture<Errors> write(WritableTxnMarker marker, String topic, int partition) {
        Optional<Log> log = logs.log(topic, partition);
        if (log.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        NotLeader notLeader = leadership.checkAppend(topic, partition);
        if (notLeader != null) {
            return CompletableFuture.completedFuture(notLeader.error());
        }
        Errors enough = leadership.checkEnoughReplicas(topic, partition);
        if (enough != Errors.NONE) {
            return CompletableFuture.completedFuture(enough);
        }
        return log.get().appendMarker(marker.producerId(), marker.producerEpoch(), marker.coordinatorEpoch(),
                        marker.transactionResult(), true)
                .handle((result, error) -> {
                    Errors failed = errorOf(result, error);
                    if (failed != Errors.NONE) {
                        return CompletableFuture.completedFuture(failed);
                    }
                    return leadership.afterLeaderAppend(topic, partition, result.lastOffset(), true,
                            REPLICATION_TIMEOUT_MS).thenApply(replicated -> {
                                if (replicated == Errors.NONE) {
                                    listener.markerWritten(topic, partition, marker.producerId(), marker.producerEpoch(),
                                            marker.transactionResult(), result.lastOffset());
                                }
                                return replicated;
                            });
                })
                .thenCompose(f -> f);
    }

    private static Errors errorOf(AppendResult result, Throwable error) {
        if (error != null) {
            return ErrorCodes.of(error);
        }
        return result.error() == LogError.NONE ? Errors.NONE : Errors.forCode(ErrorCodes.of(result.error()));
    }
}
