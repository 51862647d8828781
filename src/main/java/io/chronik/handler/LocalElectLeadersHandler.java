package io.chronik.handler;

import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * ElectLeaders on a broker running alone, as a single Kafka broker answers it: every partition has its only replica
 * as leader, so no election is ever needed. Asked for every partition, the answer lists none; asked by name, each
 * known partition answers ELECTION_NOT_NEEDED and an unknown one UNKNOWN_TOPIC_OR_PARTITION.
 */
public final class LocalElectLeadersHandler implements RequestHandler {
    private final TopicAdmin admin;

    public LocalElectLeadersHandler(TopicAdmin admin) {
        this.admin = admin;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.ELECT_LEADERS);
    }

    @Override
    public Mono<ElectLeadersResponseData> handle(KafkaRequest request) {
        ElectLeadersRequestData body = request.body();
        try {
            ElectionType.valueOf(body.electionType());
        } catch (IllegalArgumentException e) {
            return Mono.just(new ElectLeadersResponseData().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        ElectLeadersResponseData response = new ElectLeadersResponseData().setErrorCode(Errors.NONE.code());
        if (body.topicPartitions() == null) {
            return Mono.just(response);
        }
        for (ElectLeadersRequestData.TopicPartitions requested : body.topicPartitions()) {
            TopicInfo topic = admin.topic(requested.topic()).orElse(null);
            ReplicaElectionResult result = new ReplicaElectionResult().setTopic(requested.topic());
            for (int p : new LinkedHashSet<>(requested.partitions())) {
                boolean known = topic != null && p >= 0 && p < topic.partitions();
                result.partitionResult().add(new PartitionResult().setPartitionId(p)
                        .setErrorCode(known ? Errors.ELECTION_NOT_NEEDED.code() : Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage(known ? "Leader election not needed for topic partition."
                                : "The partition " + requested.topic() + "-" + p + " does not exist."));
            }
            response.replicaElectionResults().add(result);
        }
        return Mono.just(response);
    }
}
