package io.chronik.broker;

import io.chronik.protocol.Api;
import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every served API at every version Chronik advertises (old, non-flexible versions used by kafkajs included):
 * a valid request gets a response that parses at that version, with the request's correlation id and no error.
 */
class ApiVersionMatrixTest {
    static Path dataDir;
    static TestBroker broker;
    static Uuid topicId;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("chronik-matrix");
        broker = TestBroker.start(dataDir);
        Clients.createTopic(broker, "matrix", 1);
        var topic = broker.bean(io.chronik.log.LogManager.class).topic("matrix").orElseThrow();
        topicId = new Uuid(topic.id().getMostSignificantBits(), topic.id().getLeastSignificantBits());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static Stream<Arguments> everyVersion() {
        List<Arguments> cases = new ArrayList<>();
        for (Api api : Api.values()) {
            if (STATEFUL_GROUP_APIS.contains(api) || STATEFUL_TXN_APIS.contains(api) || api == Api.DESCRIBE_QUORUM || api == Api.ALTER_PARTITION_REASSIGNMENTS
                    || api == Api.LIST_PARTITION_REASSIGNMENTS) {
                // Served by brokers of a cluster only (QuorumClusterTest, ReassignPartitionsClusterTest).
                continue;
            }
            for (short v = api.minVersion(); v <= api.maxVersion(); v++) {
                cases.add(Arguments.of(api, v));
            }
        }
        return cases.stream();
    }

    /** Group APIs whose answer depends on membership; they are exercised through real consumers in ConsumerGroupTest. */
    static final java.util.Set<Api> STATEFUL_GROUP_APIS = java.util.EnumSet.of(Api.JOIN_GROUP, Api.SYNC_GROUP, Api.HEARTBEAT,
            Api.LEAVE_GROUP, Api.DESCRIBE_GROUPS, Api.DELETE_GROUPS, Api.OFFSET_DELETE, Api.CONSUMER_GROUP_HEARTBEAT,
            Api.CONSUMER_GROUP_DESCRIBE);

    /** Transaction APIs that need a producer's state first; every version is exercised in TransactionVersionsTest. */
    static final java.util.Set<Api> STATEFUL_TXN_APIS = java.util.EnumSet.of(Api.ADD_PARTITIONS_TO_TXN,
            Api.ADD_OFFSETS_TO_TXN, Api.END_TXN);

