package io.chronik.handler;

import io.chronik.cluster.QuorumController;
import io.chronik.cluster.QuorumStatus;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeQuorumRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.PartitionData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.ReplicaState;
import org.apache.kafka.common.message.DescribeQuorumResponseData.TopicData;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Set;

/**
 * DescribeQuorum ({@code kafka-metadata-quorum describe}, Admin#describeMetadataQuorum): the metadata quorum's
 * leader (the active controller), its term as leader epoch, its high watermark and every voter's log end offset,
 * asked of the quorum leader by whichever broker received the request. Registered only in a cluster, so only
 * then advertised. While the quorum has no leader the answer is NOT_CONTROLLER, which the admin client retries.
 */
public final class DescribeQuorumHandler implements RequestHandler {
    /** The name Kafka's tools ask for: the metadata log is partition 0 of this topic. */
    static final String METADATA_TOPIC = "__cluster_metadata";
    /** The name the voters' quorum endpoints are listed under (version 2). */
    static final String QUORUM_LISTENER = "QUORUM";

    private final QuorumController controller;

    public DescribeQuorumHandler(QuorumController controller) {
        this.controller = controller;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_QUORUM);
    }

    @Override
    public Mono<DescribeQuorumResponseData> handle(KafkaRequest request) {
        DescribeQuorumRequestData body = request.body();
        if (!asksForTheMetadataLog(body)) {
            DescribeQuorumResponseData response = new DescribeQuorumResponseData();
            for (DescribeQuorumRequestData.TopicData t : body.topics()) {
                TopicData topic = new TopicData().setTopicName(t.topicName());
                t.partitions().forEach(p -> topic.partitions().add(new PartitionData().setPartitionIndex(p.partitionIndex())
                        .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())));
                response.topics().add(topic);
            }
            return Mono.just(response);
        }
        short version = request.version();
        return Mono.fromFuture(controller.describeQuorum(), true)
                .map(status -> response(status, version))
                .onErrorResume(e -> Mono.just(new DescribeQuorumResponseData().setErrorCode(Errors.NOT_CONTROLLER.code())
                        .setErrorMessage("the metadata quorum has no reachable leader")));
    }

    private static boolean asksForTheMetadataLog(DescribeQuorumRequestData body) {
        return body.topics().size() == 1 && METADATA_TOPIC.equals(body.topics().get(0).topicName())
                && body.topics().get(0).partitions().size() == 1 && body.topics().get(0).partitions().get(0).partitionIndex() == 0;
    }

    private static DescribeQuorumResponseData response(QuorumStatus status, short version) {
        if (status.highWatermark() < 0) {
            // The broker answering was not the leader when asked (leadership just moved).
            return new DescribeQuorumResponseData().setErrorCode(Errors.NOT_CONTROLLER.code());
        }
        PartitionData partition = new PartitionData().setPartitionIndex(0).setLeaderId(status.leaderId())
                .setLeaderEpoch((int) Math.min(Integer.MAX_VALUE, status.term())).setHighWatermark(status.highWatermark());
        DescribeQuorumResponseData response = new DescribeQuorumResponseData();
        for (QuorumStatus.Voter v : status.voters()) {
            partition.currentVoters().add(new ReplicaState().setReplicaId(v.id()).setReplicaDirectoryId(Uuid.ZERO_UUID)
                    .setLogEndOffset(v.logEndOffset()).setLastFetchTimestamp(v.lastFetchTimestamp())
                    .setLastCaughtUpTimestamp(v.lastCaughtUpTimestamp()));
            if (version >= 2) {
                DescribeQuorumResponseData.Node node = new DescribeQuorumResponseData.Node().setNodeId(v.id());
                node.listeners().add(new DescribeQuorumResponseData.Listener().setName(QUORUM_LISTENER).setHost(v.host())
                        .setPort(v.port()));
                response.nodes().add(node);
            }
        }
        for (QuorumStatus.Voter o : status.observers()) {
            partition.observers().add(new ReplicaState().setReplicaId(o.id()).setReplicaDirectoryId(Uuid.ZERO_UUID)
                    .setLogEndOffset(o.logEndOffset()).setLastFetchTimestamp(o.lastFetchTimestamp())
                    .setLastCaughtUpTimestamp(o.lastCaughtUpTimestamp()));
        }
        response.topics().add(new TopicData().setTopicName(METADATA_TOPIC).setPartitions(java.util.List.of(partition)));
        return response;
    }
}
