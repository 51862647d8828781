package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.CommandResult;
import io.chronik.cluster.MetadataCommand.ElectLeader;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.cluster.QuorumController;
import io.chronik.cluster.TopicImage;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * ElectLeaders ({@code kafka-leader-election}, Admin#electLeaders): each asked-for partition gets an ElectLeader
 * command through the metadata quorum, decided by the controller against the image it applies it to, and answers
 * with that decision's error (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION). Without topic partitions every partition is meant, and, as Kafka answers, the ones
 * that need no election are left out (they are not written to the quorum either). Registered only in a cluster.
 */
public final class ElectLeadersHandler implements RequestHandler {
    /** Elections of one request in flight through the quorum at a time. */
    static final int CONCURRENCY = 16;

    private final QuorumController controller;
    private final Supplier<ClusterImage> image;

    public ElectLeadersHandler(QuorumController controller, Supplier<ClusterImage> image) {
        this.controller = controller;
        this.image = image;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.ELECT_LEADERS);
    }

    private record Election(String topic, int partition, ElectLeader command, Errors error, String message) {
    }

    @Override
    public Mono<ElectLeadersResponseData> handle(KafkaRequest request) {
        ElectLeadersRequestData body = request.body();
        ElectionType type;
        try {
            type = ElectionType.valueOf(body.electionType());
        } catch (IllegalArgumentException e) {
            return Mono.just(new ElectLeadersResponseData().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        boolean unclean = type == ElectionType.UNCLEAN;
        ClusterImage current = image.get();
        List<Election> elections = new ArrayList<>();
        if (body.topicPartitions() == null) {
            for (TopicImage topic : current.topics().values()) {
                for (int p = 0; p < topic.partitions().size(); p++) {
                    if (needsElection(topic.partitions().get(p), unclean)) {
                        elections.add(new Election(topic.name(), p, new ElectLeader(topic.id(), p, unclean), null, null));
                    }
                }
            }
        } else {
            for (ElectLeadersRequestData.TopicPartitions requested : body.topicPartitions()) {
                TopicImage topic = current.topic(requested.topic()).orElse(null);
                for (int p : new LinkedHashSet<>(requested.partitions())) {
                    if (topic == null || p < 0 || p >= topic.partitions().size()) {
                        elections.add(new Election(requested.topic(), p, null, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                                "The partition " + requested.topic() + "-" + p + " does not exist."));
                    } else {
                        elections.add(new Election(requested.topic(), p, new ElectLeader(topic.id(), p, unclean), null, null));
                    }
                }
            }
        }
        return Flux.fromIterable(elections)
                .flatMapSequential(this::decide, CONCURRENCY)
                .collectList()
                .map(ElectLeadersHandler::response);
    }

    /** What the image says now; the controller decides again when it applies the command. */
    private static boolean needsElection(PartitionRegistration partition, boolean unclean) {
        return unclean ? partition.leader() == PartitionRegistration.NO_LEADER : partition.leader() != partition.replicas().get(0);
    }

    private Mono<Election> decide(Election election) {
        if (election.command() == null) {
            return Mono.just(election);
        }
        CompletableFuture<CommandResult> future;
        try {
            future = controller.submit(election.command());
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        return Mono.fromFuture(future)
                .map(result -> new Election(election.topic(), election.partition(), null, result.error(), result.message()))
                .onErrorResume(e -> Mono.just(new Election(election.topic(), election.partition(), null, Errors.REQUEST_TIMED_OUT,
                        "The metadata quorum did not apply the election in time: " + cause(e))));
    }

    private static Throwable cause(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static ElectLeadersResponseData response(List<Election> decided) {
        Map<String, ReplicaElectionResult> byTopic = new LinkedHashMap<>();
        for (Election e : decided) {
            byTopic.computeIfAbsent(e.topic(), t -> new ReplicaElectionResult().setTopic(t)).partitionResult()
                    .add(new PartitionResult().setPartitionId(e.partition()).setErrorCode(e.error().code())
                            .setErrorMessage(e.error() == Errors.NONE ? null : e.message()));
        }
        return new ElectLeadersResponseData().setErrorCode(Errors.NONE.code())
                .setReplicaElectionResults(new ArrayList<>(byTopic.values()));
    }
}
