package io.chronik.handler;

import io.chronik.log.EpochEndOffset;
import io.chronik.log.Log;
import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Optional;
import java.util.Set;

/**
 * OffsetsForLeaderEpoch (v0-4): for each partition, the largest leader epoch at or below the one asked for and the
 * offset where it ended (the start of the next epoch, or the log end for the latest), from the partition's
 * leader-epoch cache. Consumers use it to check their position after a leader change (KIP-320), followers to find
 * where their log diverges. Served by the leader only (a follower id in the request may also ask a follower).
 */
public final class OffsetForLeaderEpochHandler implements RequestHandler {
    private final LogManager logs;
    private final Leadership leadership;

    public OffsetForLeaderEpochHandler(LogManager logs, Leadership leadership) {
        this.logs = logs;
        this.leadership = leadership;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.OFFSET_FOR_LEADER_EPOCH);
    }

    @Override
    public Mono<OffsetForLeaderEpochResponseData> handle(KafkaRequest request) {
        OffsetForLeaderEpochRequestData body = request.body();
        // Versions before 3 have no replica id: they come from followers of older brokers, and are answered likewise.
        boolean fromFollower = request.version() < 3 || body.replicaId() >= 0;
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderTopic topic : body.topics()) {
            OffsetForLeaderTopicResult result = new OffsetForLeaderTopicResult().setTopic(topic.topic());
            response.topics().add(result);
            for (OffsetForLeaderPartition partition : topic.partitions()) {
                result.partitions().add(answer(topic.topic(), partition, fromFollower));
            }
        }
        return Mono.just(response);
    }

    private OffsetForLeaderEpochResponseData.EpochEndOffset answer(String topic, OffsetForLeaderPartition partition,
                                                                   boolean fromFollower) {
        OffsetForLeaderEpochResponseData.EpochEndOffset out = new OffsetForLeaderEpochResponseData.EpochEndOffset()
                .setPartition(partition.partition()).setLeaderEpoch(-1).setEndOffset(-1);
        NotLeader notLeader = leadership.checkLeader(topic, partition.partition(), partition.currentLeaderEpoch());
        Optional<Log> log = logs.log(topic, partition.partition());
        if (notLeader != null && !(fromFollower && notLeader.error() == Errors.NOT_LEADER_OR_FOLLOWER && log.isPresent())) {
            return out.setErrorCode(notLeader.error().code());
        }
        if (log.isEmpty()) {
            return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        if (log.get().isOffline()) {
            return out.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
        }
        EpochEndOffset end = log.get().endOffsetForEpoch(partition.leaderEpoch());
        return out.setErrorCode(Errors.NONE.code()).setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
    }
}
