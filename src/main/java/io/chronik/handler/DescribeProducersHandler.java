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
 * DescribeProducers (kafka-transactions describe-producers, Admin#describeProducers): the partition leader answers
 * from its producer state (id, epoch, last sequence and timestamp, coordinator epoch, start of the ongoing
 * transaction); a broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER, an unknown partition
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
        NotLeader notLeader = leadership.checkLeader(topic, partition, -1);
        Errors error = notLeader != null ? notLeader.error() : log.isEmpty() ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.NONE;
        if (error != Errors.NONE) {
            return out.setErrorCode(error.code()).setErrorMessage(error == Errors.NOT_LEADER_OR_FOLLOWER
                    ? "This broker does not lead " + topic + "-" + partition : error.message());
        }
        for (ActiveProducer p : log.get().activeProducers()) {
            out.activeProducers().add(new ProducerState().setProducerId(p.producerId()).setProducerEpoch(p.epoch())
                    .setLastSequence(p.lastSequence()).setLastTimestamp(p.lastTimestamp())
                    .setCoordinatorEpoch(p.coordinatorEpoch()).setCurrentTxnStartOffset(p.currentTxnStartOffset()));
        }
        return out;
    }
}
