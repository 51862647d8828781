package io.chronik.handler;

import io.chronik.config.ChronikProperties;
import io.chronik.group.GroupCoordinator;
import io.chronik.group.GroupStateStore;
import io.chronik.group.MemoryGroupStateStore;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.ApiTable;
import io.chronik.protocol.KafkaRequest;
import io.chronik.protocol.RequestDecoder;
import io.netty.buffer.Unpooled;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OffsetCommit, OffsetFetch, OffsetDelete and the group requests answer with the group state store's error while it cannot serve a
 * group (COORDINATOR_LOAD_IN_PROGRESS while loading, NOT_COORDINATOR once another broker holds it), and touch no
 * offsets then; groups it serves are answered as before.
 */
class OffsetsAvailabilityTest {
    @TempDir
    Path dataDir;
    MemoryGroupStateStore offsets;
    GroupCoordinator coordinator;
    OffsetsHandler handler;
    GroupHandler groups;
    final ApiTable apis = new ApiTable(Set.of(Api.OFFSET_COMMIT, Api.OFFSET_FETCH, Api.OFFSET_DELETE, Api.HEARTBEAT,
            Api.DESCRIBE_GROUPS, Api.DELETE_GROUPS, Api.CONSUMER_GROUP_HEARTBEAT, Api.CONSUMER_GROUP_DESCRIBE));
    ConsumerGroupHeartbeatHandler consumerGroups;

    @BeforeEach
    void start() throws IOException {
        offsets = new MemoryGroupStateStore();
        coordinator = new GroupCoordinator(new UnavailableFor(offsets), 0, 60_000);
        CoordinatorPlacement alone = CoordinatorPlacement.alone(new BrokerIdentity(new ChronikProperties(), () -> 9092));
        handler = new OffsetsHandler(coordinator, new NoTopics(), alone);
        groups = new GroupHandler(coordinator, alone, reactor.core.scheduler.Schedulers.immediate());
        consumerGroups = new ConsumerGroupHeartbeatHandler(coordinator.consumerGroups(), new NoTopics(), alone,
                coordinator.offsetManager()::availability);
    }

    @AfterEach
    void stop() throws Exception {
        coordinator.close();
    }

