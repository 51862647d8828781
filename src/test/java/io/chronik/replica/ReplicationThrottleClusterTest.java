package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Replication throttles as Kafka's tools set them: {@code kafka-reassign-partitions --execute --throttle} moving a
 * partition of a few MB onto another broker takes at least its size over the rate (the new replica is held back on
 * the leader and on itself), the settings are visible in DescribeConfigs as dynamic broker and topic configs while
 * it runs, {@code --verify} removes them, and nothing acknowledged is lost. Malformed values are refused naming the key.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicationThrottleClusterTest {
    static final String TOPIC = "throttled";
    static final long RATE = 500_000;
    static final String LEADER_RATE = "leader.replication.throttled.rate";
    static final String FOLLOWER_RATE = "follower.replication.throttled.rate";
    static final String LEADER_REPLICAS = "leader.replication.throttled.replicas";
    static final String FOLLOWER_REPLICAS = "follower.replication.throttled.replicas";

    @TempDir
    Path dir;

    private record Cli(int exitCode, String output) {
    }

    @Test
    void aThrottledReassignmentTakesAtLeastItsSizeOverTheRateAndVerifyClearsTheThrottles() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "throttle", 3, "--chronik.cluster.auto-leader-rebalance-enable=false")) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(1, 2))))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, TOPIC, 2, 60);

            // About 3 MB, acknowledged by both replicas.
            Map<String, RecordMetadata> acked = new HashMap<>();
            try (KafkaProducer<String, String> producer = ClusterClients.producer(cluster.bootstrap(), "all", Map.of())) {
                List<Future<RecordMetadata>> sends = new ArrayList<>();
                List<String> values = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    String value = i + "-" + "x".repeat(10_000);
                    values.add(value);
                    sends.add(producer.send(new ProducerRecord<>(TOPIC, 0, null, value)));
                }
                for (int i = 0; i < sends.size(); i++) {
                    acked.put(values.get(i), sends.get(i).get(60, TimeUnit.SECONDS));
                }
            }
            long size = admin.describeLogDirs(List.of(1)).allDescriptions().get(30, TimeUnit.SECONDS).get(1).values().stream()
                    .mapToLong(d -> d.replicaInfos().get(new TopicPartition(TOPIC, 0)).size()).sum();
            assertThat(size).isGreaterThan(3_000_000);

            ProducerStream stream = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all", Map.of()), TOPIC, "t",
                    200_000, 50);
            long elapsedNanos;
            try {
                stream.awaitAcked(20, 30);
                Path plan = dir.resolve("plan.json");
                Files.writeString(plan, "{\"version\":1,\"partitions\":[{\"topic\":\"" + TOPIC + "\",\"partition\":0,\"replicas\":[1,3]}]}");
                long start = System.nanoTime();
                Cli execute = cli(cluster, "--execute", "--reassignment-json-file", plan.toString(), "--throttle", Long.toString(RATE));
                assertThat(execute.exitCode()).as(execute.output()).isZero();
                assertThat(execute.output()).contains("Successfully started partition reassignment",
                        "The inter-broker throttle limit was set to " + RATE + " B/s");

                // While it runs: the rates per broker, the replica lists on the topic.
                Config leader = brokerConfig(admin, 1);
                assertThat(leader.get(LEADER_RATE).value()).isEqualTo(Long.toString(RATE));
                assertThat(leader.get(LEADER_RATE).source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG);
                assertThat(brokerConfig(admin, 3).get(FOLLOWER_RATE).value()).isEqualTo(Long.toString(RATE));
                Config topic = topicConfig(admin);
                assertThat(topic.get(LEADER_REPLICAS).value().split(",")).containsExactlyInAnyOrder("0:1", "0:2");
                assertThat(topic.get(FOLLOWER_REPLICAS).value()).isEqualTo("0:3");
                assertThat(topic.get(FOLLOWER_REPLICAS).source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);

                TestCluster.await("the move completed", 120, () -> replicas(TestCluster.describe(admin, TOPIC)),
                        r -> r.equals(List.of(1, 3)));
                elapsedNanos = System.nanoTime() - start;

                Cli verified = cli(cluster, "--verify", "--reassignment-json-file", plan.toString());
                assertThat(verified.exitCode()).as(verified.output()).isZero();
                assertThat(verified.output()).contains("Reassignment of partition " + TOPIC + "-0 is completed",
                        "Clearing broker-level throttles", "Clearing topic-level throttles");
                stream.awaitAcked(stream.acked().size() + 50, 30);
            } finally {
                stream.stop(30);
            }
            // Generously below size / rate: each side may burst one second's worth and one fetch.
            double seconds = elapsedNanos / 1e9;
            assertThat(seconds).as("moving %d bytes at %d B/s", size, RATE).isGreaterThanOrEqualTo(0.5 * size / RATE);

            for (int id = 1; id <= 3; id++) {
                int broker = id;
                TestCluster.await("broker " + broker + "'s throttle rates gone", 10, () -> brokerConfig(admin, broker),
                        c -> c.get(LEADER_RATE) == null && c.get(FOLLOWER_RATE) == null);
            }
            Config cleared = topicConfig(admin);
            assertThat(cleared.get(LEADER_REPLICAS).value()).isEmpty();
            assertThat(cleared.get(FOLLOWER_REPLICAS).source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

            assertThat(stream.failures()).isEmpty();
            acked.putAll(stream.acked());
            ClusterClients.assertAcknowledgedAtTheirOffsets(acked, ClusterClients.readToEnd(cluster.bootstrap(), TOPIC, 1, 60));
        }
    }

    @Test
    void ratesAreDynamicPerBrokerOrClusterWideAndMalformedValuesAreRefusedNamingTheKey() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "throttle-configs", 2)) {
            Admin admin = cluster.admin();
            ConfigResource clusterDefault = new ConfigResource(ConfigResource.Type.BROKER, "");
            admin.incrementalAlterConfigs(Map.of(clusterDefault, List.of(set(LEADER_RATE, "2000000"), set(FOLLOWER_RATE, "3000000"))))
                    .all().get(30, TimeUnit.SECONDS);
            // Legacy AlterConfigs (older clients and tools; Kafka 4 clients no longer send it) replaces broker 2's set.
            ConfigResource two = new ConfigResource(ConfigResource.Type.BROKER, "2");
            assertThat(legacyAlter(cluster.broker(2).port(), "2", FOLLOWER_RATE, "5")).isZero();
            TestCluster.await("broker 2's own follower rate", 10, () -> brokerConfig(admin, 2).get(FOLLOWER_RATE).value(), "5"::equals);
            assertThat(legacyAlter(cluster.broker(2).port(), "2", LEADER_RATE, "1000")).isZero();

            Config defaults = TestCluster.await("the defaults described", 10,
                    () -> admin.describeConfigs(List.of(clusterDefault)).all().get(10, TimeUnit.SECONDS).get(clusterDefault),
                    c -> c.get(FOLLOWER_RATE) != null);
            assertThat(defaults.get(LEADER_RATE).value()).isEqualTo("2000000");
            assertThat(defaults.get(LEADER_RATE).source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
            Config broker2 = TestCluster.await("broker 2's own rate", 10, () -> brokerConfig(admin, 2),
                    c -> c.get(LEADER_RATE) != null && c.get(LEADER_RATE).value().equals("1000"));
            assertThat(broker2.get(LEADER_RATE).source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG);
            assertThat(broker2.get(FOLLOWER_RATE).value()).isEqualTo("3000000");
            assertThat(broker2.get(FOLLOWER_RATE).source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
            assertThat(brokerConfig(admin, 1).get(LEADER_RATE).value()).isEqualTo("2000000");

            // DELETE falls back to the default; deleting the default leaves nothing.
            admin.incrementalAlterConfigs(Map.of(two, List.of(delete(LEADER_RATE)))).all().get(30, TimeUnit.SECONDS);
            TestCluster.await("broker 2 back on the default", 10, () -> brokerConfig(admin, 2).get(LEADER_RATE).value(),
                    "2000000"::equals);
            admin.incrementalAlterConfigs(Map.of(clusterDefault, List.of(delete(LEADER_RATE), delete(FOLLOWER_RATE))))
                    .all().get(30, TimeUnit.SECONDS);
            TestCluster.await("no rate left", 10, () -> brokerConfig(admin, 2),
                    c -> c.get(LEADER_RATE) == null && c.get(FOLLOWER_RATE) == null);

            assertThat(refusal(admin, clusterDefault, set(LEADER_RATE, "fast"))).isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining(LEADER_RATE);
            assertThat(refusal(admin, two, set(FOLLOWER_RATE, "-1"))).isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining(FOLLOWER_RATE);
            assertThat(refusal(admin, two, set("log.retention.ms", "1000"))).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("log.retention.ms");
            admin.createTopics(List.of(new NewTopic("lists", 1, (short) 2))).all().get(30, TimeUnit.SECONDS);
            ConfigResource lists = new ConfigResource(ConfigResource.Type.TOPIC, "lists");
            assertThat(refusal(admin, lists, set(LEADER_REPLICAS, "0-1"))).isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining(LEADER_REPLICAS);
            admin.incrementalAlterConfigs(Map.of(lists, List.of(set(FOLLOWER_REPLICAS, "*")))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** AlterConfigs v1 of one broker config on a raw connection; its error code. */
    private static short legacyAlter(int port, String broker, String name, String value) throws Exception {
        try (io.chronik.testing.RawKafkaClient raw = new io.chronik.testing.RawKafkaClient(port)) {
            var request = new org.apache.kafka.common.message.AlterConfigsRequestData();
            var resource = new org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource()
                    .setResourceType(ConfigResource.Type.BROKER.id()).setResourceName(broker);
            resource.configs().add(new org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig()
                    .setName(name).setValue(value));
            request.resources().add(resource);
            raw.send(request, (short) 1, 7);
            var reply = raw.receive((short) 0);
            return new org.apache.kafka.common.message.AlterConfigsResponseData(
                    new org.apache.kafka.common.protocol.ByteBufferAccessor(reply.body()), (short) 1).responses().get(0).errorCode();
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    private static AlterConfigOp delete(String name) {
        return new AlterConfigOp(new ConfigEntry(name, null), AlterConfigOp.OpType.DELETE);
    }

    private static Throwable refusal(Admin admin, ConfigResource resource, AlterConfigOp op) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all().get(30, TimeUnit.SECONDS));
        return e.getCause();
    }

    private static Config brokerConfig(Admin admin, int id) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(id));
        return admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
    }

    private static Config topicConfig(Admin admin) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
        return admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
    }

    private static List<Integer> replicas(org.apache.kafka.clients.admin.TopicDescription description) {
        return description.partitions().get(0).replicas().stream().map(Node::id).toList();
    }

    private static Cli cli(TestCluster cluster, String... args) throws Exception {
        Path lib = Path.of("target", "tools-lib");
        assumeTrue(Files.isDirectory(lib), "target/tools-lib is made by the Maven build");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", lib.toAbsolutePath() + File.separator + "*", "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
                "--bootstrap-server", cluster.bootstrap()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("kafka-reassign-partitions finished").isTrue();
            return new Cli(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }
}
