package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Kafka's kafka-reassign-partitions against three brokers: --generate proposes a plan on the given brokers,
 * --execute moves an RF 2 topic under an acks=all idempotent producer (one partition loses its leader, the other a
 * follower), --verify sees it complete; every acknowledged record stays readable at its offset and the brokers that
 * lost a replica no longer hold its directory (throttled moves: ReplicationThrottleClusterTest); Admin gets Kafka's errors,
 * and lists and cancels a move that cannot finish.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReassignPartitionsClusterTest {
    static final String TOPIC = "moving";

    @TempDir
    Path dir;

    private record Cli(int exitCode, String output) {
    }

    @Test
    void kafkaReassignPartitionsMovesReplicasUnderLoadAndDropsTheOldOnes() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "reassign", 3, "--chronik.cluster.auto-leader-rebalance-enable=false")) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(1, 2), 1, List.of(1, 2))))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, TOPIC, 2, 60);
            ProducerStream stream = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all", Map.of()), TOPIC, "m",
                    200_000, 20);
            try {
                stream.awaitAcked(100, 30);

                Path topics = dir.resolve("topics.json");
                Files.writeString(topics, "{\"version\":1,\"topics\":[{\"topic\":\"" + TOPIC + "\"}]}");
                Cli generate = cli(cluster, "--generate", "--topics-to-move-json-file", topics.toString(), "--broker-list", "2,3");
                assertThat(generate.exitCode()).as(generate.output()).isZero();
                assertThat(generate.output()).contains("Current partition replica assignment", "Proposed partition reassignment configuration");
                String proposed = generate.output().substring(generate.output().indexOf("Proposed partition reassignment configuration"));
                assertThat(replicaSets(proposed)).hasSize(2).allSatisfy(r -> assertThat(r).isSubsetOf(2, 3).hasSize(2));

                // Partition 0 moves off its leader (1), partition 1 off its follower (2).
                Path plan = dir.resolve("plan.json");
                Files.writeString(plan, "{\"version\":1,\"partitions\":[{\"topic\":\"" + TOPIC + "\",\"partition\":0,\"replicas\":[3,2]},"
                        + "{\"topic\":\"" + TOPIC + "\",\"partition\":1,\"replicas\":[1,3]}]}");
                Cli execute = cli(cluster, "--execute", "--reassignment-json-file", plan.toString());
                assertThat(execute.exitCode()).as(execute.output()).isZero();
                assertThat(execute.output()).contains("Successfully started partition reassignments");

                Cli verified = TestCluster.await("--verify reports both moves completed", 60,
                        () -> cli(cluster, "--verify", "--reassignment-json-file", plan.toString()),
                        v -> v.exitCode() == 0 && v.output().contains("Reassignment of partition " + TOPIC + "-0 is completed")
                                && v.output().contains("Reassignment of partition " + TOPIC + "-1 is completed"));
                assertThat(verified.output()).contains("Clearing broker-level throttles");
                TestCluster.await("no reassignment listed", 10, () -> admin.listPartitionReassignments().reassignments()
                        .get(10, TimeUnit.SECONDS), Map::isEmpty);

                TopicDescription moved = TestCluster.await("the target replicas described", 10, () -> TestCluster.describe(admin, TOPIC),
                        d -> replicas(d, 0).equals(List.of(3, 2)) && replicas(d, 1).equals(List.of(1, 3)));
                assertThat(replicas(moved, 0)).containsExactly(3, 2);
                assertThat(replicas(moved, 1)).containsExactly(1, 3);
                assertThat(TestCluster.leaderOf(moved, 0)).isEqualTo(3);
                assertThat(TestCluster.leaderOf(moved, 1)).isEqualTo(1);

                TestCluster.await("the removed replicas' directories gone", 30,
                        () -> Files.exists(partitionDir(1, 0)) || Files.exists(partitionDir(2, 1)), exists -> !exists);
                assertThat(partitionDir(3, 0)).isDirectory();
                assertThat(partitionDir(3, 1)).isDirectory();

                int acked = stream.acked().size();
                stream.awaitAcked(acked + 200, 30);
            } finally {
                stream.stop(30);
            }
            assertThat(stream.failures()).isEmpty();
            ClusterClients.assertAcknowledgedAtTheirOffsets(stream.acked(), ClusterClients.readToEnd(cluster.bootstrap(), TOPIC, 2, 60));

            // Kafka's errors through Admin.
            TopicPartition p1 = new TopicPartition(TOPIC, 1);
            assertThat(reassignError(admin, p1, Optional.of(new NewPartitionReassignment(List.of(1, 9)))))
                    .isInstanceOf(InvalidReplicaAssignmentException.class);
            assertThat(reassignError(admin, p1, Optional.of(new NewPartitionReassignment(List.of(1, 1)))))
                    .isInstanceOf(InvalidReplicaAssignmentException.class);
            assertThat(reassignError(admin, p1, Optional.empty())).isInstanceOf(NoReassignmentInProgressException.class);
            assertThat(reassignError(admin, new TopicPartition(TOPIC, 5), Optional.of(new NewPartitionReassignment(List.of(1)))))
                    .isInstanceOf(UnknownTopicOrPartitionException.class);

            // A move that cannot finish (broker 3 is down, so its replica never joins the ISR) is listed and cancelled.
            cluster.kill(3);
            cluster.awaitLiveBrokers(2, 60);
            admin.alterPartitionReassignments(Map.of(p1, Optional.of(new NewPartitionReassignment(List.of(1, 3, 2)))))
                    .all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, PartitionReassignment> ongoing = TestCluster.await("the move listed", 10,
                    () -> admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS), m -> !m.isEmpty());
            assertThat(ongoing).containsOnlyKeys(p1);
            assertThat(ongoing.get(p1).replicas()).containsExactly(1, 3, 2);
            assertThat(ongoing.get(p1).addingReplicas()).containsExactly(2);
            assertThat(ongoing.get(p1).removingReplicas()).isEmpty();
            assertThat(admin.listPartitionReassignments(Set.of(p1, new TopicPartition(TOPIC, 0), new TopicPartition("no-such", 0)))
                    .reassignments().get(10, TimeUnit.SECONDS)).containsOnlyKeys(p1);
            TestCluster.await("all replicas described during the move", 10, () -> replicas(TestCluster.describe(admin, TOPIC), 1),
                    r -> r.equals(List.of(1, 3, 2)));
            TestCluster.await("broker 2 following partition 1 again", 30, () -> Files.isDirectory(partitionDir(2, 1)), d -> d);

            admin.alterPartitionReassignments(Map.of(p1, Optional.empty())).all().get(30, TimeUnit.SECONDS);
            // Answered from the receiving broker's image, which may trail the controller by a moment.
            TestCluster.await("no reassignment listed", 10, () -> admin.listPartitionReassignments().reassignments()
                    .get(10, TimeUnit.SECONDS), Map::isEmpty);
            TestCluster.await("the original replicas described", 10, () -> replicas(TestCluster.describe(admin, TOPIC), 1),
                    r -> r.equals(List.of(1, 3)));
            TestCluster.await("broker 2's log of partition 1 gone again", 30, () -> Files.exists(partitionDir(2, 1)), exists -> !exists);
        }
    }

    private Path partitionDir(int broker, int partition) {
        return dir.resolve("data-" + broker).resolve(TOPIC + "-" + partition);
    }

    private static List<Integer> replicas(TopicDescription description, int partition) {
        return description.partitions().get(partition).replicas().stream().map(Node::id).toList();
    }

    private static List<Set<Integer>> replicaSets(String json) {
        List<Set<Integer>> sets = new ArrayList<>();
        Matcher m = Pattern.compile("\"replicas\":\\[([0-9,]*)]").matcher(json);
        while (m.find()) {
            Set<Integer> set = new HashSet<>();
            for (String id : m.group(1).split(",")) {
                set.add(Integer.parseInt(id));
            }
            sets.add(set);
        }
        return sets;
    }

    private static Throwable reassignError(Admin admin, TopicPartition tp, Optional<NewPartitionReassignment> target) throws Exception {
        try {
            admin.alterPartitionReassignments(Map.of(tp, target)).all().get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
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
