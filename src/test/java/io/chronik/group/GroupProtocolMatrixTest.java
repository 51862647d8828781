package io.chronik.group;

import io.chronik.protocol.Api;
import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every version of every classic group API (the stateful ones included), through raw requests: a whole group
 * life cycle per version step (find coordinator, join with the member-id round trip, sync, heartbeat, commit,
 * fetch, describe, list, leave, delete offsets, delete group), plus the fencing errors.
 */
class GroupProtocolMatrixTest {
    static TestBroker broker;
    static Uuid topicId;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("chronik-group-matrix");
        broker = TestBroker.start(dir, Map.of("chronik.group.initial-rebalance-delay", "0s"));
        Clients.createTopic(broker, "gm", 2);
        var topic = broker.bean(io.chronik.log.LogManager.class).topic("gm").orElseThrow();
        topicId = new Uuid(topic.id().getMostSignificantBits(), topic.id().getLeastSignificantBits());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static short v(Api api, int step) {
        return (short) Math.max(api.minVersion(), Math.min(api.maxVersion(), step));
    }

    @SuppressWarnings("unchecked")
    static <T extends ApiMessage> T call(RawKafkaClient client, ApiMessage request, short version) throws Exception {
        ApiKeys key = ApiKeys.forId(request.apiKey());
        client.send(request, version, 7);
        RawKafkaClient.Response response = client.receive(key.responseHeaderVersion(version));
        assertThat(response.correlationId()).isEqualTo(7);
        ApiMessage data = AbstractResponse.parseResponse(key, new ByteBufferAccessor(response.body()), version).data();
        assertThat(response.body().remaining()).isZero();
        return (T) data;
    }

    static IntStream steps() {
        return IntStream.rangeClosed(0, 10);
    }

