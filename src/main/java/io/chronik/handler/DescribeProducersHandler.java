package io.chronik.handler;

import io.chronik.log.ActiveProducer;
import io.chronik.log.Log;
import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersRequestData.TopicRequest;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Optional;
import java.util.Set;

/**
 * DescribeProducers (kafka-transactions describe-producers, Admin#describeProducers): any replica of the partition
 * answers from its own producer state (id, epoch, last sequence and timestamp, coordinator epoch, start of the
 * ongoing transaction), the leader as a follower, as Kafka does (KIP-664: {@code DescribeProducersOptions.brokerId}
 * asks one replica); a broker without a replica answers NOT_LEADER_OR_FOLLOWER, an unknown partition
 * UNKNOWN_TOPIC_OR_PARTITION. The state is in memory, so the answer is composed where the request arrives.
 */
public final class DescribeProducersHandler implements RequestHandler {
    private final LogManager logs;
    private final Leadership leadership;

    public DescribeProducersHandler(LogManager logs, Leadership leadership) {
        this.logs = logs;
        this.leadership = leadership;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_PRODUCERS);
    }

    @Override
    public Mono<DescribeProducersResponseData> handle(KafkaRequest request) {
        DescribeProducersRequestData body = request.body();
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        for (TopicRequest topic : body.topics()) {
            TopicResponse topicResponse = new TopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (int partition : topic.partitionIndexes()) {
                topicResponse.partitions().add(describe(topic.name(), partition));
            }
        }
        return Mono.just(response);
    }

    private PartitionResponse describe(String topic, int partition) {
        PartitionResponse out = new PartitionResponse().setPartitionIndex(partition).setErrorCode(Errors.NONE.code());
        Optional<Log> log = logs.log(topic, partition);
        if (log.isEmpty()) {
            // No replica here: a partition of the cluster hosted elsewhere, or none at all.
            NotLeader notLeader = leadership.checkLeader(topic, partition, -1);
            Errors error = notLeader != null && notLeader.error() == Errors.NOT_LEADER_OR_FOLLOWER
                    ? Errors.NOT_LEADER_OR_FOLLOWER : Errors.UNKNOWN_TOPIC_OR_PARTITION;
            return out.setErrorCode(error.code()).setErrorMessage(error == Errors.NOT_LEADER_OR_FOLLOWER
                    ? "This broker has no replica of " + topic + "-" + partition : error.message());
        }
        for (ActiveProducer p : log.get().activeProducers()) {
            out.activeProducers().add(new ProducerState().setProducerId(p.producerId()).setProducerEpoch(p.epoch())
                    .setLastSequence(p.lastSequence()).setLastTimestamp(p.lastTimestamp())
                    .setCoordinatorEpoch(p.coordinatorEpoch()).setCurrentTxnStartOffset(p.currentTxnStartOffset()));
        }
        return out;
    }
}
