package io.chronik.cluster;

import io.chronik.testing.ChildBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two brokers that share a voter list but not a cluster id: whichever registers second is refused by the controller
 * and stops with exit code 1, saying which key must agree, instead of serving as a member of a cluster it is not in.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterIdMismatchTest {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aBrokerOfAnotherClusterStops() throws Exception {
        String voters = "1@127.0.0.1:" + freePort() + ",2@127.0.0.1:" + freePort();
        List<String> jvm = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        try (ChildBroker one = ChildBroker.start(dir.resolve("one"), jvm, "--chronik.node-id=1", "--chronik.cluster.voters=" + voters,
                "--server.address=127.0.0.1", "--chronik.cluster-id=blue");
             ChildBroker two = ChildBroker.start(dir.resolve("two"), jvm, "--chronik.node-id=2", "--chronik.cluster.voters=" + voters,
                     "--server.address=127.0.0.1", "--chronik.cluster-id=green")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (one.isAlive() && two.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            java.nio.file.Files.createDirectories(Path.of("target", "cluster-id-mismatch-test"));
            java.nio.file.Files.writeString(Path.of("target", "cluster-id-mismatch-test", "broker-1.log"), one.output());
            java.nio.file.Files.writeString(Path.of("target", "cluster-id-mismatch-test", "broker-2.log"), two.output());
            ChildBroker stopped = one.isAlive() ? two : one;
            ChildBroker running = stopped == one ? two : one;
            assertThat(stopped.awaitExit(10, TimeUnit.SECONDS)).as("exit code of the refused broker").isEqualTo(1);
            assertThat(stopped.output()).contains("chronik.cluster-id must be the same on every broker");
            assertThat(running.isAlive()).as("the broker that registered first keeps running").isTrue();
        }
    }
}
