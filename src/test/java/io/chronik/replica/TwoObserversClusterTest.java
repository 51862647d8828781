package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two brokers beyond the three voters, started at the same time: DescribeQuorum lists each once as an observer
 * (never as a voter), DescribeCluster lists all five brokers once, on every broker asked; and after one observer is
 * killed and restarted, still each once.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TwoObserversClusterTest {
    @TempDir
    Path dir;

    @Test
    void twoObserversAreEachListedOnce() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "two-observers", 3)) {
            cluster.startObserver(4);
            cluster.startObserver(5);
            cluster.broker(4).port();
            cluster.broker(5).port();
            cluster.awaitLiveBrokers(5, 90);
            assertListedOnce(cluster);

            cluster.kill(5);
            cluster.startObserver(5).port();
            cluster.awaitLiveBrokers(5, 90);
            assertListedOnce(cluster);
        }
    }

    private static void assertListedOnce(TestCluster cluster) throws Exception {
        for (int id = 1; id <= 5; id++) {
            try (Admin admin = Admin.create(java.util.Map.of("bootstrap.servers", cluster.bootstrap(id)))) {
                QuorumInfo quorum = TestCluster.await("both observers caught up, asked of broker " + id, 60,
                        () -> admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS),
                        q -> q.observers().size() >= 2 && q.observers().stream().allMatch(o -> o.logEndOffset() > 0));
                assertThat(quorum.voters()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactlyInAnyOrder(1, 2, 3);
                assertThat(quorum.observers()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactlyInAnyOrder(4, 5);
                // Each broker's view of the cluster follows the metadata log a moment behind the controller's.
                List<Integer> nodes = TestCluster.await("DescribeCluster asked of broker " + id + " listing five brokers", 30,
                        () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream().map(Node::id).toList(),
                        ids -> ids.size() >= 5);
                assertThat(nodes).as("DescribeCluster asked of broker " + id).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
            }
        }
    }
}
