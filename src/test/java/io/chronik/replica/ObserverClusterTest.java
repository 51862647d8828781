package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fourth broker beyond the three voters follows the metadata quorum as an observer (a non-voting Raft listener):
 * it registers, hosts and leads replicas of new topics, serves producers and consumers, never votes nor becomes the
 * controller, and after kill -9 and restart catches up and rejoins every ISR. Partitions of a topic created before
 * it came are moved onto it, and before it is removed it is drained: every replica it holds moves to the others.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ObserverClusterTest {
    static final String TOPIC = "observed";
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    @Test
    void aLiveObserverCountsForTheDefaultReplicationFactor() throws Exception {
        try (TestCluster cluster = TestCluster.create(dir, "two-voters", 2)) {
            cluster.startBroker(1).port();
            cluster.startBroker(2).port();
            cluster.startObserver(3).port();
            cluster.awaitLiveBrokers(3, 90);
            Admin admin = cluster.admin();
            // CreateTopics without a replication factor: three live brokers, so three replicas, not one per voter.
            var created = admin.createTopics(List.of(new NewTopic("defaulted", Optional.of(2), Optional.empty())));
            assertThat(created.replicationFactor("defaulted").get(30, TimeUnit.SECONDS)).isEqualTo(3);
            TopicDescription described = cluster.awaitIsr(admin, "defaulted", 3, 60);
            assertThat(described.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
        }
    }

    @Test
    void aBrokerBeyondTheVotersJoinsAsObserverAndHostsReplicas() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "observer-cluster", 3)) {
            Admin admin = cluster.admin();
            // A topic from before the fourth broker, with data.
            admin.createTopics(List.of(new NewTopic("older", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, "older", 3, 60);
            ProducerStream before = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all", Map.of()),
                    "older", "b", 300, 20);
            before.awaitAcked(300, 30);
            before.stop(30);
            assertThat(before.failures()).isEmpty();

            cluster.startObserver(4).port();
            cluster.awaitLiveBrokers(4, 90);

            // The quorum still has three voters; the fourth broker is not one of them.
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
            assertThat(quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder(1, 2, 3);
            assertThat(quorum.leaderId()).isIn(1, 2, 3);
            assertThat(quorum.observers()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactly(4);
            assertThat(quorum.observers().get(0).logEndOffset()).isPositive();

            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            TopicDescription created = cluster.awaitIsr(admin, TOPIC, 3, 60);
            Set<Integer> onObserver = created.partitions().stream()
                    .filter(p -> p.replicas().stream().anyMatch(n -> n.id() == 4))
                    .map(p -> p.partition()).collect(Collectors.toSet());
            assertThat(onObserver).as("partitions with a replica on the observer").isNotEmpty();
            assertThat(created.partitions()).anyMatch(p -> p.leader().id() == 4);

            ProducerStream stream = new ProducerStream(ClusterClients.producer(cluster.bootstrap(4), "all", Map.of()),
                    TOPIC, "o", 200_000, 20);
            try {
                stream.awaitAcked(200, 30);
                // kill -9 of the observer: its leaderships move; it comes back, catches up and rejoins every ISR.
                cluster.kill(4);
                TestCluster.await("no partition led by the observer", 30, () -> TestCluster.describe(admin, TOPIC),
                        d -> d.partitions().stream().allMatch(p -> p.leader() != null && p.leader().id() != 4));
                int acked = stream.acked().size();
                stream.awaitAcked(acked + 200, 30);
                cluster.startObserver(4).port();
                cluster.awaitLiveBrokers(4, 90);
                TopicDescription rejoined = cluster.awaitIsr(admin, TOPIC, 3, 90);
                assertThat(rejoined.partitions().stream().filter(p -> onObserver.contains(p.partition())))
                        .allSatisfy(p -> assertThat(TestCluster.isrOf(rejoined, p.partition())).contains(4));
                acked = stream.acked().size();
                stream.awaitAcked(acked + 200, 30);
            } finally {
                stream.stop(30);
            }
            assertThat(stream.failures()).isEmpty();
            ClusterClients.assertAcknowledgedAtTheirOffsets(stream.acked(),
                    ClusterClients.readToEnd(cluster.bootstrap(4), TOPIC, PARTITIONS, 60));

            // Still three voters, and the observer never leads the quorum.
            QuorumInfo after = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
            assertThat(after.voters()).hasSize(3);
            assertThat(after.leaderId()).isIn(1, 2, 3);

            // A partition of the older topic moves onto the new broker, which leads it afterwards.
            TopicPartition moved = new TopicPartition("older", 0);
            admin.alterPartitionReassignments(Map.of(moved, Optional.of(new NewPartitionReassignment(List.of(4, 2, 3)))))
                    .all().get(30, TimeUnit.SECONDS);
            awaitNoReassignment(admin);
            TopicDescription older = TestCluster.await("older-0 on brokers 4, 2, 3", 60, () -> TestCluster.describe(admin, "older"),
                    d -> replicas(d, 0).equals(List.of(4, 2, 3)) && TestCluster.isrOf(d, 0).size() == 3);
            admin.electLeaders(org.apache.kafka.common.ElectionType.PREFERRED, Set.of(moved)).partitions().get(30, TimeUnit.SECONDS);
            TestCluster.await("broker 4 leading older-0", 30, () -> TestCluster.describe(admin, "older"),
                    d -> TestCluster.leaderOf(d, 0) == 4);
            ClusterClients.assertAcknowledgedAtTheirOffsets(before.acked(),
                    ClusterClients.readToEnd(cluster.bootstrap(4), "older", 2, 60));
            assertThat(older.partitions()).hasSize(2);
            TestCluster.await("broker 1 no longer holding older-0", 30, () -> Files.exists(dir.resolve("data-1").resolve("older-0")),
                    exists -> !exists);

            // Draining the fourth broker before removing it: each of its replicas moves to the broker it lacks.
            Map<TopicPartition, Optional<NewPartitionReassignment>> drain = new HashMap<>();
            for (String topic : List.of(TOPIC, "older")) {
                TopicDescription d = TestCluster.describe(admin, topic);
                d.partitions().forEach(p -> {
                    List<Integer> replicas = new ArrayList<>(p.replicas().stream().map(n -> n.id()).toList());
                    int at = replicas.indexOf(4);
                    if (at >= 0) {
                        int missing = List.of(1, 2, 3).stream().filter(b -> !replicas.contains(b)).findFirst().orElseThrow();
                        replicas.set(at, missing);
                        drain.put(new TopicPartition(topic, p.partition()), Optional.of(new NewPartitionReassignment(replicas)));
                    }
                });
            }
            assertThat(drain).isNotEmpty();
            admin.alterPartitionReassignments(drain).all().get(30, TimeUnit.SECONDS);
            awaitNoReassignment(admin);
            for (String topic : List.of(TOPIC, "older")) {
                TestCluster.await(topic + " off broker 4, fully in sync", 60, () -> TestCluster.describe(admin, topic),
                        d -> d.partitions().stream().allMatch(p -> p.replicas().stream().noneMatch(n -> n.id() == 4)
                                && p.isr().size() == 3));
            }
            // Dropped partitions are renamed for deletion (name.id-delete) and removed a little later, as in Kafka.
            TestCluster.await("broker 4 holding no live partition directory", 30, () -> listDir(dir.resolve("data-4")),
                    names -> names.stream().noneMatch(n -> n.matches("(" + TOPIC + "|older)-\\d+")));
            cluster.kill(4);
            ClusterClients.assertAcknowledgedAtTheirOffsets(stream.acked(),
                    ClusterClients.readToEnd(cluster.bootstrap(1, 2, 3), TOPIC, PARTITIONS, 60));
        }
    }

    private static void awaitNoReassignment(Admin admin) throws InterruptedException {
        TestCluster.await("no reassignment in progress", 60,
                () -> admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS), Map::isEmpty);
    }

    private static List<Integer> replicas(TopicDescription d, int partition) {
        return d.partitions().get(partition).replicas().stream().map(n -> n.id()).toList();
    }

    private static List<String> listDir(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).toList();
        }
    }
}
