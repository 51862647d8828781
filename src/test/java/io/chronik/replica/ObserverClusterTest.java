package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fourth broker beyond the three voters follows the metadata quorum as an observer (a non-voting Raft listener):
 * it registers, hosts and leads replicas of new topics, serves producers and consumers, never votes nor becomes the
 * controller, and after kill -9 and restart catches up and rejoins every ISR.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ObserverClusterTest {
    static final String TOPIC = "observed";
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    @Test
    void aBrokerBeyondTheVotersJoinsAsObserverAndHostsReplicas() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "observer-cluster", 3)) {
            cluster.startObserver(4).port();
            cluster.awaitLiveBrokers(4, 90);
            Admin admin = cluster.admin();

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
        }
    }
}
