package io.chronik.cluster;

import io.chronik.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker that waits longer than its quorum client's whole retry budget for a majority (here: alone of three
 * voters for 35 s, while it keeps trying to register) still joins once the others start: its client to the
 * controller, closed by Ratis when a request ran out of retries, is replaced instead of failing every later request.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QuorumOutageTest {
    @TempDir
    Path dir;

    @Test
    void aBrokerThatWaitedOutItsRetriesJoinsWhenTheQuorumComesBack() throws Exception {
        try (TestCluster cluster = TestCluster.create(dir, "quorum-outage-test", 3)) {
            cluster.startBroker(1).port();
            // Longer than a registration's retry budget (two election timeouts plus a request timeout, 13 s) twice over.
            Thread.sleep(35_000);
            assertThat(cluster.broker(1).isAlive()).isTrue();
            cluster.startBroker(2).port();
            cluster.startBroker(3).port();
            cluster.awaitLiveBrokers(3, 90);
        }
    }
}
