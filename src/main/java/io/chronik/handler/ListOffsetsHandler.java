package io.chronik.handler;

import io.chronik.log.Log;
import io.chronik.log.LogException;
import io.chronik.log.LogManager;
import io.chronik.log.OffsetAndTimestamp;
import io.chronik.replica.Leadership;
import io.chronik.replica.NotLeader;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.Optional;
import java.util.Set;

/**
 * ListOffsets: earliest, latest, the record with the max timestamp, and the first record with a timestamp at or after
 * a target (time index, then the batch's records).
 */
public final class ListOffsetsHandler implements RequestHandler {
    static final long LATEST = -1;
    static final long EARLIEST = -2;
    static final long MAX_TIMESTAMP = -3;
    static final long EARLIEST_LOCAL = -4;
    static final long LATEST_TIERED = -5;
    static final long EARLIEST_PENDING_UPLOAD = -6;

    private final LogManager logs;
    private final Scheduler io;
    private final Leadership leadership;

    public ListOffsetsHandler(LogManager logs, Scheduler io) {
        this(logs, io, Leadership.ALONE);
    }

    public ListOffsetsHandler(LogManager logs, Scheduler io, Leadership leadership) {
        this.logs = logs;
        this.io = io;
        this.leadership = leadership;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.LIST_OFFSETS);
    }

    @Override
    public Mono<ListOffsetsResponseData> handle(KafkaRequest request) {
        ListOffsetsRequestData body = request.body();
        // Timestamp lookups read segment files.
        return Mono.fromCallable(() -> respond(body, request.version())).subscribeOn(io);
    }

    private ListOffsetsResponseData respond(ListOffsetsRequestData body, short version) {
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        for (ListOffsetsTopic topic : body.topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (ListOffsetsPartition partition : topic.partitions()) {
                ListOffsetsPartitionResponse result = new ListOffsetsPartitionResponse()
                        .setPartitionIndex(partition.partitionIndex()).setTimestamp(-1).setOffset(-1);
                topicResponse.partitions().add(result);
                NotLeader notLeader = leadership.checkLeader(topic.name(), partition.partitionIndex(),
                        partition.currentLeaderEpoch());
                if (notLeader != null) {
                    result.setErrorCode(notLeader.error().code());
                    continue;
                }
                Optional<Log> log = logs.log(topic.name(), partition.partitionIndex());
                if (log.isEmpty()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                if (log.get().isOffline()) {
                    result.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
                    continue;
                }
                if (partition.timestamp() == LATEST && log.get().highWatermark()
                        < leadership.epochStartOffset(topic.name(), partition.partitionIndex())) {
                    // A new leader whose high watermark has not reached its epoch's start yet (Kafka's answer).
                    result.setErrorCode(Errors.OFFSET_NOT_AVAILABLE.code());
                    continue;
                }
                OffsetAndTimestamp found;
                try {
                    found = lookup(log.get(), partition.timestamp(), body.isolationLevel() == 1);
                } catch (LogException e) {
                    result.setErrorCode(ErrorCodes.of(e.error()));
                    continue;
                }
                result.setErrorCode(Errors.NONE.code()).setOffset(found.offset()).setTimestamp(found.timestamp());
                if (version >= 4) {
                    // Versions before 4 (kafkajs uses 3) have no leader epoch field.
                    result.setLeaderEpoch(found.offset() >= 0 ? log.get().leaderEpoch() : -1);
                }
            }
        }
        return response;
    }

    private static OffsetAndTimestamp lookup(Log log, long timestamp, boolean readCommitted) {
        if (timestamp == EARLIEST || timestamp == EARLIEST_LOCAL) {
            return new OffsetAndTimestamp(log.logStartOffset(), -1);
        }
        if (timestamp == LATEST) {
            // read_committed consumers see the log up to the last stable offset only.
            return new OffsetAndTimestamp(readCommitted ? log.lastStableOffset() : log.highWatermark(), -1);
        }
        if (timestamp < 0 && timestamp != MAX_TIMESTAMP) {
            // Tiered-storage lookups: Chronik keeps no remote tier, so there is no such offset.
            return new OffsetAndTimestamp(-1, -1);
        }
        OffsetAndTimestamp found = timestamp == MAX_TIMESTAMP ? log.maxTimestamp() : log.offsetForTimestamp(timestamp);
        // As Kafka: a read_committed lookup answers no offset at or past the last stable offset.
        return readCommitted && found.offset() >= log.lastStableOffset() ? new OffsetAndTimestamp(-1, -1) : found;
    }
}
