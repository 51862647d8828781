package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Topic administration through the real AdminClient. */
class AdminTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dataDir);
        admin = Clients.admin(broker);
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    @Test
    void createDescribeListAndDeleteTopics() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-a", 4, (short) 1),
                new NewTopic("admin-b", 1, (short) 1).configs(Map.of("retention.ms", "3600000")))).all().get(30, TimeUnit.SECONDS);
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("admin-a", "admin-b");
        TopicDescription a = admin.describeTopics(List.of("admin-a")).allTopicNames().get(30, TimeUnit.SECONDS).get("admin-a");
        assertThat(a.partitions()).hasSize(4);
        assertThat(a.topicId()).isNotNull();
        assertThat(a.partitions().get(0).leader().id()).isZero();

        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("admin-a", 1, (short) 1))).all().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(TopicExistsException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("admin-rf", 1, (short) 3))).all().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(InvalidReplicationFactorException.class);

        admin.deleteTopics(List.of("admin-a")).all().get(30, TimeUnit.SECONDS);
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("admin-a").contains("admin-b");
        assertThatThrownBy(() -> admin.deleteTopics(List.of("admin-a")).all().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void validateOnlyCreatesNothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-dry", 2, (short) 1)), new CreateTopicsOptions().validateOnly(true))
                .all().get(30, TimeUnit.SECONDS);
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("admin-dry");
    }

    @Test
    void invalidTopicConfigIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("admin-badcfg", 1, (short) 1)
                .configs(Map.of("retention.ms", "soon")))).all().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("retention.ms");
    }

    @Test
    void describeAndAlterTopicConfigs() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-cfg", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "admin-cfg");
        Config before = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(before.get("cleanup.policy").value()).isEqualTo("delete");
        assertThat(before.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

        admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "123456"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET))))
                .all().get(30, TimeUnit.SECONDS);
        Config after = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(after.get("retention.ms").value()).isEqualTo("123456");
        assertThat(after.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(after.get("max.message.bytes").value()).isEqualTo("2000000");

        admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE))))
                .all().get(30, TimeUnit.SECONDS);
        Config reset = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(reset.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        assertThat(reset.get("max.message.bytes").value()).isEqualTo("2000000");

        // Kafka 4 clients no longer send AlterConfigs, older clients and tools do: speak it on a raw socket.
        try (io.chronik.testing.RawKafkaClient raw = new io.chronik.testing.RawKafkaClient(broker.port())) {
            var request = new org.apache.kafka.common.message.AlterConfigsRequestData();
            var res = new org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource()
                    .setResourceType((byte) 2).setResourceName("admin-cfg");
            res.configs().add(new org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig()
                    .setName("segment.ms").setValue("600000"));
            request.resources().add(res);
            raw.send(request, (short) 1, 5);
            var reply = raw.receive((short) 0);
            var data = new org.apache.kafka.common.message.AlterConfigsResponseData(
                    new org.apache.kafka.common.protocol.ByteBufferAccessor(reply.body()), (short) 1);
            assertThat(data.responses().get(0).errorCode()).isZero();
        }
        Config replaced = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(replaced.get("segment.ms").value()).isEqualTo("600000");
        assertThat(replaced.get("max.message.bytes").source())
                .as("AlterConfigs replaces the whole override set").isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

        ExecutionException bad = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
                admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                        new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS));
        assertThat(bad.getCause()).isInstanceOf(InvalidConfigurationException.class);
    }

    @Test
    void throttleRatesNeedAClusterWhileThrottledReplicaListsAreTopicConfigs() throws Exception {
        ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, "0");
        ConfigResource topicResource = new ConfigResource(ConfigResource.Type.TOPIC, "throttled");
        admin.createTopics(List.of(new NewTopic("throttled", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
                admin.incrementalAlterConfigs(Map.of(brokerResource, List.of(new AlterConfigOp(new ConfigEntry(
                        "leader.replication.throttled.rate", "1000000"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS));
        assertThat(refused.getCause()).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("leader.replication.throttled.rate");
        // kafka-reassign-partitions --verify clears throttles it may have set: nothing to clear, nothing refused.
        admin.incrementalAlterConfigs(Map.of(brokerResource, List.of(
                new AlterConfigOp(new ConfigEntry("leader.replication.throttled.rate", null), AlterConfigOp.OpType.DELETE),
                new AlterConfigOp(new ConfigEntry("replica.alter.log.dirs.io.max.bytes.per.second", null), AlterConfigOp.OpType.DELETE))))
                .all().get(30, TimeUnit.SECONDS);

        admin.incrementalAlterConfigs(Map.of(topicResource, List.of(new AlterConfigOp(new ConfigEntry(
                "follower.replication.throttled.replicas", "0:0"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        Config topic = admin.describeConfigs(List.of(topicResource)).all().get(30, TimeUnit.SECONDS).get(topicResource);
        assertThat(topic.get("follower.replication.throttled.replicas").value()).isEqualTo("0:0");
        assertThat(topic.get("leader.replication.throttled.replicas").value()).isEmpty();
        ExecutionException malformed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
                admin.incrementalAlterConfigs(Map.of(topicResource, List.of(new AlterConfigOp(new ConfigEntry(
                        "leader.replication.throttled.replicas", "0"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS));
        assertThat(malformed.getCause()).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("leader.replication.throttled.replicas");
    }

    @Test
    void describeBrokerConfigsAndCluster() throws Exception {
        ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, "0");
        Config config = admin.describeConfigs(List.of(brokerResource)).all().get(30, TimeUnit.SECONDS).get(brokerResource);
        assertThat(config.get("num.partitions").value()).isEqualTo("1");
        DescribeClusterResult cluster = admin.describeCluster();
        assertThat(cluster.nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
        assertThat(cluster.controller().get(30, TimeUnit.SECONDS).id()).isZero();
        assertThat(cluster.clusterId().get(30, TimeUnit.SECONDS)).isEqualTo("chronik-cluster");
    }

    @Test
    void describeLogDirsReportsTheDataDirectoryAndPartitionSizes() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-sizes", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>("admin-sizes", 1, "k", "v".repeat(100)));
            }
            producer.flush();
        }
        Map<String, org.apache.kafka.clients.admin.LogDirDescription> dirs = admin.describeLogDirs(List.of(0)).allDescriptions()
                .get(30, TimeUnit.SECONDS).get(0);
        assertThat(dirs).containsOnlyKeys(dataDir.toAbsolutePath().toString());
        org.apache.kafka.clients.admin.LogDirDescription dir = dirs.values().iterator().next();
        assertThat(dir.error()).isNull();
        assertThat(dir.totalBytes().orElseThrow()).isPositive();
        assertThat(dir.usableBytes().orElseThrow()).isPositive();
        var empty = dir.replicaInfos().get(new TopicPartition("admin-sizes", 0));
        var written = dir.replicaInfos().get(new TopicPartition("admin-sizes", 1));
        assertThat(empty.size()).isZero();
        long onDisk = broker.bean(io.chronik.log.LogManager.class).log("admin-sizes", 1).orElseThrow().sizeInBytes();
        assertThat(written.size()).isEqualTo(onDisk).isGreaterThan(50 * 100);
        assertThat(written.offsetLag()).isZero();
        assertThat(written.isFuture()).isFalse();

        var only = admin.describeReplicaLogDirs(List.of(new org.apache.kafka.common.TopicPartitionReplica("admin-sizes", 1, 0)))
                .all().get(30, TimeUnit.SECONDS).values().iterator().next();
        assertThat(only.getCurrentReplicaLogDir()).isEqualTo(dataDir.toAbsolutePath().toString());
    }

    @Test
    void createPartitionsGrowsATopicThatThenAcceptsRecords() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-grow", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(3))).all().get(30, TimeUnit.SECONDS);
        TopicDescription grown = admin.describeTopics(List.of("admin-grow")).allTopicNames().get(30, TimeUnit.SECONDS).get("admin-grow");
        assertThat(grown.partitions()).hasSize(3);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("admin-grow", 2, "k", "v")).get(30, TimeUnit.SECONDS).partition()).isEqualTo(2);
        }
        assertThatThrownBy(() -> admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidPartitionsException.class);
    }

    @Test
    void deleteRecordsMovesTheLogStartOffset() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-trim", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("linger.ms", "0", "batch.size", "1"))) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("admin-trim", 0, "k", "v" + i)).get(30, TimeUnit.SECONDS);
            }
        }
        TopicPartition tp = new TopicPartition("admin-trim", 0);
        long lowWatermark = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(10))).lowWatermarks().get(tp)
                .get(30, TimeUnit.SECONDS).lowWatermark();
        assertThat(lowWatermark).isEqualTo(10);
        Map<TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo> earliest = admin.listOffsets(
                Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.earliest())).all().get(30, TimeUnit.SECONDS);
        assertThat(earliest.get(tp).offset()).isEqualTo(10);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, List.of(tp), 10, Duration.ofSeconds(30));
            assertThat(records).hasSize(10);
            assertThat(records.get(0).offset()).isEqualTo(10);
            assertThat(records.get(0).value()).isEqualTo("v10");
        }
        assertThatThrownBy(() -> admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(1000))).all()
                .get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class);
    }

    /** Alone, as a single Kafka broker: every partition is led by its only replica, so no election is needed. */
    @Test
    void electLeadersAloneNeedsNoElection() throws Exception {
        admin.createTopics(List.of(new NewTopic("admin-elect", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        for (org.apache.kafka.common.ElectionType type : org.apache.kafka.common.ElectionType.values()) {
            assertThat(admin.electLeaders(type, null).partitions().get(30, TimeUnit.SECONDS)).isEmpty();
            var tp = new org.apache.kafka.common.TopicPartition("admin-elect", 1);
            assertThat(admin.electLeaders(type, java.util.Set.of(tp)).partitions().get(30, TimeUnit.SECONDS).get(tp))
                    .containsInstanceOf(org.apache.kafka.common.errors.ElectionNotNeededException.class);
            var unknown = new org.apache.kafka.common.TopicPartition("admin-elect", 2);
            assertThat(admin.electLeaders(type, java.util.Set.of(unknown)).partitions().get(30, TimeUnit.SECONDS).get(unknown))
                    .containsInstanceOf(UnknownTopicOrPartitionException.class);
        }
    }
}
