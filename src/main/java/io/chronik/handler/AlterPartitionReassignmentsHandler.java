package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.CommandResult;
import io.chronik.cluster.MetadataCommand.ReassignPartition;
import io.chronik.cluster.QuorumController;
import io.chronik.cluster.TopicImage;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * AlterPartitionReassignments ({@code kafka-reassign-partitions --execute/--cancel}, Admin#alterPartitionReassignments):
 * each partition gets a ReassignPartition command through the metadata quorum, decided by the controller against
 * the image it applies it to (INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION).
 * The answer comes once the move has started; the replicas catch up and the controller completes it later.
 * Registered only in a cluster.
 */
public final class AlterPartitionReassignmentsHandler implements RequestHandler {
    /** Reassignments of one request in flight through the quorum at a time. */
    static final int CONCURRENCY = 16;

    private final QuorumController controller;
    private final Supplier<ClusterImage> image;

    public AlterPartitionReassignmentsHandler(QuorumController controller, Supplier<ClusterImage> image) {
        this.controller = controller;
        this.image = image;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.ALTER_PARTITION_REASSIGNMENTS);
    }

    private record Move(String topic, int partition, ReassignPartition command, Errors error, String message) {
    }

    @Override
    public Mono<AlterPartitionReassignmentsResponseData> handle(KafkaRequest request) {
        AlterPartitionReassignmentsRequestData body = request.body();
        ClusterImage current = image.get();
        List<Move> moves = new ArrayList<>();
        for (ReassignableTopic topic : body.topics()) {
            TopicImage known = current.topic(topic.name()).orElse(null);
            for (ReassignablePartition p : topic.partitions()) {
                int index = p.partitionIndex();
                if (known == null || index < 0 || index >= known.partitions().size()) {
                    moves.add(new Move(topic.name(), index, null, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                            "The partition " + topic.name() + "-" + index + " does not exist."));
                    continue;
                }
                int replicationFactor = known.partitions().get(index).originalReplicas().size();
                if (!body.allowReplicationFactorChange() && p.replicas() != null && p.replicas().size() != replicationFactor) {
                    moves.add(new Move(topic.name(), index, null, Errors.INVALID_REPLICATION_FACTOR, "The replication factor is "
                            + "changed from " + replicationFactor + " to " + p.replicas().size()));
                    continue;
                }
                moves.add(new Move(topic.name(), index, new ReassignPartition(known.id(), index, p.replicas()), null, null));
            }
        }
        return Flux.fromIterable(moves)
                .flatMapSequential(this::decide, CONCURRENCY)
                .collectList()
                .map(decided -> response(decided, body.allowReplicationFactorChange()));
    }

    private Mono<Move> decide(Move move) {
        if (move.command() == null) {
            return Mono.just(move);
        }
        CompletableFuture<CommandResult> future;
        try {
            future = controller.submit(move.command());
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        return Mono.fromFuture(future)
                .map(result -> new Move(move.topic(), move.partition(), null, result.error(), result.message()))
                .onErrorResume(e -> Mono.just(new Move(move.topic(), move.partition(), null, Errors.REQUEST_TIMED_OUT,
                        "The metadata quorum did not apply the reassignment in time: " + cause(e))));
    }

    private static Throwable cause(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static AlterPartitionReassignmentsResponseData response(List<Move> decided, boolean allowReplicationFactorChange) {
        Map<String, ReassignableTopicResponse> byTopic = new LinkedHashMap<>();
        for (Move m : decided) {
            byTopic.computeIfAbsent(m.topic(), t -> new ReassignableTopicResponse().setName(t)).partitions()
                    .add(new ReassignablePartitionResponse().setPartitionIndex(m.partition()).setErrorCode(m.error().code())
                            .setErrorMessage(m.error() == Errors.NONE ? null : m.message()));
        }
        return new AlterPartitionReassignmentsResponseData().setErrorCode(Errors.NONE.code())
                .setAllowReplicationFactorChange(allowReplicationFactorChange)
                .setResponses(new ArrayList<>(byTopic.values()));
    }
}
