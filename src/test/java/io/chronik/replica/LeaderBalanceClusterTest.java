package io.chronik.replica;

import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ElectLeadersResponse;
import org.apache.kafka.common.requests.MetadataResponse;
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
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Leaderships moving back to preferred replicas in a three-broker cluster: kill -9 of a broker moves its
 * leaderships away; once it is back in every ISR, Admin#electLeaders(PREFERRED) and Kafka's kafka-leader-election
 * move them back (new leader epochs, producers carry on, nothing acknowledged is lost), and with a short check
 * interval the controller does it alone.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LeaderBalanceClusterTest {
    static final String TOPIC = "balance";
    static final int PARTITIONS = 6;

    @TempDir
    Path dir;

    @Test
    void electLeadersMovesLeadershipsBackToTheRestartedPreferredReplica() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "leader-balance-manual", 3,
                "--chronik.cluster.auto-leader-rebalance-enable=false")) {
            Admin admin = cluster.admin();
            Map<Integer, Integer> preferred = createTopic(cluster, admin);
            ProducerStream stream = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all", Map.of()), TOPIC, "m",
                    200_000, 20);
            try {
                stream.awaitAcked(100, 30);
                int victim = 1;
                bounce(cluster, admin, victim);
                TopicDescription rejoined = cluster.awaitIsr(admin, TOPIC, 3, 60);
                // Nothing else moves them back while automatic balancing is off.
                Set<Integer> victimsPartitions = partitionsPreferring(preferred, victim);
                assertThat(victimsPartitions).isNotEmpty();
                for (int p : victimsPartitions) {
                    assertThat(TestCluster.leaderOf(rejoined, p)).isNotEqualTo(victim);
                }
                Map<Integer, Integer> epochsBefore = leaderEpochs(cluster, 2);

                // One partition through Admin#electLeaders by name, the other through Kafka's CLI for all partitions,
                // which reports only what needed an election.
                List<Integer> victims = List.copyOf(victimsPartitions);
                TopicPartition byAdmin = new TopicPartition(TOPIC, victims.get(0));
                Map<TopicPartition, Optional<Throwable>> named = admin.electLeaders(ElectionType.PREFERRED, Set.of(byAdmin))
                        .partitions().get(30, TimeUnit.SECONDS);
                assertThat(named).containsOnlyKeys(byAdmin);
                assertThat(named.get(byAdmin)).isEmpty();
                String output = leaderElectionCli(cluster, "--election-type", "preferred", "--all-topic-partitions");
                List<String> restNames = victims.subList(1, victims.size()).stream().map(p -> TOPIC + "-" + p).toList();
                assertThat(output).contains("Successfully completed leader election (PREFERRED) for partitions");
                for (String name : restNames) {
                    assertThat(output).contains(name);
                }
                assertThat(output).doesNotContain(byAdmin.toString());

                Map<TopicPartition, Optional<Throwable>> results = admin.electLeaders(ElectionType.PREFERRED, null)
                        .partitions().get(30, TimeUnit.SECONDS);
                // Partitions already led by their preferred replica need no election and are left out of the answer.
                assertThat(results.keySet()).noneMatch(tp -> tp.topic().equals(TOPIC));

                TopicDescription after = TestCluster.await("preferred leaders everywhere", 30, () -> TestCluster.describe(admin, TOPIC),
                        d -> preferred.entrySet().stream().allMatch(e -> TestCluster.leaderOf(d, e.getKey()) == e.getValue()));
                assertThat(after.partitions()).allMatch(p -> p.isr().size() == 3);
                // Broker 2's image may trail the one that answered the description by a moment.
                Map<Integer, Integer> epochsAfter = TestCluster.await("new leader epochs on broker 2", 10, () -> leaderEpochs(cluster, 2),
                        e -> victimsPartitions.stream().allMatch(p -> e.get(p) > epochsBefore.get(p)));
                for (int p = 0; p < PARTITIONS; p++) {
                    if (victimsPartitions.contains(p)) {
                        assertThat(epochsAfter.get(p)).as("leader epoch of partition %d", p).isGreaterThan(epochsBefore.get(p));
                    } else {
                        assertThat(epochsAfter.get(p)).as("leader epoch of partition %d", p).isEqualTo(epochsBefore.get(p));
                    }
                }

                // Asked for by name, a partition that needs no election says so; unknown ones are unknown.
                TopicPartition first = new TopicPartition(TOPIC, victimsPartitions.iterator().next());
                assertThat(electionError(admin, ElectionType.PREFERRED, first)).isInstanceOf(ElectionNotNeededException.class);
                assertThat(electionError(admin, ElectionType.UNCLEAN, first)).isInstanceOf(ElectionNotNeededException.class);
                assertThat(electionError(admin, ElectionType.PREFERRED, new TopicPartition(TOPIC, PARTITIONS)))
                        .isInstanceOf(UnknownTopicOrPartitionException.class);
                assertThat(electionError(admin, ElectionType.PREFERRED, new TopicPartition("no-such-topic", 0)))
                        .isInstanceOf(UnknownTopicOrPartitionException.class);
                everyVersionAnswers(cluster);

                // Producers keep working on the new leaders.
                int acked = stream.acked().size();
                stream.awaitAcked(acked + 200, 30);
            } finally {
                stream.stop(30);
            }
            assertThat(stream.failures()).isEmpty();
            ClusterClients.assertAcknowledgedAtTheirOffsets(stream.acked(),
                    ClusterClients.readToEnd(cluster.bootstrap(), TOPIC, PARTITIONS, 60));
        }
    }

    @Test
    void theControllerMovesLeadershipsBackOnItsOwn() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "leader-balance-auto", 3,
                "--chronik.cluster.leader-imbalance-check-interval=2s")) {
            Admin admin = cluster.admin();
            Map<Integer, Integer> preferred = createTopic(cluster, admin);
            ProducerStream stream = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all", Map.of()), TOPIC, "a",
                    200_000, 20);
            try {
                stream.awaitAcked(100, 30);
                int victim = 2;
                Map<Integer, Integer> epochsBefore = leaderEpochs(cluster, 1);
                bounce(cluster, admin, victim);
                TestCluster.await("preferred leaders everywhere, without ElectLeaders", 90, () -> TestCluster.describe(admin, TOPIC),
                        d -> preferred.entrySet().stream().allMatch(e -> TestCluster.leaderOf(d, e.getKey()) == e.getValue()));
                Set<Integer> moved = partitionsPreferring(preferred, victim);
                Map<Integer, Integer> epochsAfter = TestCluster.await("new leader epochs on broker 1", 10, () -> leaderEpochs(cluster, 1),
                        e -> moved.stream().allMatch(p -> e.get(p) >= epochsBefore.get(p) + 2));
                for (int p : moved) {
                    // Moved away and back: two new leaders.
                    assertThat(epochsAfter.get(p)).as("leader epoch of partition %d", p).isGreaterThanOrEqualTo(epochsBefore.get(p) + 2);
                }
                int acked = stream.acked().size();
                stream.awaitAcked(acked + 200, 30);
            } finally {
                stream.stop(30);
            }
            assertThat(stream.failures()).isEmpty();
            ClusterClients.assertAcknowledgedAtTheirOffsets(stream.acked(),
                    ClusterClients.readToEnd(cluster.bootstrap(), TOPIC, PARTITIONS, 60));
        }
    }

    /** Creates the topic (RF 3, min ISR 2); answers each partition's preferred replica, which leads it now. */
    private static Map<Integer, Integer> createTopic(TestCluster cluster, Admin admin) throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        TopicDescription d = cluster.awaitIsr(admin, TOPIC, 3, 60);
        Map<Integer, Integer> preferred = new TreeMap<>();
        d.partitions().forEach(p -> preferred.put(p.partition(), p.replicas().get(0).id()));
        for (var e : preferred.entrySet()) {
            assertThat(TestCluster.leaderOf(d, e.getKey())).isEqualTo(e.getValue());
        }
        return preferred;
    }

    /** kill -9 of {@code id}: its leaderships move away; then it starts again and is live. */
    private static void bounce(TestCluster cluster, Admin admin, int id) throws Exception {
        cluster.kill(id);
        TestCluster.await("no partition led by broker " + id, 30, () -> TestCluster.describe(admin, TOPIC),
                d -> d.partitions().stream().allMatch(p -> p.leader() != null && p.leader().id() >= 0 && p.leader().id() != id));
        cluster.startBroker(id).port();
        cluster.awaitLiveBrokers(3, 90);
    }

    private static Set<Integer> partitionsPreferring(Map<Integer, Integer> preferred, int broker) {
        Set<Integer> partitions = new java.util.TreeSet<>();
        preferred.forEach((p, b) -> {
            if (b == broker) {
                partitions.add(p);
            }
        });
        return partitions;
    }

    private static Throwable electionError(Admin admin, ElectionType type, TopicPartition tp) {
        Throwable failure = catchThrowable(() -> admin.electLeaders(type, Set.of(tp)).partitions().get(30, TimeUnit.SECONDS)
                .get(tp).ifPresent(e -> {
                    throw new RuntimeException(e);
                }));
        assertThat(failure).as("election of %s", tp).isNotNull();
        Throwable cause = failure instanceof ExecutionException || failure instanceof RuntimeException ? failure.getCause() : failure;
        return cause == null ? failure : cause;
    }

    /** Runs Kafka's kafka-leader-election (target/tools-lib, made by the build) against the cluster; its output. */
    private static String leaderElectionCli(TestCluster cluster, String... args) throws Exception {
        Path lib = Path.of("target", "tools-lib");
        assumeTrue(Files.isDirectory(lib), "target/tools-lib is made by the Maven build");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", lib.toAbsolutePath() + File.separator + "*", "org.apache.kafka.tools.LeaderElectionCommand",
                "--bootstrap-server", cluster.bootstrap()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("kafka-leader-election finished").isTrue();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as("exit code of kafka-leader-election; output:%n%s", output).isZero();
            return output;
        } finally {
            process.destroyForcibly();
        }
    }

    /** Leader epochs of the topic's partitions, as broker {@code via} answers Metadata. */
    private static Map<Integer, Integer> leaderEpochs(TestCluster cluster, int via) throws Exception {
        short version = 12;
        MetadataRequestData request = new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC)));
        try (RawKafkaClient client = new RawKafkaClient(cluster.broker(via).port())) {
            client.send(request, version, 7);
            RawKafkaClient.Response response = client.receive(ApiKeys.METADATA.responseHeaderVersion(version));
            MetadataResponseData data = ((MetadataResponse) AbstractResponse.parseResponse(ApiKeys.METADATA,
                    new ByteBufferAccessor(response.body()), version)).data();
            Map<Integer, Integer> epochs = new HashMap<>();
            data.topics().find(TOPIC).partitions().forEach(p -> epochs.put(p.partitionIndex(), p.leaderEpoch()));
            return epochs;
        }
    }

    /** Versions 0 to 2 (0 has no election type, 2 is flexible) parse and answer without error. */
    private static void everyVersionAnswers(TestCluster cluster) throws Exception {
        for (short v = ApiKeys.ELECT_LEADERS.oldestVersion(); v <= ApiKeys.ELECT_LEADERS.latestVersion(); v++) {
            ElectLeadersRequestData request = new ElectLeadersRequestData().setTopicPartitions(null).setTimeoutMs(10_000);
            try (RawKafkaClient client = new RawKafkaClient(cluster.broker(3).port())) {
                client.send(request, v, 11);
                RawKafkaClient.Response response = client.receive(ApiKeys.ELECT_LEADERS.responseHeaderVersion(v));
                assertThat(response.correlationId()).isEqualTo(11);
                ElectLeadersResponse parsed = (ElectLeadersResponse) AbstractResponse.parseResponse(ApiKeys.ELECT_LEADERS,
                        new ByteBufferAccessor(response.body()), v);
                assertThat(response.body().remaining()).isZero();
                assertThat(parsed.data().errorCode()).isEqualTo(Errors.NONE.code());
                // Every partition of the topic has its preferred leader: nothing to report.
                assertThat(parsed.data().replicaElectionResults()).as("v%d", v).noneMatch(r -> r.topic().equals(TOPIC));
            }
        }
    }
}
