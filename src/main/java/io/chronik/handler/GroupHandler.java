package io.chronik.handler;

import io.chronik.group.ClassicGroup;
import io.chronik.group.ClassicGroup.Join;
import io.chronik.group.GroupCoordinator;
import io.chronik.group.GroupCoordinator.GroupView;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The classic group protocol's APIs: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ListGroups, DescribeGroups and
 * DeleteGroups ({@link FindCoordinatorHandler} names the broker {@link CoordinatorPlacement} places a group on);
 * requests for a group another broker coordinates answer NOT_COORDINATOR, so clients look the coordinator up again.
 * ListGroups lists the groups this broker coordinates. Join and Sync answers complete when the rebalance does,
 * without holding a thread.
 */
public final class GroupHandler implements RequestHandler {
    private final GroupCoordinator coordinator;
    private final CoordinatorPlacement placement;
    private final Scheduler io;

    public GroupHandler(GroupCoordinator coordinator, CoordinatorPlacement placement, Scheduler io) {
        this.coordinator = coordinator;
        this.placement = placement;
        this.io = io;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.JOIN_GROUP, Api.SYNC_GROUP, Api.HEARTBEAT, Api.LEAVE_GROUP, Api.LIST_GROUPS,
                Api.DESCRIBE_GROUPS, Api.DELETE_GROUPS);
    }

    @Override
    public Mono<? extends ApiMessage> handle(KafkaRequest request) {
        return switch (request.api()) {
            case JOIN_GROUP -> join(request.body(), request.version(), request.clientId(), request.clientHost());
            case SYNC_GROUP -> sync(request.body());
            case HEARTBEAT -> Mono.just(heartbeat(request.body()));
            case LEAVE_GROUP -> Mono.just(leave(request.body(), request.version()));
            case LIST_GROUPS -> Mono.just(list(request.body()));
            case DESCRIBE_GROUPS -> Mono.just(describe(request.body(), request.version()));
            // Deleting a group deletes its committed offsets on disk: answered once that is durable.
            case DELETE_GROUPS -> delete(request.body());
            default -> Mono.error(new IllegalArgumentException("not a group API: " + request.api()));
        };
    }

    private Mono<JoinGroupResponseData> join(JoinGroupRequestData body, short version, String clientId, String clientHost) {
        Errors notServing = serving(body.groupId());
        if (notServing != Errors.NONE) {
            return Mono.just(new JoinGroupResponseData().setErrorCode(notServing.code()).setGenerationId(-1)
                    .setProtocolName(version >= 7 ? null : "").setLeader("").setMemberId(body.memberId()));
        }
        List<ClassicGroup.Protocol> protocols = new ArrayList<>();
        body.protocols().forEach(p -> protocols.add(new ClassicGroup.Protocol(p.name(), p.metadata())));
        // Version 0 has no rebalance timeout: the session timeout stands in for it, as in Kafka.
        int rebalanceTimeout = version >= 1 ? body.rebalanceTimeoutMs() : body.sessionTimeoutMs();
        Join join = new Join(body.groupId(), body.memberId(), body.groupInstanceId(), clientId == null ? "" : clientId, clientHost,
                body.sessionTimeoutMs(), rebalanceTimeout, body.protocolType(),
                protocols, version >= 4);
        return Mono.fromFuture(coordinator.join(join), true).map(result -> {
            JoinGroupResponseData response = new JoinGroupResponseData().setErrorCode(result.error())
                    .setGenerationId(result.generation()).setProtocolType(result.protocolType())
                    .setProtocolName(version >= 7 ? result.protocolName() : (result.protocolName() == null ? "" : result.protocolName()))
                    .setLeader(result.leader()).setMemberId(result.memberId());
            for (var member : result.members()) {
                response.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(member.memberId())
                        .setGroupInstanceId(member.groupInstanceId()).setMetadata(member.metadata()));
            }
            return response;
        });
    }

    private Mono<SyncGroupResponseData> sync(SyncGroupRequestData body) {
        Errors notServing = serving(body.groupId());
        if (notServing != Errors.NONE) {
            return Mono.just(new SyncGroupResponseData().setErrorCode(notServing.code()).setAssignment(new byte[0]));
        }
        Map<String, byte[]> assignments = new HashMap<>();
        body.assignments().forEach(a -> assignments.put(a.memberId(), a.assignment()));
        return Mono.fromFuture(coordinator.sync(body.groupId(), body.generationId(), body.memberId(), body.groupInstanceId(),
                assignments), true).map(result -> new SyncGroupResponseData().setErrorCode(result.error())
                .setProtocolType(result.protocolType()).setProtocolName(result.protocolName()).setAssignment(result.assignment()));
    }

    private HeartbeatResponseData heartbeat(HeartbeatRequestData body) {
        Errors notServing = serving(body.groupId());
        if (notServing != Errors.NONE) {
            return new HeartbeatResponseData().setErrorCode(notServing.code());
        }
        return new HeartbeatResponseData().setErrorCode(coordinator.heartbeat(body.groupId(), body.generationId(), body.memberId(),
                body.groupInstanceId()));
    }

    private LeaveGroupResponseData leave(LeaveGroupRequestData body, short version) {
        Errors notServing = serving(body.groupId());
        if (notServing != Errors.NONE) {
            return new LeaveGroupResponseData().setErrorCode(notServing.code());
        }
        List<String[]> members = new ArrayList<>();
        if (version < 3) {
            members.add(new String[]{body.memberId(), null});
        } else {
            body.members().forEach(m -> members.add(new String[]{m.memberId(), m.groupInstanceId()}));
        }
        List<Short> results = coordinator.leave(body.groupId(), members);
        LeaveGroupResponseData response = new LeaveGroupResponseData();
        if (version < 3) {
            return response.setErrorCode(results.get(0));
        }
        for (int i = 0; i < members.size(); i++) {
            response.members().add(new LeaveGroupResponseData.MemberResponse().setMemberId(members.get(i)[0])
                    .setGroupInstanceId(members.get(i)[1]).setErrorCode(results.get(i)));
        }
        return response;
    }

    private ListGroupsResponseData list(ListGroupsRequestData body) {
        ListGroupsResponseData response = new ListGroupsResponseData();
        for (GroupView group : coordinator.list()) {
            if (!placement.isLocal(group.groupId())) {
                continue; // state left from when this broker coordinated the group
            }
            boolean stateOk = body.statesFilter().isEmpty() || body.statesFilter().stream().anyMatch(s -> s.equalsIgnoreCase(group.state()));
            boolean typeOk = body.typesFilter().isEmpty() || body.typesFilter().stream().anyMatch(t -> t.equalsIgnoreCase("classic"));
            if (stateOk && typeOk) {
                response.groups().add(new ListGroupsResponseData.ListedGroup().setGroupId(group.groupId())
                        .setProtocolType(group.protocolType()).setGroupState(group.state()).setGroupType("classic"));
            }
        }
        // KIP-848 consumer groups (group.protocol=consumer).
        for (String groupId : coordinator.consumerGroups().groupIds()) {
            if (!placement.isLocal(groupId)) {
                continue;
            }
            coordinator.consumerGroups().describe(groupId).ifPresent(group -> {
                boolean stateOk = body.statesFilter().isEmpty() || body.statesFilter().stream().anyMatch(s -> s.equalsIgnoreCase(group.state()));
                boolean typeOk = body.typesFilter().isEmpty() || body.typesFilter().stream().anyMatch(t -> t.equalsIgnoreCase("consumer"));
                if (stateOk && typeOk) {
                    response.groups().add(new ListGroupsResponseData.ListedGroup().setGroupId(groupId).setProtocolType("consumer")
                            .setGroupState(group.state()).setGroupType("consumer"));
                }
            });
        }
        return response;
    }

    private DescribeGroupsResponseData describe(DescribeGroupsRequestData body, short version) {
        DescribeGroupsResponseData response = new DescribeGroupsResponseData();
        for (String groupId : body.groups()) {
            Errors notServing = serving(groupId);
            if (notServing != Errors.NONE) {
                response.groups().add(new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId)
                        .setErrorCode(notServing.code()).setGroupState("").setProtocolType("").setProtocolData(""));
                continue;
            }
            var described = coordinator.describe(groupId);
            if (described.isEmpty()) {
                DescribeGroupsResponseData.DescribedGroup dead = new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId)
                        .setGroupState("Dead").setProtocolType("").setProtocolData("");
                if (version >= 6) {
                    dead.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Group " + groupId + " not found.");
                }
                response.groups().add(dead);
                continue;
            }
            GroupView group = described.get();
            DescribeGroupsResponseData.DescribedGroup out = new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId)
                    .setGroupState(group.state()).setProtocolType(group.protocolType()).setProtocolData(group.protocolName());
            for (var m : group.members()) {
                out.members().add(new DescribeGroupsResponseData.DescribedGroupMember().setMemberId(m.memberId())
                        .setGroupInstanceId(m.groupInstanceId()).setClientId(m.clientId()).setClientHost(m.clientHost())
                        .setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment()));
            }
            response.groups().add(out);
        }
        return response;
    }

    private Mono<DeleteGroupsResponseData> delete(DeleteGroupsRequestData body) {
        DeleteGroupsResponseData response = new DeleteGroupsResponseData();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (String groupId : body.groupsNames()) {
            DeleteGroupsResponseData.DeletableGroupResult result = new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(groupId);
            response.results().add(result);
            Errors notServing = serving(groupId);
            if (notServing != Errors.NONE) {
                result.setErrorCode(notServing.code());
                continue;
            }
            done.add(coordinator.deleteGroup(groupId).thenAccept(result::setErrorCode));
        }
        return Mono.fromFuture(CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)), true).thenReturn(response);
    }

    /** NONE when this broker coordinates the group and has its state loaded; NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS otherwise. */
    private Errors serving(String groupId) {
        return placement.isLocal(groupId) ? coordinator.offsetManager().availability(groupId) : Errors.NOT_COORDINATOR;
    }
}
