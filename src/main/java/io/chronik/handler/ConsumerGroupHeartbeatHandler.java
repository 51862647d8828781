package io.chronik.handler;

import io.chronik.group.ConsumerGroupCoordinator;
import io.chronik.group.ConsumerGroupCoordinator.GroupView;
import io.chronik.group.ConsumerGroupCoordinator.Heartbeat;
import io.chronik.group.ConsumerGroupCoordinator.HeartbeatResult;
import io.chronik.group.ConsumerGroupCoordinator.TopicMeta;
import io.chronik.group.ConsumerGroupCoordinator.Tp;
import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The KIP-848 consumer group protocol: ConsumerGroupHeartbeat and ConsumerGroupDescribe, for the groups this broker
 * coordinates (NOT_COORDINATOR for the others). All in memory, answered on the event loop. ConsumerGroupDescribe answers GROUP_ID_NOT_FOUND for classic groups, so admin clients fall
 * back to DescribeGroups for them.
 */
public final class ConsumerGroupHeartbeatHandler implements RequestHandler {
    private final ConsumerGroupCoordinator groups;
    private final TopicAdmin topicAdmin;
    private final CoordinatorPlacement placement;
    /** Whether the group's durable state is loaded here (COORDINATOR_LOAD_IN_PROGRESS while it is being loaded). */
    private final java.util.function.Function<String, Errors> availability;

