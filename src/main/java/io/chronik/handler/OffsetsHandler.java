package io.chronik.handler;

import io.chronik.group.GroupCoordinator;
import io.chronik.group.OffsetStore;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * OffsetCommit, OffsetFetch (one group, or several from v8) and OffsetDelete. Commits are answered only once
 * they are durable in the offset store; all file work runs on the io scheduler.
 */
public final class OffsetsHandler implements RequestHandler {
    private static final int MAX_METADATA_BYTES = 4096;

    private final GroupCoordinator coordinator;
    private final OffsetStore store;
    private final LogManager logs;
    private final Scheduler io;

    public OffsetsHandler(GroupCoordinator coordinator, LogManager logs, Scheduler io) {
        this.coordinator = coordinator;
        this.store = coordinator.offsets();
        this.logs = logs;
        this.io = io;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.OFFSET_COMMIT, Api.OFFSET_FETCH, Api.OFFSET_DELETE);
    }

    @Override
    public Mono<ApiMessage> handle(KafkaRequest request) {
        return Mono.fromCallable(() -> switch (request.api()) {
            case OFFSET_COMMIT -> commit(request.body());
            case OFFSET_FETCH -> fetch(request.body(), request.version());
            case OFFSET_DELETE -> delete(request.body());
            default -> throw new IllegalArgumentException("not an offsets API: " + request.api());
        }).subscribeOn(io);
    }

    private OffsetCommitResponseData commit(OffsetCommitRequestData body) {
        short groupError = coordinator.validateCommit(body.groupId(), body.generationIdOrMemberEpoch(), body.memberId(),
                body.groupInstanceId());
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        Map<TopicPartition, Committed> accepted = new LinkedHashMap<>();
        List<OffsetCommitResponseData.OffsetCommitResponsePartition> acceptedResults = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic topic : body.topics()) {
            OffsetCommitResponseData.OffsetCommitResponseTopic topicResult =
                    new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(topic.name());
            response.topics().add(topicResult);
            boolean known = logs.topic(topic.name()).isPresent();
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : topic.partitions()) {
                OffsetCommitResponseData.OffsetCommitResponsePartition result =
                        new OffsetCommitResponseData.OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                topicResult.partitions().add(result);
                String metadata = p.committedMetadata();
                if (groupError != Errors.NONE.code()) {
                    result.setErrorCode(groupError);
                } else if (!known) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (metadata != null && metadata.length() > MAX_METADATA_BYTES) {
                    result.setErrorCode(Errors.OFFSET_METADATA_TOO_LARGE.code());
                } else {
                    accepted.put(new TopicPartition(topic.name(), p.partitionIndex()),
                            new Committed(p.committedOffset(), p.committedLeaderEpoch(), metadata, now));
                    acceptedResults.add(result);
                }
            }
        }
        if (!accepted.isEmpty()) {
            short error = Errors.NONE.code();
            try {
                store.commit(body.groupId(), accepted);
            } catch (RuntimeException e) {
                error = Errors.KAFKA_STORAGE_ERROR.code();
            }
            for (var result : acceptedResults) {
                result.setErrorCode(error);
            }
        }
        return response;
    }

    private OffsetFetchResponseData fetch(OffsetFetchRequestData body, short version) {
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (version >= 8) {
            for (OffsetFetchRequestData.OffsetFetchRequestGroup group : body.groups()) {
                OffsetFetchResponseData.OffsetFetchResponseGroup out =
                        new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId());
                Map<String, List<Integer>> wanted = null;
                if (group.topics() != null) {
                    wanted = new TreeMap<>();
                    for (var t : group.topics()) {
                        wanted.put(t.name(), t.partitionIndexes());
                    }
                }
                collect(group.groupId(), wanted).forEach((topic, partitions) -> {
                    var t = new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(topic);
                    partitions.forEach((partition, c) -> t.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                            .setPartitionIndex(partition).setCommittedOffset(c.offset()).setCommittedLeaderEpoch(c.leaderEpoch())
                            .setMetadata(c.metadata())));
                    out.topics().add(t);
                });
                response.groups().add(out);
            }
            return response;
        }
        Map<String, List<Integer>> wanted = null;
        if (body.topics() != null) {
            wanted = new TreeMap<>();
            for (var t : body.topics()) {
                wanted.put(t.name(), t.partitionIndexes());
            }
        }
        collect(body.groupId(), wanted).forEach((topic, partitions) -> {
            var t = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(topic);
            partitions.forEach((partition, c) -> t.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                    .setPartitionIndex(partition).setCommittedOffset(c.offset()).setCommittedLeaderEpoch(c.leaderEpoch())
                    .setMetadata(c.metadata())));
            response.topics().add(t);
        });
        return response;
    }

    /** Committed offsets by topic and partition; partitions asked for but never committed get offset -1. */
    private Map<String, Map<Integer, Committed>> collect(String groupId, Map<String, List<Integer>> wanted) {
        Map<TopicPartition, Committed> committed = store.offsets(groupId);
        Map<String, Map<Integer, Committed>> result = new TreeMap<>();
        if (wanted == null) {
            committed.forEach((tp, c) -> result.computeIfAbsent(tp.topic(), t -> new TreeMap<>()).put(tp.partition(), c));
            return result;
        }
        Committed none = new Committed(-1, -1, "", -1);
        wanted.forEach((topic, partitions) -> {
            Map<Integer, Committed> byPartition = result.computeIfAbsent(topic, t -> new TreeMap<>());
            for (int partition : partitions) {
                byPartition.put(partition, committed.getOrDefault(new TopicPartition(topic, partition), none));
            }
        });
        return result;
    }

    private OffsetDeleteResponseData delete(OffsetDeleteRequestData body) {
        OffsetDeleteResponseData response = new OffsetDeleteResponseData();
        boolean active = coordinator.hasMembers(body.groupId());
        if (store.offsets(body.groupId()).isEmpty() && !active) {
            return response.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code());
        }
        List<TopicPartition> deletions = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic topic : body.topics()) {
            var out = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(topic.name());
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : topic.partitions()) {
                // A group with live members may still be consuming the topic; Kafka refuses then as well.
                short error = active ? Errors.GROUP_SUBSCRIBED_TO_TOPIC.code() : Errors.NONE.code();
                out.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(error));
                if (!active) {
                    deletions.add(new TopicPartition(topic.name(), p.partitionIndex()));
                }
            }
            response.topics().add(out);
        }
        if (!deletions.isEmpty()) {
            store.delete(body.groupId(), deletions);
        }
        return response.setErrorCode(Errors.NONE.code());
    }
}