    @ParameterizedTest(name = "{0} v{1}")
    @MethodSource("everyVersion")
    void everyAdvertisedVersionIsServed(Api api, short version) throws Exception {
        ApiMessage request = request(api, version);
        ApiKeys key = ApiKeys.forId(api.id());
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.send(request, version, 4242);
            RawKafkaClient.Response response = client.receive(key.responseHeaderVersion(version));
            assertThat(response.correlationId()).isEqualTo(4242);
            AbstractResponse parsed = AbstractResponse.parseResponse(key, new ByteBufferAccessor(response.body()), version);
            assertThat(response.body().remaining()).as("bytes left after parsing").isZero();
            assertThat(parsed.errorCounts().keySet()).as("errors in %s", parsed.data())
                    .allMatch(e -> e == org.apache.kafka.common.protocol.Errors.NONE);
        }
    }

    /** InitProducerId for a transactional id, retried while the transaction coordinator's topic is created. */
    static org.apache.kafka.common.message.InitProducerIdResponseData initProducer(String id) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        short version = 4;
        while (true) {
            try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
                client.send(new org.apache.kafka.common.message.InitProducerIdRequestData().setTransactionalId(id)
                        .setTransactionTimeoutMs(60_000), version, 1);
                RawKafkaClient.Response response = client.receive(ApiKeys.INIT_PRODUCER_ID.responseHeaderVersion(version));
                var data = (org.apache.kafka.common.message.InitProducerIdResponseData) AbstractResponse.parseResponse(
                        ApiKeys.INIT_PRODUCER_ID, new ByteBufferAccessor(response.body()), version).data();
                if (data.errorCode() == 0 || System.nanoTime() > deadline) {
                    assertThat(data.errorCode()).as("InitProducerId %s", id).isZero();
                    return data;
                }
            }
            Thread.sleep(50);
        }
    }

    /** AddOffsetsToTxn v3 for the producer's transaction: the group's offsets partition joins it. */
    static void addOffsets(String id, org.apache.kafka.common.message.InitProducerIdResponseData producer, String group)
            throws Exception {
        short version = 3;
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.send(new org.apache.kafka.common.message.AddOffsetsToTxnRequestData().setTransactionalId(id)
                    .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setGroupId(group),
                    version, 1);
            RawKafkaClient.Response response = client.receive(ApiKeys.ADD_OFFSETS_TO_TXN.responseHeaderVersion(version));
            var data = (org.apache.kafka.common.message.AddOffsetsToTxnResponseData) AbstractResponse.parseResponse(
                    ApiKeys.ADD_OFFSETS_TO_TXN, new ByteBufferAccessor(response.body()), version).data();
            assertThat(data.errorCode()).as("AddOffsetsToTxn %s", id).isZero();
        }
    }

    /** As in Kafka: an acks=0 produce has no response, so a failed one closes the connection after earlier responses. */
    @org.junit.jupiter.api.Test
    void aFailedAcksZeroProduceClosesTheConnectionAfterTheResponsesBeforeIt() throws Exception {
        short pv = 12;
        ProduceRequestData good = (ProduceRequestData) request(Api.PRODUCE, pv);
        good.setAcks((short) 0);
        ProduceRequestData bad = (ProduceRequestData) request(Api.PRODUCE, pv);
        bad.setAcks((short) 0);
        bad.topicData().iterator().next().setName("no-such-topic");
        short av = 3;
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            // A successful acks=0 produce gets no response and leaves the connection open.
            client.send(good, pv, 1);
            client.send(request(Api.API_VERSIONS, av), av, 2);
            assertThat(client.receive(ApiKeys.API_VERSIONS.responseHeaderVersion(av)).correlationId()).isEqualTo(2);
            // A failed one: the response pipelined before it still arrives, then the broker closes.
            client.send(request(Api.API_VERSIONS, av), av, 3);
            client.send(bad, pv, 4);
            assertThat(client.receive(ApiKeys.API_VERSIONS.responseHeaderVersion(av)).correlationId()).isEqualTo(3);
            assertThat(client.closedByBroker()).isTrue();
        }
        try (RawKafkaClient other = new RawKafkaClient(broker.port())) {
            other.send(request(Api.API_VERSIONS, av), av, 5);
            assertThat(other.receive(ApiKeys.API_VERSIONS.responseHeaderVersion(av)).correlationId()).as("other connections").isEqualTo(5);
        }
    }

    static Stream<Arguments> errorCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Api api : List.of(Api.PRODUCE, Api.DELETE_TOPICS, Api.LIST_OFFSETS, Api.CREATE_PARTITIONS)) {
            for (short v = api.minVersion(); v <= api.maxVersion(); v++) {
                cases.add(Arguments.of(api, v));
            }
        }
        return cases.stream();
    }

    /** Error responses must be encodable at old versions too, and must not close the connection. */
    @ParameterizedTest(name = "{0} v{1} on an unknown topic")
    @MethodSource("errorCases")
    void errorResponsesAreServedAtEveryVersion(Api api, short version) throws Exception {
        ApiMessage request = switch (api) {
            case PRODUCE -> {
                ProduceRequestData d = (ProduceRequestData) request(api, version);
                d.topicData().iterator().next().setName(version >= 13 ? "" : "no-such-topic")
                        .setTopicId(version >= 13 ? Uuid.randomUuid() : Uuid.ZERO_UUID);
                yield d;
            }
            case DELETE_TOPICS -> version >= 6
                    ? new DeleteTopicsRequestData().setTimeoutMs(1000).setTopics(List.of(
                            new DeleteTopicsRequestData.DeleteTopicState().setName("no-such-topic")))
                    : new DeleteTopicsRequestData().setTimeoutMs(1000).setTopicNames(List.of("no-such-topic"));
            case LIST_OFFSETS -> {
                ListOffsetsRequestData d = (ListOffsetsRequestData) request(api, version);
                d.topics().get(0).setName("no-such-topic");
                yield d;
            }
            default -> {
                CreatePartitionsRequestData d = new CreatePartitionsRequestData().setTimeoutMs(1000);
                d.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName("no-such-topic")
                        .setCount(2).setAssignments(null));
                yield d;
            }
        };
        ApiKeys key = ApiKeys.forId(api.id());
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            for (int correlationId = 1; correlationId <= 2; correlationId++) {
                client.send(request, version, correlationId);
                RawKafkaClient.Response response = client.receive(key.responseHeaderVersion(version));
                assertThat(response.correlationId()).isEqualTo(correlationId);
                AbstractResponse parsed = AbstractResponse.parseResponse(key, new ByteBufferAccessor(response.body()), version);
                assertThat(parsed.errorCounts().keySet()).containsAnyOf(
                        org.apache.kafka.common.protocol.Errors.UNKNOWN_TOPIC_OR_PARTITION,
                        org.apache.kafka.common.protocol.Errors.UNKNOWN_TOPIC_ID);
            }
        }
    }

    private static ApiMessage request(Api api, short v) throws Exception {
        String topic = "matrix";
        return switch (api) {
            case API_VERSIONS -> new ApiVersionsRequestData().setClientSoftwareName("matrix").setClientSoftwareVersion("1");
            case METADATA -> {
                MetadataRequestData d = new MetadataRequestData().setAllowAutoTopicCreation(true);
                d.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
                yield d;
            }
            case PRODUCE -> {
                ProduceRequestData d = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000);
                ProduceRequestData.TopicProduceData t = v >= 13
                        ? new ProduceRequestData.TopicProduceData().setTopicId(topicId)
                        : new ProduceRequestData.TopicProduceData().setName(topic);
                t.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(
                        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(System.currentTimeMillis(),
                                "k".getBytes(StandardCharsets.UTF_8), ("v" + v).getBytes(StandardCharsets.UTF_8)))));
                d.topicData().add(t);
                yield d;
            }
            case FETCH -> {
                FetchRequestData d = new FetchRequestData().setMaxWaitMs(10).setMinBytes(1).setMaxBytes(1 << 20);
                if (v < 15) {
                    d.setReplicaId(-1);
                }
                FetchRequestData.FetchTopic t = v >= 13 ? new FetchRequestData.FetchTopic().setTopicId(topicId)
                        : new FetchRequestData.FetchTopic().setTopic(topic);
                t.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                        .setPartitionMaxBytes(1 << 20));
                d.topics().add(t);
                yield d;
            }
            case LIST_OFFSETS -> {
                ListOffsetsRequestData d = new ListOffsetsRequestData().setReplicaId(-1);
                ListOffsetsRequestData.ListOffsetsTopic t = new ListOffsetsRequestData.ListOffsetsTopic().setName(topic);
                t.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-2));
                d.topics().add(t);
                yield d;
            }
            case CREATE_TOPICS -> {
                CreateTopicsRequestData d = new CreateTopicsRequestData().setTimeoutMs(10_000);
                d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("created-v" + v).setNumPartitions(1)
                        .setReplicationFactor((short) 1));
                yield d;
            }
            case DELETE_TOPICS -> {
                String name = "deleted-v" + v;
                try {
                    Clients.createTopic(broker, name, 1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                DeleteTopicsRequestData d = new DeleteTopicsRequestData().setTimeoutMs(10_000);
                if (v >= 6) {
                    d.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setName(name));
                } else {
                    d.setTopicNames(List.of(name));
                }
                yield d;
            }
            case DELETE_RECORDS -> {
                DeleteRecordsRequestData d = new DeleteRecordsRequestData().setTimeoutMs(10_000);
                DeleteRecordsRequestData.DeleteRecordsTopic t = new DeleteRecordsRequestData.DeleteRecordsTopic().setName(topic);
                t.partitions().add(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(0));
                d.topics().add(t);
                yield d;
            }
            case INIT_PRODUCER_ID -> new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000);
            case DESCRIBE_CONFIGS -> {
                DescribeConfigsRequestData d = new DescribeConfigsRequestData();
                d.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 2)
                        .setResourceName(topic).setConfigurationKeys(null));
                yield d;
            }
            case ALTER_CONFIGS -> {
                AlterConfigsRequestData d = new AlterConfigsRequestData();
                AlterConfigsRequestData.AlterConfigsResource r = new AlterConfigsRequestData.AlterConfigsResource()
                        .setResourceType((byte) 2).setResourceName(topic);
                r.configs().add(new AlterConfigsRequestData.AlterableConfig().setName("retention.ms").setValue("86400000"));
                d.resources().add(r);
                yield d;
            }
            case INCREMENTAL_ALTER_CONFIGS -> {
                IncrementalAlterConfigsRequestData d = new IncrementalAlterConfigsRequestData();
                IncrementalAlterConfigsRequestData.AlterConfigsResource r = new IncrementalAlterConfigsRequestData.AlterConfigsResource()
                        .setResourceType((byte) 2).setResourceName(topic);
                r.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms")
                        .setConfigOperation((byte) 0).setValue("86400000"));
                d.resources().add(r);
                yield d;
            }
            case CREATE_PARTITIONS -> {
                String name = "grow-v" + v;
                try {
                    Clients.createTopic(broker, name, 1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                CreatePartitionsRequestData d = new CreatePartitionsRequestData().setTimeoutMs(10_000);
                d.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName(name).setCount(2)
                        .setAssignments(null));
                yield d;
            }
            case DESCRIBE_CLUSTER -> new DescribeClusterRequestData();
            case ELECT_LEADERS -> new org.apache.kafka.common.message.ElectLeadersRequestData().setTopicPartitions(null);
            case OFFSET_FOR_LEADER_EPOCH -> {
                org.apache.kafka.common.message.OffsetForLeaderEpochRequestData d =
                        new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData().setReplicaId(-1);
                org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic t =
                        new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(topic);
                t.partitions().add(new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition()
                        .setPartition(0).setCurrentLeaderEpoch(v >= 2 ? 0 : -1).setLeaderEpoch(0));
                d.topics().add(t);
                yield d;
            }
            case DESCRIBE_LOG_DIRS -> {
                org.apache.kafka.common.message.DescribeLogDirsRequestData d = new org.apache.kafka.common.message.DescribeLogDirsRequestData();
                d.topics().add(new org.apache.kafka.common.message.DescribeLogDirsRequestData.DescribableLogDirTopic()
                        .setTopic("matrix").setPartitions(List.of(0)));
                yield d;
            }
            case DESCRIBE_PRODUCERS -> {
                org.apache.kafka.common.message.DescribeProducersRequestData d =
                        new org.apache.kafka.common.message.DescribeProducersRequestData();
                d.topics().add(new org.apache.kafka.common.message.DescribeProducersRequestData.TopicRequest()
                        .setName(topic).setPartitionIndexes(List.of(0)));
                yield d;
            }
            case FIND_COORDINATOR -> v >= 4 ? new FindCoordinatorRequestData().setCoordinatorKeys(List.of("matrix-group"))
                    : new FindCoordinatorRequestData().setKey("matrix-group");
            case LIST_GROUPS -> new ListGroupsRequestData();
            case OFFSET_COMMIT -> {
                // A standalone commit (no generation), as admin tools send.
                OffsetCommitRequestData d = new OffsetCommitRequestData().setGroupId("matrix-group").setGenerationIdOrMemberEpoch(-1)
                        .setMemberId("");
                OffsetCommitRequestData.OffsetCommitRequestTopic t = new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic)
                        .setTopicId(v >= 10 ? topicId : Uuid.ZERO_UUID);
                t.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                        .setCommittedOffset(0).setCommittedMetadata("m"));
                d.topics().add(t);
                yield d;
            }
            case OFFSET_FETCH -> {
                OffsetFetchRequestData d = new OffsetFetchRequestData();
                if (v >= 8) {
                    d.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("matrix-group").setTopics(null));
                } else {
                    d.setGroupId("matrix-group").setTopics(v >= 2 ? null : List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic()
                            .setName(topic).setPartitionIndexes(List.of(0))));
                }
                yield d;
            }
            case DESCRIBE_TRANSACTIONS -> new org.apache.kafka.common.message.DescribeTransactionsRequestData();
            case LIST_TRANSACTIONS -> new org.apache.kafka.common.message.ListTransactionsRequestData();
            case WRITE_TXN_MARKERS -> {
                // An ABORT of a producer without a transaction here: accepted, it ends an empty one (one offset).
                org.apache.kafka.common.message.WriteTxnMarkersRequestData d =
                        new org.apache.kafka.common.message.WriteTxnMarkersRequestData();
                d.markers().add(new org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker()
                        .setProducerId(900_000 + v).setProducerEpoch((short) 0).setTransactionResult(false)
                        .setCoordinatorEpoch(0).setTopics(List.of(
                                new org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic()
                                        .setName(topic).setPartitionIndexes(List.of(0)))));
                yield d;
            }
            case TXN_OFFSET_COMMIT -> {
                // A producer's offsets outside the group's membership; pending until a marker (none comes here).
                org.apache.kafka.common.message.TxnOffsetCommitRequestData d =
                        new org.apache.kafka.common.message.TxnOffsetCommitRequestData().setTransactionalId("matrix-tx")
                                .setGroupId("matrix-txn-group").setProducerId(800_000 + v).setProducerEpoch((short) 0);
                // The producer must be one the transaction coordinator knows: from v5 (transaction version 2) the
                // group's coordinator adds its partition to the producer's transaction; before, it checks that
                // AddOffsetsToTxn added it (partition verification).
                org.apache.kafka.common.message.InitProducerIdResponseData producer = initProducer("matrix-tx-v" + v);
                d.setTransactionalId("matrix-tx-v" + v).setProducerId(producer.producerId())
                        .setProducerEpoch(producer.producerEpoch());
                if (v < 5) {
                    addOffsets("matrix-tx-v" + v, producer, "matrix-txn-group");
                }
                d.topics().add(new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic()
                        .setName(topic).setPartitions(List.of(
                                new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                                        .setPartitionIndex(0).setCommittedOffset(0).setCommittedMetadata("m"))));
                yield d;
            }
            default -> throw new IllegalArgumentException("no matrix request for " + api);
        };
    }
}