    public ConsumerGroupHeartbeatHandler(ConsumerGroupCoordinator groups, TopicAdmin topicAdmin, CoordinatorPlacement placement,
                                         java.util.function.Function<String, Errors> availability) {
        this.groups = groups;
        this.topicAdmin = topicAdmin;
        this.placement = placement;
        this.availability = availability;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.CONSUMER_GROUP_HEARTBEAT, Api.CONSUMER_GROUP_DESCRIBE);
    }

    @Override
    public Mono<? extends ApiMessage> handle(KafkaRequest request) {
        return switch (request.api()) {
            case CONSUMER_GROUP_HEARTBEAT -> heartbeat(request.body(), request.version(), request.clientId(), request.clientHost());
            case CONSUMER_GROUP_DESCRIBE -> Mono.just(describe(request.body()));
            default -> Mono.error(new IllegalArgumentException("not a consumer group API: " + request.api()));
        };
    }

    private Map<String, TopicMeta> topics() {
        Map<String, TopicMeta> topics = new HashMap<>();
        for (TopicInfo t : topicAdmin.topics()) {
            topics.put(t.name(), new TopicMeta(t.name(), TopicIds.toKafka(t.id()), t.partitions()));
        }
        return topics;
    }

    /** Answered once the group state the heartbeat changed is durable. */
    private Mono<ConsumerGroupHeartbeatResponseData> heartbeat(ConsumerGroupHeartbeatRequestData body, short version,
                                                               String clientId, String clientHost) {
        if (version >= 1 && body.memberEpoch() == 0 && (body.memberId() == null || body.memberId().isEmpty())) {
            return Mono.just(new ConsumerGroupHeartbeatResponseData().setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("MemberId can't be empty."));
        }
        if (!placement.isLocal(body.groupId())) {
            return Mono.just(new ConsumerGroupHeartbeatResponseData().setErrorCode(Errors.NOT_COORDINATOR.code())
                    .setErrorMessage("This broker does not coordinate group " + body.groupId() + "."));
        }
        Errors loaded = availability.apply(body.groupId());
        if (loaded != Errors.NONE) {
            return Mono.just(new ConsumerGroupHeartbeatResponseData().setErrorCode(loaded.code()));
        }
        Set<Tp> owned = null;
        if (body.topicPartitions() != null) {
            owned = new HashSet<>();
            for (var t : body.topicPartitions()) {
                for (int p : t.partitions()) {
                    owned.add(new Tp(t.topicId(), p));
                }
            }
        }
        String regex = version >= 1 ? body.subscribedTopicRegex() : null;
        var durable = groups.heartbeatDurable(new Heartbeat(body.groupId(), body.memberId(), body.memberEpoch(), body.instanceId(),
                body.rackId(), body.rebalanceTimeoutMs(), body.subscribedTopicNames(), regex, body.serverAssignor(), owned,
                clientId == null ? "" : clientId, clientHost), topics());
        return durable.isDone() ? Mono.just(response(durable.join())) : Mono.fromFuture(durable, true).map(this::response);
    }

    private ConsumerGroupHeartbeatResponseData response(HeartbeatResult result) {
        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData().setErrorCode(result.error())
                .setErrorMessage(result.message()).setMemberId(result.memberId()).setMemberEpoch(result.memberEpoch())
                .setHeartbeatIntervalMs(result.heartbeatIntervalMs());
        if (result.assignment() != null) {
            response.setAssignment(new ConsumerGroupHeartbeatResponseData.Assignment().setTopicPartitions(byTopic(result.assignment())));
        }
        return response;
    }

    /** Partitions grouped by topic id, topics and partitions in order, as both responses list them. */
    private static Map<Uuid, List<Integer>> byTopicId(Set<Tp> partitions) {
        Map<Uuid, List<Integer>> grouped = new TreeMap<>();
        partitions.forEach(tp -> grouped.computeIfAbsent(tp.topicId(), x -> new ArrayList<>()).add(tp.partition()));
        grouped.values().forEach(ps -> ps.sort(Integer::compare));
        return grouped;
    }

    private static List<ConsumerGroupHeartbeatResponseData.TopicPartitions> byTopic(Set<Tp> partitions) {
        List<ConsumerGroupHeartbeatResponseData.TopicPartitions> out = new ArrayList<>();
        byTopicId(partitions).forEach((id, ps) ->
                out.add(new ConsumerGroupHeartbeatResponseData.TopicPartitions().setTopicId(id).setPartitions(ps)));
        return out;
    }

    private ConsumerGroupDescribeResponseData describe(ConsumerGroupDescribeRequestData body) {
        ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
        Map<Uuid, String> names = new HashMap<>();
        topics().values().forEach(t -> names.put(t.id(), t.name()));
        for (String groupId : body.groupIds()) {
            Errors notServing = placement.isLocal(groupId) ? availability.apply(groupId) : Errors.NOT_COORDINATOR;
            if (notServing != Errors.NONE) {
                response.groups().add(new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId)
                        .setErrorCode(notServing.code()));
                continue;
            }
            var described = groups.describe(groupId);
            if (described.isEmpty()) {
                response.groups().add(new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId)
                        .setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Group " + groupId + " is not a consumer group."));
                continue;
            }
            GroupView g = described.get();
            var out = new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId).setGroupState(g.state())
                    .setGroupEpoch(g.epoch()).setAssignmentEpoch(g.assignmentEpoch()).setAssignorName(g.assignor());
            for (var m : g.members()) {
                out.members().add(new ConsumerGroupDescribeResponseData.Member().setMemberId(m.memberId()).setInstanceId(m.instanceId())
                        .setRackId(m.rackId()).setMemberEpoch(m.epoch()).setClientId(m.clientId() == null ? "" : m.clientId())
                        .setClientHost(m.clientHost() == null ? "" : m.clientHost()).setSubscribedTopicNames(m.topics())
                        .setSubscribedTopicRegex(m.regex())
                        .setAssignment(assignment(m.assigned(), names)).setTargetAssignment(assignment(m.target(), names)));
            }
            response.groups().add(out);
        }
        return response;
    }

    private static ConsumerGroupDescribeResponseData.Assignment assignment(Set<Tp> partitions, Map<Uuid, String> names) {
        var out = new ConsumerGroupDescribeResponseData.Assignment();
        byTopicId(partitions).forEach((id, ps) -> out.topicPartitions().add(new ConsumerGroupDescribeResponseData.TopicPartitions()
                .setTopicId(id).setTopicName(names.getOrDefault(id, "")).setPartitions(ps)));
        return out;
    }
}