    @Test
    void offsetFetchAnswersTheStoresErrorPerGroupAndForTheWholeRequest() throws Exception {
        offsets.commit("loading", Map.of(new TopicPartition("t", 0), new Committed(5, 0, "", 1))).get();
        offsets.commit("served", Map.of(new TopicPartition("t", 0), new Committed(7, 0, "", 1))).get();
        OffsetFetchRequestData v8 = new OffsetFetchRequestData().setGroups(List.of(
                new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("loading").setTopics(null),
                new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("moved").setTopics(null),
                new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("served").setTopics(null)));
        OffsetFetchResponseData byGroup = call(ApiKeys.OFFSET_FETCH, (short) 8, v8);
        assertThat(byGroup.groups()).extracting(OffsetFetchResponseData.OffsetFetchResponseGroup::errorCode).containsExactly(
                Errors.COORDINATOR_LOAD_IN_PROGRESS.code(), Errors.NOT_COORDINATOR.code(), Errors.NONE.code());
        assertThat(byGroup.groups().get(0).topics()).isEmpty();
        assertThat(byGroup.groups().get(2).topics().get(0).partitions().get(0).committedOffset()).isEqualTo(7);

        OffsetFetchResponseData v7 = call(ApiKeys.OFFSET_FETCH, (short) 7,
                new OffsetFetchRequestData().setGroupId("loading").setTopics(null));
        assertThat(v7.errorCode()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        assertThat(v7.topics()).isEmpty();
    }

    @Test
    void offsetCommitAndDeleteAnswerTheStoresErrorAndChangeNothing() throws Exception {
        OffsetCommitRequestData commit = new OffsetCommitRequestData().setGroupId("loading").setGenerationIdOrMemberEpoch(-1)
                .setMemberId("").setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("t")
                        .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                                .setCommittedOffset(3)))));
        OffsetCommitResponseData committed = call(ApiKeys.OFFSET_COMMIT, (short) 8, commit);
        assertThat(committed.topics().get(0).partitions().get(0).errorCode()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        assertThat(offsets.offsets("loading")).isEmpty();

        offsets.commit("moved", Map.of(new TopicPartition("t", 0), new Committed(5, 0, "", 1))).get();
        OffsetDeleteRequestData delete = new OffsetDeleteRequestData().setGroupId("moved");
        delete.topics().add(new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName("t")
                .setPartitions(List.of(new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0))));
        OffsetDeleteResponseData deleted = call(ApiKeys.OFFSET_DELETE, (short) 0, delete);
        assertThat(deleted.errorCode()).isEqualTo(Errors.NOT_COORDINATOR.code());
        assertThat(offsets.offsets("moved")).isNotEmpty();
    }

    @Test
    void groupRequestsAnswerTheStoresErrorAndDeleteNothing() throws Exception {
        offsets.commit("loading", Map.of(new TopicPartition("t", 0), new Committed(5, 0, "", 1))).get();
        org.apache.kafka.common.message.DescribeGroupsResponseData described = call(groups, ApiKeys.DESCRIBE_GROUPS, (short) 5,
                new org.apache.kafka.common.message.DescribeGroupsRequestData().setGroups(List.of("loading", "moved")));
        assertThat(described.groups()).extracting(g -> g.errorCode())
                .containsExactly(Errors.COORDINATOR_LOAD_IN_PROGRESS.code(), Errors.NOT_COORDINATOR.code());
        org.apache.kafka.common.message.DeleteGroupsResponseData deleted = call(groups, ApiKeys.DELETE_GROUPS, (short) 2,
                new org.apache.kafka.common.message.DeleteGroupsRequestData().setGroupsNames(List.of("loading")));
        assertThat(deleted.results().find("loading").errorCode()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        assertThat(offsets.offsets("loading")).isNotEmpty();
        org.apache.kafka.common.message.HeartbeatResponseData heartbeat = call(groups, ApiKeys.HEARTBEAT, (short) 4,
                new org.apache.kafka.common.message.HeartbeatRequestData().setGroupId("loading").setGenerationId(1).setMemberId("m"));
        assertThat(heartbeat.errorCode()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
    }

    @Test
    void consumerGroupRequestsAnswerTheStoresError() {
        org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData joined = call(consumerGroups,
                ApiKeys.CONSUMER_GROUP_HEARTBEAT, (short) 1, new org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData()
                        .setGroupId("loading").setMemberId("m1").setMemberEpoch(0).setRebalanceTimeoutMs(30_000)
                        .setSubscribedTopicNames(List.of("t")).setTopicPartitions(List.of()));
        assertThat(joined.errorCode()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        assertThat(coordinator.consumerGroups().exists("loading")).isFalse();
        org.apache.kafka.common.message.ConsumerGroupDescribeResponseData described = call(consumerGroups,
                ApiKeys.CONSUMER_GROUP_DESCRIBE, (short) 0, new org.apache.kafka.common.message.ConsumerGroupDescribeRequestData()
                        .setGroupIds(List.of("loading", "moved")));
        assertThat(described.groups()).extracting(g -> g.errorCode())
                .containsExactly(Errors.COORDINATOR_LOAD_IN_PROGRESS.code(), Errors.NOT_COORDINATOR.code());
    }

    private <T extends ApiMessage> T call(ApiKeys key, short version, ApiMessage body) {
        return call(handler, key, version, body);
    }

    @SuppressWarnings("unchecked")
    private <T extends ApiMessage> T call(RequestHandler target, ApiKeys key, short version, ApiMessage body) {
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setClientId("test").setCorrelationId(1);
        var frame = Unpooled.wrappedBuffer(RequestUtils.serialize(header, key.requestHeaderVersion(version), body, version));
        KafkaRequest request = new RequestDecoder(apis).decode(frame, "/127.0.0.1");
        try {
            return (T) ((Mono<? extends ApiMessage>) target.handle(request)).block(Duration.ofSeconds(10));
        } finally {
            request.release();
        }
    }

    /** The in-memory store, except that "loading" is still being loaded and "moved" is held by another broker. */
    private record UnavailableFor(GroupStateStore delegate) implements GroupStateStore {
        @Override
        public Errors availability(String groupId) {
            return switch (groupId) {
                case "loading" -> Errors.COORDINATOR_LOAD_IN_PROGRESS;
                case "moved" -> Errors.NOT_COORDINATOR;
                default -> Errors.NONE;
            };
        }

        @Override
        public CompletableFuture<Void> commit(String groupId, Map<TopicPartition, Committed> commits) {
            return delegate.commit(groupId, commits);
        }

        @Override
        public CompletableFuture<Void> delete(String groupId, Iterable<TopicPartition> partitions) {
            return delegate.delete(groupId, partitions);
        }

        @Override
        public CompletableFuture<Void> deleteGroup(String groupId) {
            return delegate.deleteGroup(groupId);
        }

        @Override
        public Map<TopicPartition, Committed> offsets(String groupId) {
            return delegate.offsets(groupId);
        }

        @Override
        public Map<String, Map<TopicPartition, Committed>> allOffsets() {
            return delegate.allOffsets();
        }

        @Override
        public Set<String> groups() {
            return delegate.groups();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    /** A cluster without topics: only the group-level answers matter here. */
    private static final class NoTopics implements TopicAdmin {
        @Override
        public Optional<TopicInfo> topic(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<TopicInfo> topic(UUID id) {
            return Optional.empty();
        }

        @Override
        public List<TopicInfo> topics() {
            return List.of();
        }

        @Override
        public Mono<CreatedTopic> createTopic(String name, int numPartitions, short replicationFactor,
                                              Map<Integer, List<Integer>> assignments, Map<String, String> configs, boolean validateOnly) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<TopicInfo> deleteTopic(String name) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<TopicInfo> createPartitions(String name, int totalCount, List<List<Integer>> newAssignments, boolean validateOnly) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<TopicInfo> alterConfigs(String name, Map<String, String> overrides, boolean validateOnly) {
            return Mono.error(new UnsupportedOperationException());
        }
    }
}