    static JoinGroupRequestData joinRequest(String group, String memberId, String instanceId, short v) {
        JoinGroupRequestData join = new JoinGroupRequestData().setGroupId(group).setMemberId(memberId).setSessionTimeoutMs(10_000)
                .setProtocolType("consumer").setGroupInstanceId(v >= 5 ? instanceId : null);
        if (v >= 1) {
            join.setRebalanceTimeoutMs(10_000);
        }
        join.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[]{1, 2, 3}));
        return join;
    }

    /** Joins a one-member group at the given version; returns the join response. */
    static JoinGroupResponseData joinAlone(RawKafkaClient client, String group, String instanceId, short v) throws Exception {
        JoinGroupResponseData joined = call(client, joinRequest(group, "", instanceId, v), v);
        if (v >= 4 && instanceId == null) {
            assertThat(joined.errorCode()).isEqualTo(Errors.MEMBER_ID_REQUIRED.code());
            assertThat(joined.memberId()).isNotEmpty();
            joined = call(client, joinRequest(group, joined.memberId(), null, v), v);
        }
        assertThat(joined.errorCode()).as("join v%d", v).isEqualTo(Errors.NONE.code());
        return joined;
    }

    @ParameterizedTest(name = "version step {0}")
    @MethodSource("steps")
    void aWholeGroupLifeCycleAtEveryVersion(int step) throws Exception {
        String group = "matrix-" + step;
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            short fv = v(Api.FIND_COORDINATOR, step);
            FindCoordinatorRequestData find = fv >= 4 ? new FindCoordinatorRequestData().setCoordinatorKeys(List.of(group, "other"))
                    : new FindCoordinatorRequestData().setKey(group);
            FindCoordinatorResponseData coordinator = call(client, find, fv);
            if (fv >= 4) {
                assertThat(coordinator.coordinators()).hasSize(2).allMatch(c -> c.errorCode() == 0 && c.port() == broker.port());
            } else {
                assertThat(coordinator.errorCode()).isZero();
                assertThat(coordinator.port()).isEqualTo(broker.port());
            }

            short jv = v(Api.JOIN_GROUP, step);
            JoinGroupResponseData joined = joinAlone(client, group, null, jv);
            String memberId = joined.memberId();
            int generation = joined.generationId();
            assertThat(joined.leader()).isEqualTo(memberId);
            assertThat(joined.members()).hasSize(1);
            assertThat(joined.members().get(0).metadata()).containsExactly(1, 2, 3);
            if (jv >= 7) {
                assertThat(joined.protocolName()).isEqualTo("range");
            }

            short sv = v(Api.SYNC_GROUP, step);
            SyncGroupRequestData sync = new SyncGroupRequestData().setGroupId(group).setGenerationId(generation).setMemberId(memberId);
            if (sv >= 5) {
                sync.setProtocolType("consumer").setProtocolName("range");
            }
            sync.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(memberId)
                    .setAssignment(new byte[]{9, 8}));
            SyncGroupResponseData synced = call(client, sync, sv);
            assertThat(synced.errorCode()).isZero();
            assertThat(synced.assignment()).containsExactly(9, 8);

            short hv = v(Api.HEARTBEAT, step);
            HeartbeatResponseData beat = call(client, new HeartbeatRequestData().setGroupId(group).setGenerationId(generation)
                    .setMemberId(memberId), hv);
            assertThat(beat.errorCode()).isZero();
            HeartbeatResponseData stale = call(client, new HeartbeatRequestData().setGroupId(group).setGenerationId(generation + 5)
                    .setMemberId(memberId), hv);
            assertThat(stale.errorCode()).isEqualTo(Errors.ILLEGAL_GENERATION.code());
            HeartbeatResponseData stranger = call(client, new HeartbeatRequestData().setGroupId(group).setGenerationId(generation)
                    .setMemberId("nobody"), hv);
            assertThat(stranger.errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());

            short cv = v(Api.OFFSET_COMMIT, step);
            OffsetCommitRequestData commit = new OffsetCommitRequestData().setGroupId(group).setGenerationIdOrMemberEpoch(generation)
                    .setMemberId(memberId);
            OffsetCommitRequestData.OffsetCommitRequestTopic ct = new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("gm")
                    .setTopicId(cv >= 10 ? topicId : Uuid.ZERO_UUID);
            ct.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(1).setCommittedOffset(42)
                    .setCommittedMetadata("meta-" + step));
            commit.topics().add(ct);
            OffsetCommitResponseData committed = call(client, commit, cv);
            assertThat(committed.topics().get(0).partitions().get(0).errorCode()).as("commit v%d", cv).isZero();
            if (cv >= 10) {
                assertThat(committed.topics().get(0).topicId()).isEqualTo(topicId);
            }

            short ov = v(Api.OFFSET_FETCH, step);
            OffsetFetchRequestData fetch = new OffsetFetchRequestData();
            if (ov >= 8) {
                OffsetFetchRequestData.OffsetFetchRequestGroup g = new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group);
                g.setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName("gm")
                        .setTopicId(ov >= 10 ? topicId : Uuid.ZERO_UUID).setPartitionIndexes(List.of(0, 1))));
                fetch.groups().add(g);
            } else {
                fetch.setGroupId(group).setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("gm")
                        .setPartitionIndexes(List.of(0, 1))));
            }
            OffsetFetchResponseData fetched = call(client, fetch, ov);
            if (ov >= 8) {
                var partitions = fetched.groups().get(0).topics().get(0).partitions();
                assertThat(partitions).hasSize(2);
                assertThat(partitions.get(0).committedOffset()).isEqualTo(-1);
                assertThat(partitions.get(1).committedOffset()).isEqualTo(42);
                assertThat(partitions.get(1).metadata()).isEqualTo("meta-" + step);
            } else {
                var partitions = fetched.topics().get(0).partitions();
                assertThat(partitions.get(0).committedOffset()).isEqualTo(-1);
                assertThat(partitions.get(1).committedOffset()).isEqualTo(42);
                assertThat(partitions.get(1).metadata()).isEqualTo("meta-" + step);
            }

            short dv = v(Api.DESCRIBE_GROUPS, step);
            DescribeGroupsResponseData described = call(client, new DescribeGroupsRequestData().setGroups(List.of(group)), dv);
            assertThat(described.groups().get(0).groupState()).isEqualTo("Stable");
            assertThat(described.groups().get(0).protocolData()).isEqualTo("range");
            assertThat(described.groups().get(0).members()).singleElement()
                    .satisfies(m -> assertThat(m.memberAssignment()).containsExactly(9, 8));

            short lv = v(Api.LIST_GROUPS, step);
            ListGroupsResponseData listed = call(client, new ListGroupsRequestData(), lv);
            assertThat(listed.groups()).anyMatch(g -> g.groupId().equals(group));

            short leaveV = v(Api.LEAVE_GROUP, step);
            LeaveGroupRequestData leave = new LeaveGroupRequestData().setGroupId(group);
            if (leaveV >= 3) {
                leave.members().add(new LeaveGroupRequestData.MemberIdentity().setMemberId(memberId));
            } else {
                leave.setMemberId(memberId);
            }
            LeaveGroupResponseData left = call(client, leave, leaveV);
            assertThat(left.errorCode()).isZero();
            if (leaveV >= 3) {
                assertThat(left.members()).singleElement().satisfies(m -> assertThat(m.errorCode()).isZero());
            }
            DescribeGroupsResponseData empty = call(client, new DescribeGroupsRequestData().setGroups(List.of(group)), dv);
            assertThat(empty.groups().get(0).groupState()).isEqualTo("Empty");

            OffsetDeleteRequestData offsetDelete = new OffsetDeleteRequestData().setGroupId(group);
            OffsetDeleteRequestData.OffsetDeleteRequestTopic dt = new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName("gm");
            dt.partitions().add(new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(1));
            offsetDelete.topics().add(dt);
            OffsetDeleteResponseData offsetsDeleted = call(client, offsetDelete, (short) 0);
            assertThat(offsetsDeleted.errorCode()).isZero();
            assertThat(offsetsDeleted.topics().iterator().next().partitions().iterator().next().errorCode()).isZero();

            short delV = v(Api.DELETE_GROUPS, step);
            DeleteGroupsResponseData deleted = call(client, new DeleteGroupsRequestData().setGroupsNames(List.of(group, "never-was")), delV);
            assertThat(deleted.results().find(group).errorCode()).isZero();
            assertThat(deleted.results().find("never-was").errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        }
    }

    @Test
    void sessionTimeoutsOutsideTheBrokersBoundsAreRefused() throws Exception {
        short jv = Api.JOIN_GROUP.maxVersion();
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            // Kafka's defaults: group.min.session.timeout.ms 6 s, group.max.session.timeout.ms 30 min.
            for (int timeout : new int[]{5_999, 1_800_001}) {
                JoinGroupResponseData refused = call(client, joinRequest("bounds", "", null, jv).setSessionTimeoutMs(timeout), jv);
                assertThat(refused.errorCode()).as("session timeout %d", timeout).isEqualTo(Errors.INVALID_SESSION_TIMEOUT.code());
            }
            JoinGroupResponseData accepted = call(client, joinRequest("bounds", "", null, jv).setSessionTimeoutMs(6_000), jv);
            assertThat(accepted.errorCode()).isEqualTo(Errors.MEMBER_ID_REQUIRED.code());
        }
    }

    @Test
    void aRestartedStaticMemberFencesItsOldMemberIdAndKeepsItsAssignment() throws Exception {
        String group = "static-fence";
        short jv = Api.JOIN_GROUP.maxVersion();
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            JoinGroupResponseData first = joinAlone(client, group, "instance-a", jv);
            SyncGroupRequestData sync = new SyncGroupRequestData().setGroupId(group).setGenerationId(first.generationId())
                    .setMemberId(first.memberId()).setGroupInstanceId("instance-a").setProtocolType("consumer").setProtocolName("range");
            sync.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(first.memberId())
                    .setAssignment(new byte[]{5}));
            assertThat(((SyncGroupResponseData) call(client, sync, Api.SYNC_GROUP.maxVersion())).errorCode()).isZero();

            // The same instance comes back with a new member id: the old id is fenced.
            JoinGroupResponseData second = call(client, joinRequest(group, "", "instance-a", jv), jv);
            assertThat(second.errorCode()).isZero();
            assertThat(second.memberId()).isNotEqualTo(first.memberId());
            HeartbeatResponseData fenced = call(client, new HeartbeatRequestData().setGroupId(group).setGenerationId(first.generationId())
                    .setMemberId(first.memberId()).setGroupInstanceId("instance-a"), Api.HEARTBEAT.maxVersion());
            assertThat(fenced.errorCode()).isEqualTo(Errors.FENCED_INSTANCE_ID.code());

            LeaveGroupRequestData leave = new LeaveGroupRequestData().setGroupId(group);
            leave.members().add(new LeaveGroupRequestData.MemberIdentity().setMemberId("").setGroupInstanceId("instance-a"));
            leave.members().add(new LeaveGroupRequestData.MemberIdentity().setMemberId("ghost"));
            LeaveGroupResponseData left = call(client, leave, Api.LEAVE_GROUP.maxVersion());
            assertThat(left.members()).extracting(LeaveGroupResponseData.MemberResponse::errorCode)
                    .containsExactly(Errors.NONE.code(), Errors.UNKNOWN_MEMBER_ID.code());
        }
    }

    @Test
    void aSecondMemberTriggersARebalanceThatBothJoin() throws Exception {
        String group = "two-members";
        short jv = Api.JOIN_GROUP.maxVersion();
        try (RawKafkaClient a = new RawKafkaClient(broker.port()); RawKafkaClient b = new RawKafkaClient(broker.port())) {
            JoinGroupResponseData first = joinAlone(a, group, null, jv);
            // b asks for a member id, then joins: the group goes to PreparingRebalance and waits for a to rejoin.
            JoinGroupResponseData needId = call(b, joinRequest(group, "", null, jv), jv);
            b.send(joinRequest(group, needId.memberId(), null, jv), jv, 8);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!((DescribeGroupsResponseData) call(a, new DescribeGroupsRequestData().setGroups(List.of(group)),
                    Api.DESCRIBE_GROUPS.maxVersion())).groups().get(0).groupState().equals("PreparingRebalance")) {
                assertThat(System.nanoTime()).as("b's join arrives").isLessThan(deadline);
                Thread.sleep(10);
            }
            HeartbeatResponseData beat = call(a, new HeartbeatRequestData().setGroupId(group).setGenerationId(first.generationId())
                    .setMemberId(first.memberId()), Api.HEARTBEAT.maxVersion());
            assertThat(beat.errorCode()).isEqualTo(Errors.REBALANCE_IN_PROGRESS.code());
            JoinGroupResponseData aAgain = call(a, joinRequest(group, first.memberId(), null, jv), jv);
            RawKafkaClient.Response bResponse = b.receive(ApiKeys.JOIN_GROUP.responseHeaderVersion(jv));
            JoinGroupResponseData bJoined = (JoinGroupResponseData) AbstractResponse.parseResponse(ApiKeys.JOIN_GROUP,
                    new ByteBufferAccessor(bResponse.body()), jv).data();
            assertThat(aAgain.errorCode()).isZero();
            assertThat(bJoined.errorCode()).isZero();
            assertThat(aAgain.generationId()).isEqualTo(first.generationId() + 1).isEqualTo(bJoined.generationId());
            assertThat(aAgain.leader()).isEqualTo(first.memberId()).isEqualTo(bJoined.leader());
            assertThat(aAgain.members()).hasSize(2);
            assertThat(bJoined.members()).isEmpty();
        }
    }
}
