package io.chronik.cluster;

import io.chronik.testing.ChildBroker;
import io.chronik.testing.RawKafkaClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Topic administration through the metadata quorum, with three brokers as three processes (one cluster for the
 * whole class): whichever broker receives a change, every broker's Metadata shows the same result and every replica
 * has its partition directories; a killed broker's replicas go offline and out of the ISR after its session timeout.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterTopicAdminTest {
    private static Path dir;
    private static final Map<Integer, ChildBroker> brokers = new TreeMap<>();
    private static final List<AutoCloseable> clients = new ArrayList<>();
    private static final Set<Integer> alive = new java.util.TreeSet<>(Set.of(1, 2, 3));

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createTempDirectory("cluster-topic-admin");
        String voters = "1@127.0.0.1:" + freePort() + ",2@127.0.0.1:" + freePort() + ",3@127.0.0.1:" + freePort();
        for (int id = 1; id <= 3; id++) {
            brokers.put(id, ChildBroker.start(dir.resolve("data-" + id), List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                    "--chronik.node-id=" + id, "--chronik.cluster.voters=" + voters, "--server.address=127.0.0.1",
                    "--chronik.cluster.session-timeout=3s", "--chronik.cluster.heartbeat-interval=500ms"));
        }
        for (int id = 1; id <= 3; id++) {
            int broker = id;
            await("broker " + id + " sees three live brokers", 120, () -> metadata(broker, List.of()),
                    m -> m.brokers().size() == 3 && m.controllerId() > 0);
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        Files.createDirectories(Path.of("target", "cluster-topic-admin-test"));
        for (Map.Entry<Integer, ChildBroker> e : brokers.entrySet()) {
            e.getValue().close(); // only the processes this test started
            Files.writeString(Path.of("target", "cluster-topic-admin-test", "broker-" + e.getKey() + ".log"), e.getValue().output());
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Admin admin(int id) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", brokers.get(id).bootstrapServers());
        props.put("request.timeout.ms", "20000");
        props.put("default.api.timeout.ms", "30000");
        Admin admin = Admin.create(props);
        clients.add(admin);
        return admin;
    }

    /** Metadata asked of broker {@code id} itself (v12; all topics when {@code topics} is empty). */
    private static MetadataResponseData metadata(int id, List<String> topics) throws Exception {
        MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(false)
                .setTopics(topics.isEmpty() ? null : topics.stream().map(t -> new MetadataRequestData.MetadataRequestTopic().setName(t)).toList());
        short v = 12;
        try (RawKafkaClient client = new RawKafkaClient(brokers.get(id).port())) {
            client.send(request, v, 1);
            var raw = client.receive(ApiKeys.METADATA.responseHeaderVersion(v));
            return new MetadataResponseData(new ByteBufferAccessor(raw.body()), v);
        }
    }

    /** The topic's configs as broker {@code id} itself describes them. */
    private static Map<String, String> describeConfigs(int id, String topic) throws Exception {
        DescribeConfigsRequestData request = new DescribeConfigsRequestData().setResources(List.of(
                new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(ConfigResource.Type.TOPIC.id())
                        .setResourceName(topic).setConfigurationKeys(null)));
        short v = 4;
        try (RawKafkaClient client = new RawKafkaClient(brokers.get(id).port())) {
            client.send(request, v, 2);
            var raw = client.receive(ApiKeys.DESCRIBE_CONFIGS.responseHeaderVersion(v));
            DescribeConfigsResponseData response = new DescribeConfigsResponseData(new ByteBufferAccessor(raw.body()), v);
            Map<String, String> configs = new HashMap<>();
            var result = response.results().get(0);
            if (result.errorCode() != 0) {
                throw new IllegalStateException("error " + result.errorCode() + ": " + result.errorMessage());
            }
            result.configs().forEach(c -> configs.put(c.name(), c.value()));
            return configs;
        }
    }

    private record PartitionView(int leader, List<Integer> replicas, List<Integer> isr, List<Integer> offline, short error) {
    }

    /** The topic's partitions as broker {@code id} reports them; empty while it does not know the topic. */
    private static List<PartitionView> partitions(int id, String topic) throws Exception {
        MetadataResponseTopic t = metadata(id, List.of(topic)).topics().iterator().next();
        if (t.errorCode() != 0) {
            return List.of();
        }
        List<PartitionView> views = new ArrayList<>();
        t.partitions().stream().sorted(java.util.Comparator.comparingInt(MetadataResponsePartition::partitionIndex)).forEach(p ->
                views.add(new PartitionView(p.leaderId(), p.replicaNodes(), p.isrNodes(), p.offlineReplicas(), p.errorCode())));
        return views;
    }

    /** Waits until every live broker reports the same partitions for {@code topic}, satisfying {@code done}. */
    private static List<PartitionView> agreed(String topic, Predicate<List<PartitionView>> done) throws Exception {
        return await("every broker agreeing on " + topic, 60, () -> {
            List<PartitionView> first = null;
            for (int id : alive) {
                List<PartitionView> seen = partitions(id, topic);
                if (first == null) {
                    first = seen;
                } else if (!first.equals(seen)) {
                    return null;
                }
            }
            return first;
        }, v -> v != null && done.test(v));
    }

    private static boolean hasDir(int broker, String topic, int partition) {
        return Files.isDirectory(dir.resolve("data-" + broker).resolve(topic + "-" + partition));
    }

    private static <T> T await(String what, int seconds, Check<T> read, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                T value = read.get();
                if (value != null && done.test(value)) {
                    return value;
                }
                last = value;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        return fail("timed out after " + seconds + " s waiting for " + what + "; last seen: " + last);
    }

    private interface Check<T> {
        T get() throws Exception;
    }

    @Test
    @Order(1)
    void topicsCreatedOnOneBrokerAreReplicatedEverywhereWithLeadersSpread() throws Exception {
        Admin admin = admin(2);
        CreateTopicsResult created = admin.createTopics(List.of(new NewTopic("rf3", 6, (short) 3),
                new NewTopic("rf-default", Optional.of(3), Optional.empty())));
        created.all().get(30, TimeUnit.SECONDS);
        assertThat(created.replicationFactor("rf3").get()).isEqualTo(3);
        assertThat(created.replicationFactor("rf-default").get()).isEqualTo(3);
        assertThat(created.numPartitions("rf3").get()).isEqualTo(6);
        assertThat(created.topicId("rf3").get()).isNotNull();

        List<PartitionView> rf3 = agreed("rf3", v -> v.size() == 6);
        Map<Integer, Integer> leaders = new HashMap<>();
        for (PartitionView p : rf3) {
            assertThat(p.replicas()).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(p.isr()).containsExactlyInAnyOrderElementsOf(p.replicas());
            assertThat(p.leader()).isEqualTo(p.replicas().get(0));
            assertThat(p.offline()).isEmpty();
            leaders.merge(p.leader(), 1, Integer::sum);
        }
        assertThat(leaders).as("leaders spread over the brokers").containsOnlyKeys(1, 2, 3).allSatisfy((b, n) -> assertThat(n).isEqualTo(2));
        assertThat(agreed("rf-default", v -> v.size() == 3)).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));

        Uuid3 ids = new Uuid3(metadata(1, List.of("rf3")).topics().iterator().next().topicId(), metadata(3, List.of("rf3")).topics().iterator().next().topicId());
        assertThat(ids.a()).isEqualTo(ids.b()).isEqualTo(created.topicId("rf3").get());
        await("partition directories on every broker", 30, () -> {
            for (int b = 1; b <= 3; b++) {
                for (int p = 0; p < 6; p++) {
                    if (!hasDir(b, "rf3", p)) {
                        return false;
                    }
                }
            }
            return true;
        }, ok -> ok);
    }

    private record Uuid3(org.apache.kafka.common.Uuid a, org.apache.kafka.common.Uuid b) {
    }

    @Test
    @Order(2)
    void aReplicationFactorAboveTheBrokerCountIsRefused() throws Exception {
        Admin admin = admin(1);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("rf4", 1, (short) 4))).all().get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidReplicationFactorException.class)
                .hasMessageContaining("The target replication factor of 4 cannot be reached because only 3 broker(s) are registered");
        assertThat(metadata(1, List.of("rf4")).topics().iterator().next().errorCode()).isEqualTo((short) 3); // UNKNOWN_TOPIC_OR_PARTITION
    }

    @Test
    @Order(3)
    void aTopicDeletedOnOneBrokerLeavesEveryBroker() throws Exception {
        admin(1).createTopics(List.of(new NewTopic("doomed", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
        agreed("doomed", v -> v.size() == 2);
        await("doomed's directories everywhere", 30, () -> hasDir(1, "doomed", 1) && hasDir(2, "doomed", 1) && hasDir(3, "doomed", 1), ok -> ok);

        admin(3).deleteTopics(List.of("doomed")).all().get(30, TimeUnit.SECONDS);
        agreed("doomed", List::isEmpty);
        await("doomed's directories gone everywhere", 30, () -> {
            for (int b = 1; b <= 3; b++) {
                if (hasDir(b, "doomed", 0) || hasDir(b, "doomed", 1)) {
                    return false;
                }
            }
            return true;
        }, ok -> ok);
    }

    @Test
    @Order(4)
    void partitionsAddedOnOneBrokerArePlacedAndCreatedOnTheirReplicas() throws Exception {
        Admin admin = admin(3);
        admin.createTopics(List.of(new NewTopic("grow", 2, (short) 2))).all().get(30, TimeUnit.SECONDS);
        agreed("grow", v -> v.size() == 2);
        admin.createPartitions(Map.of("grow", NewPartitions.increaseTo(5))).all().get(30, TimeUnit.SECONDS);
        List<PartitionView> grown = agreed("grow", v -> v.size() == 5);
        for (PartitionView p : grown) {
            assertThat(p.replicas()).hasSize(2).doesNotHaveDuplicates();
            assertThat(p.leader()).isEqualTo(p.replicas().get(0));
        }
        await("every new partition's directory on its replicas", 30, () -> {
            for (int p = 0; p < 5; p++) {
                for (int b : grown.get(p).replicas()) {
                    if (!hasDir(b, "grow", p)) {
                        return false;
                    }
                }
            }
            return true;
        }, ok -> ok);
    }

    @Test
    @Order(5)
    void configChangesOnOneBrokerAreDescribedByEveryBroker() throws Exception {
        Admin admin = admin(1);
        admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                .all().get(30, TimeUnit.SECONDS);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "configured");
        // Asked at once, every broker describes the new topic: one that has not applied it yet catches up with the
        // metadata quorum before answering.
        for (int b = 1; b <= 3; b++) {
            assertThat(describeConfigs(b, "configured")).containsEntry("cleanup.policy", "compact");
        }
        // Created through one broker and changed at once through another.
        admin.createTopics(List.of(new NewTopic("configured-elsewhere", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        ConfigResource elsewhere = new ConfigResource(ConfigResource.Type.TOPIC, "configured-elsewhere");
        admin(3).incrementalAlterConfigs(Map.of(elsewhere, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "654321"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        await("broker 2 describing the change made through broker 3", 30, () -> describeConfigs(2, "configured-elsewhere"),
                c -> "654321".equals(c.get("retention.ms")));
        admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "123456"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        for (int b = 1; b <= 3; b++) {
            int broker = b;
            await("broker " + b + " describing the new retention.ms", 30, () -> describeConfigs(broker, "configured"),
                    c -> "123456".equals(c.get("retention.ms")) && "compact".equals(c.get("cleanup.policy")));
        }
        assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS))
                .cause().isInstanceOf(org.apache.kafka.common.errors.InvalidConfigurationException.class);
    }

    @Test
    @Order(6)
    void aProducerAutoCreatesItsTopicThroughTheQuorum() throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", brokers.get(2).bootstrapServers());
        props.put("acks", "1");
        props.put("max.block.ms", "30000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            RecordMetadata sent = producer.send(new ProducerRecord<>("auto-created", "k", "v")).get(30, TimeUnit.SECONDS);
            assertThat(sent.offset()).isZero();
        }
        assertThat(agreed("auto-created", v -> v.size() == 1)).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
    }

    @Test
    @Order(7)
    void aKilledBrokersReplicasGoOfflineAndLoseTheirLeadership() throws Exception {
        int victim = 3;
        brokers.get(victim).kill();
        alive.remove(victim);
        List<PartitionView> after = agreed("rf3", v -> v.size() == 6 && v.stream().allMatch(p -> p.offline().contains(victim)));
        for (PartitionView p : after) {
            assertThat(p.offline()).containsExactly(victim);
            assertThat(p.isr()).doesNotContain(victim).isNotEmpty();
            assertThat(p.leader()).isNotEqualTo(victim).isIn(1, 2);
            assertThat(p.error()).isZero();
        }
        assertThat(metadata(1, List.of()).brokers()).extracting(MetadataResponseData.MetadataResponseBroker::nodeId)
                .containsExactlyInAnyOrder(1, 2);
    }
}
