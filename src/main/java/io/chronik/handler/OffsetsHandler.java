package io.chronik.handler;

import io.chronik.group.GroupCoordinator;
import io.chronik.group.OffsetManager;
import io.chronik.group.CoordinatorWriteErrors;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.TopicInfo;
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

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * OffsetCommit, OffsetFetch (one group, or several from v8; topics by id from v10) and OffsetDelete, for the groups
 * this broker coordinates (NOT_COORDINATOR for the others, see {@link CoordinatorPlacement}). Everything
 * but the write is in memory and done on the event loop; commits and deletions are answered only once the offset
 * store's writer thread has made them durable.
 */
public final class OffsetsHandler implements RequestHandler {
    private static final int MAX_METADATA_BYTES = 4096;

    private final GroupCoordinator coordinator;
    private final OffsetManager store;
    /** Topics as this broker knows them: its own alone, the cluster image's in a cluster. */
    private final TopicAdmin topics;
    private final CoordinatorPlacement placement;

    public OffsetsHandler(GroupCoordinator coordinator, TopicAdmin topics, CoordinatorPlacement placement) {
        this.coordinator = coordinator;
        this.store = coordinator.offsetManager();
        this.topics = topics;
        this.placement = placement;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.OFFSET_COMMIT, Api.OFFSET_FETCH, Api.OFFSET_DELETE);
    }

    @Override
    public Mono<? extends ApiMessage> handle(KafkaRequest request) {
        return switch (request.api()) {
            case OFFSET_COMMIT -> commit(request.body(), request.version());
            case OFFSET_FETCH -> Mono.just(fetch(request.body(), request.version()));
            case OFFSET_DELETE -> delete(request.body());
            default -> Mono.error(new IllegalArgumentException("not an offsets API: " + request.api()));
        };
    }

    private Mono<OffsetCommitResponseData> commit(OffsetCommitRequestData body, short version) {
        boolean byId = version >= 10;
        short groupError = !placement.isLocal(body.groupId()) ? Errors.NOT_COORDINATOR.code()
                : coordinator.validateCommit(body.groupId(), body.generationIdOrMemberEpoch(), body.memberId(), body.groupInstanceId());
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        Map<TopicPartition, Committed> accepted = new LinkedHashMap<>();
        List<OffsetCommitResponseData.OffsetCommitResponsePartition> acceptedResults = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic topic : body.topics()) {
            OffsetCommitResponseData.OffsetCommitResponseTopic topicResult = new OffsetCommitResponseData.OffsetCommitResponseTopic();
            if (byId) {
                topicResult.setTopicId(topic.topicId());
            } else {
                topicResult.setName(topic.name());
            }
            response.topics().add(topicResult);
            Optional<TopicInfo> known = byId ? topics.topic(TopicIds.toUuid(topic.topicId())) : topics.topic(topic.name());
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : topic.partitions()) {
                OffsetCommitResponseData.OffsetCommitResponsePartition result =
                        new OffsetCommitResponseData.OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                topicResult.partitions().add(result);
                String metadata = p.committedMetadata();
                if (groupError != Errors.NONE.code()) {
                    result.setErrorCode(groupError);
                } else if (known.isEmpty()) {
                    result.setErrorCode(byId ? Errors.UNKNOWN_TOPIC_ID.code() : Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (metadata != null && metadata.getBytes(StandardCharsets.UTF_8).length > MAX_METADATA_BYTES) {
                    result.setErrorCode(Errors.OFFSET_METADATA_TOO_LARGE.code());
                } else {
                    accepted.put(new TopicPartition(known.get().name(), p.partitionIndex()),
                            new Committed(p.committedOffset(), p.committedLeaderEpoch(), metadata, now));
                    acceptedResults.add(result);
                }
            }
        }
        if (accepted.isEmpty()) {
            return Mono.just(response);
        }
        return Mono.fromFuture(store.commit(body.groupId(), accepted)
                .handle((ok, failure) -> {
                    short error = CoordinatorWriteErrors.of(failure).code();
                    acceptedResults.forEach(r -> r.setErrorCode(error));
                    return response;
                }), true);
    }

    private OffsetFetchResponseData fetch(OffsetFetchRequestData body, short version) {
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (version >= 8) {
            boolean byId = version >= 10;
            for (OffsetFetchRequestData.OffsetFetchRequestGroup group : body.groups()) {
                OffsetFetchResponseData.OffsetFetchResponseGroup out =
                        new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId());
                response.groups().add(out);
                if (!placement.isLocal(group.groupId())) {
                    out.setErrorCode(Errors.NOT_COORDINATOR.code());
                    continue;
                }
                Errors availability = store.availability(group.groupId());
                if (availability != Errors.NONE) {
                    out.setErrorCode(availability.code());
                    continue;
                }
                if (group.topics() == null) {
                    collect(group.groupId(), null).forEach((topic, partitions) -> {
                        var t = new OffsetFetchResponseData.OffsetFetchResponseTopics();
                        if (byId) {
                            Optional<TopicInfo> info = topics.topic(topic);
                            if (info.isEmpty()) {
                                return; // a deleted topic has no id to report
                            }
                            t.setTopicId(TopicIds.toKafka(info.get().id()));
                        } else {
                            t.setName(topic);
                        }
                        partitions.forEach((partition, c) -> t.partitions().add(
                                unstableV8(group.groupId(), topic, partition, body.requireStable(), partitionV8(partition, c))));
                        out.topics().add(t);
                    });
                    continue;
                }
                Map<TopicPartition, Committed> committed = store.offsets(group.groupId());
                for (OffsetFetchRequestData.OffsetFetchRequestTopics requested : group.topics()) {
                    var t = new OffsetFetchResponseData.OffsetFetchResponseTopics();
                    String name = requested.name();
                    short error = Errors.NONE.code();
                    if (byId) {
                        t.setTopicId(requested.topicId());
                        Optional<TopicInfo> info = topics.topic(TopicIds.toUuid(requested.topicId()));
                        name = info.map(TopicInfo::name).orElse(null);
                        error = info.isEmpty() ? Errors.UNKNOWN_TOPIC_ID.code() : error;
                    } else {
                        t.setName(name);
                    }
                    for (int partition : requested.partitionIndexes()) {
                        Committed c = name == null ? null : committed.get(new TopicPartition(name, partition));
                        var result = partitionV8(partition, c == null ? NONE : c).setErrorCode(error);
                        t.partitions().add(name == null ? result
                                : unstableV8(group.groupId(), name, partition, body.requireStable(), result));
                    }
                    out.topics().add(t);
                }
            }
            return response;
        }
        if (!placement.isLocal(body.groupId())) {
            return groupError(body, version, Errors.NOT_COORDINATOR);
        }
        Errors availability = store.availability(body.groupId());
        if (availability != Errors.NONE) {
            return groupError(body, version, availability);
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
            partitions.forEach((partition, c) -> {
                var result = new OffsetFetchResponseData.OffsetFetchResponsePartition()
                        .setPartitionIndex(partition).setCommittedOffset(c.offset()).setCommittedLeaderEpoch(c.leaderEpoch())
                        .setMetadata(c.metadata());
                if (body.requireStable() && store.hasPendingOffset(body.groupId(), new TopicPartition(topic, partition))) {
                    // Up to version 7 the partition's error is the response's too.
                    result.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code()).setCommittedOffset(-1)
                            .setCommittedLeaderEpoch(-1);
                    response.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code());
                }
                t.partitions().add(result);
            });
            response.topics().add(t);
        });
        return response;
    }

    /** Up to version 7: from version 2 a top-level error; version 1 only has errors per requested partition. */
    private static OffsetFetchResponseData groupError(OffsetFetchRequestData body, short version, Errors error) {
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (version >= 2) {
            return response.setErrorCode(error.code());
        }
        if (body.topics() != null) {
            for (var requested : body.topics()) {
                var t = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(requested.name());
                for (int partition : requested.partitionIndexes()) {
                    t.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition().setPartitionIndex(partition)
                            .setCommittedOffset(-1).setMetadata("").setErrorCode(error.code()));
                }
                response.topics().add(t);
            }
        }
        return response;
    }

    private static final Committed NONE = new Committed(-1, -1, "", -1);

    private static OffsetFetchResponseData.OffsetFetchResponsePartitions partitionV8(int partition, Committed c) {
        return new OffsetFetchResponseData.OffsetFetchResponsePartitions().setPartitionIndex(partition)
                .setCommittedOffset(c.offset()).setCommittedLeaderEpoch(c.leaderEpoch()).setMetadata(c.metadata());
    }

    /**
     * With require_stable (version 7 on), a partition whose offset an open transaction has committed answers
     * UNSTABLE_OFFSET_COMMIT (the consumer retries until the transaction ends) instead of the committed offset.
     */
    private OffsetFetchResponseData.OffsetFetchResponsePartitions unstableV8(
            String groupId, String topic, int partition, boolean requireStable,
            OffsetFetchResponseData.OffsetFetchResponsePartitions result) {
        if (requireStable && store.hasPendingOffset(groupId, new TopicPartition(topic, partition))) {
            result.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code()).setCommittedOffset(-1).setCommittedLeaderEpoch(-1);
        }
        return result;
    }

    /** Committed offsets by topic and partition; partitions asked for but never committed get offset -1. */
    private Map<String, Map<Integer, Committed>> collect(String groupId, Map<String, List<Integer>> wanted) {
        Map<TopicPartition, Committed> committed = store.offsets(groupId);
        Map<String, Map<Integer, Committed>> result = new TreeMap<>();
        if (wanted == null) {
            committed.forEach((tp, c) -> result.computeIfAbsent(tp.topic(), t -> new TreeMap<>()).put(tp.partition(), c));
            return result;
        }
        wanted.forEach((topic, partitions) -> {
            Map<Integer, Committed> byPartition = result.computeIfAbsent(topic, t -> new TreeMap<>());
            for (int partition : partitions) {
                byPartition.put(partition, committed.getOrDefault(new TopicPartition(topic, partition), NONE));
            }
        });
        return result;
    }

    private Mono<OffsetDeleteResponseData> delete(OffsetDeleteRequestData body) {
        OffsetDeleteResponseData response = new OffsetDeleteResponseData();
        if (!placement.isLocal(body.groupId())) {
            return Mono.just(response.setErrorCode(Errors.NOT_COORDINATOR.code()));
        }
        Errors availability = store.availability(body.groupId());
        if (availability != Errors.NONE) {
            return Mono.just(response.setErrorCode(availability.code()));
        }
        boolean active = coordinator.hasMembers(body.groupId());
        if (store.offsets(body.groupId()).isEmpty() && !active) {
            return Mono.just(response.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()));
        }
        List<TopicPartition> deletions = new ArrayList<>();
        List<OffsetDeleteResponseData.OffsetDeleteResponsePartition> deleted = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic topic : body.topics()) {
            var out = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(topic.name());
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : topic.partitions()) {
                // A group with live members may still be consuming the topic; Kafka refuses then as well.
                short error = active ? Errors.GROUP_SUBSCRIBED_TO_TOPIC.code() : Errors.NONE.code();
                var result = new OffsetDeleteResponseData.OffsetDeleteResponsePartition().setPartitionIndex(p.partitionIndex())
                        .setErrorCode(error);
                out.partitions().add(result);
                if (!active) {
                    deletions.add(new TopicPartition(topic.name(), p.partitionIndex()));
                    deleted.add(result);
                }
            }
            response.topics().add(out);
        }
        response.setErrorCode(Errors.NONE.code());
        if (deletions.isEmpty()) {
            return Mono.just(response);
        }
        return Mono.fromFuture(store.delete(body.groupId(), deletions).handle((ok, failure) -> {
            if (failure != null) {
                deleted.forEach(r -> r.setErrorCode(CoordinatorWriteErrors.of(failure).code()));
            }
            return response;
        }), true);
    }
}
