package io.chronik.cluster;

import io.chronik.testing.ChildBroker;
import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeMetadataQuorumOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three brokers as three processes, started as the cluster contract says, seen through the Kafka admin client:
 * a controller is elected and every voter is present; killing it (kill -9) elects another within bounded time and
 * fences the killed broker after its session timeout; restarted, it registers with a new incarnation and is
 * unfenced again.
 */
class QuorumClusterTest {
    private static final Pattern INCARNATION = Pattern.compile("Registered with the controller as broker \\d+ \\(incarnation ([0-9a-f-]+)\\)");

    @TempDir
    Path dir;

    private final Map<Integer, ChildBroker> brokers = new TreeMap<>();
    private final List<Admin> admins = new ArrayList<>();
    private String voters;

    @AfterEach
    void stopEverything() throws Exception {
        admins.forEach(a -> a.close(Duration.ofSeconds(2)));
        java.nio.file.Files.createDirectories(Path.of("target", "quorum-cluster-test"));
        for (Map.Entry<Integer, ChildBroker> e : brokers.entrySet()) {
            e.getValue().close(); // destroyForcibly: only the processes this test started
            // Kept for diagnosis: the last process of each broker id.
            java.nio.file.Files.writeString(Path.of("target", "quorum-cluster-test", "broker-" + e.getKey() + ".log"), e.getValue().output());
        }
    }

    private ChildBroker start(int id) throws IOException {
        ChildBroker broker = ChildBroker.start(dir.resolve("data-" + id), List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                "--chronik.node-id=" + id, "--chronik.cluster.voters=" + voters,
                "--server.address=127.0.0.1",
                // Shorter than the defaults (9 s, 2 s) so the test waits less; elections keep their defaults.
                "--chronik.cluster.session-timeout=4s", "--chronik.cluster.heartbeat-interval=500ms",
                // Snapshots and log purges happen in this test, also across the restart.
                "--chronik.cluster.snapshot-threshold=5",
                // Shows in the kept logs whether the restarted broker caught up through an installed snapshot.
                "--logging.level.org.apache.ratis.server.storage.SnapshotManager=INFO");
        brokers.put(id, broker);
        return broker;
    }

    private Admin admin(List<Integer> ids) throws Exception {
        List<String> bootstrap = new ArrayList<>();
        for (int id : ids) {
            bootstrap.add(brokers.get(id).bootstrapServers());
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", String.join(",", bootstrap));
        props.put("request.timeout.ms", "5000");
        props.put("default.api.timeout.ms", "10000");
        props.put("reconnect.backoff.max.ms", "500");
        Admin admin = Admin.create(props);
        admins.add(admin);
        return admin;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Polls {@code read} until {@code done} holds (see {@link TestCluster#await}). */
    private static <T> T await(String what, int seconds, TestCluster.Check<T> read, Predicate<T> done) throws InterruptedException {
        return TestCluster.await(what, seconds, read, done);
    }

    private static QuorumInfo quorum(Admin admin) throws Exception {
        return admin.describeMetadataQuorum(new DescribeMetadataQuorumOptions().timeoutMs(5000)).quorumInfo().get(6, TimeUnit.SECONDS);
    }

    private record ClusterState(int controller, Set<Integer> brokers) {
    }

    private static ClusterState cluster(Admin admin) throws Exception {
        var result = admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000));
        Node controller = result.controller().get(6, TimeUnit.SECONDS);
        Set<Integer> ids = result.nodes().get(6, TimeUnit.SECONDS).stream().map(Node::id).collect(Collectors.toSet());
        return new ClusterState(controller == null ? -1 : controller.id(), ids);
    }

    private String metrics(int id) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + brokers.get(id).httpPort() + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(5)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String incarnation(ChildBroker broker) {
        Matcher m = INCARNATION.matcher(broker.output());
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        return found;
    }

    /** Versions 0-2, asked of a broker that is not the controller; v0 and v1 carry no nodes. */
    private static void everyVersionOfDescribeQuorumIsServed(int port, int leader) throws Exception {
        for (short v = 0; v <= 2; v++) {
            org.apache.kafka.common.message.DescribeQuorumRequestData request = org.apache.kafka.common.requests.DescribeQuorumRequest
                    .singletonRequest(new org.apache.kafka.common.TopicPartition("__cluster_metadata", 0));
            try (io.chronik.testing.RawKafkaClient client = new io.chronik.testing.RawKafkaClient(port)) {
                client.send(request, v, 7);
                var raw = client.receive(org.apache.kafka.common.protocol.ApiKeys.DESCRIBE_QUORUM.responseHeaderVersion(v));
                var response = (org.apache.kafka.common.requests.DescribeQuorumResponse) org.apache.kafka.common.requests.AbstractResponse
                        .parseResponse(org.apache.kafka.common.protocol.ApiKeys.DESCRIBE_QUORUM,
                                new org.apache.kafka.common.protocol.ByteBufferAccessor(raw.body()), v);
                assertThat(raw.correlationId()).isEqualTo(7);
                assertThat(response.data().errorCode()).as("v%s", v).isZero();
                var partition = response.data().topics().get(0).partitions().get(0);
                assertThat(partition.leaderId()).as("v%s", v).isEqualTo(leader);
                assertThat(partition.currentVoters()).as("v%s", v).hasSize(3);
                assertThat(response.data().nodes()).as("v%s", v).hasSize(v >= 2 ? 3 : 0);
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aControllerIsElectedReplacedWhenKilledAndTheKilledBrokerIsFencedUntilItRejoins() throws Exception {
        voters = "1@127.0.0.1:" + freePort() + ",2@127.0.0.1:" + freePort() + ",3@127.0.0.1:" + freePort();
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        Admin all = admin(List.of(1, 2, 3));

        QuorumInfo first = await("a quorum leader with three voters", 90, () -> quorum(all),
                q -> q.leaderId() > 0 && q.voters().size() == 3 && q.voters().stream().allMatch(v -> v.logEndOffset() > 0));
        assertThat(first.voters()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(first.observers()).isEmpty();
        assertThat(first.highWatermark()).isPositive();
        assertThat(first.leaderEpoch()).isPositive();
        assertThat(first.nodes()).containsKeys(1, 2, 3);
        int leader = first.leaderId();
        everyVersionOfDescribeQuorumIsServed(brokers.get(leader == 1 ? 2 : 1).port(), leader);

        ClusterState three = await("three live brokers and the controller", 60, () -> cluster(all),
                c -> c.brokers().equals(Set.of(1, 2, 3)) && c.controller() == leader);
        assertThat(three.controller()).isEqualTo(leader);
        int follower = leader == 1 ? 2 : 1;
        assertThat(metrics(leader)).contains("chronik_controller_active 1.0");
        assertThat(metrics(follower)).contains("chronik_controller_active 0.0").contains("chronik_quorum_term");

        String firstIncarnation = incarnation(brokers.get(leader));
        assertThat(firstIncarnation).isNotNull();
        long killedAt = System.nanoTime();
        brokers.get(leader).kill();
        List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
        survivors.remove(Integer.valueOf(leader));
        Admin rest = admin(survivors);

        QuorumInfo second = await("a new quorum leader among the survivors", 60, () -> quorum(rest),
                q -> q.leaderId() > 0 && q.leaderId() != leader);
        long electedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertThat(second.leaderEpoch()).isGreaterThan(first.leaderEpoch());
        assertThat(electedMillis).as("time to a new controller").isLessThan(30_000);

        ClusterState two = await("the killed broker fenced after its session timeout", 60, () -> cluster(rest),
                c -> c.brokers().equals(Set.copyOf(survivors)) && c.controller() == second.leaderId());
        assertThat(two.brokers()).doesNotContain(leader);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt)).as("fenced only after the 4 s session timeout")
                .isGreaterThanOrEqualTo(4_000);

        ChildBroker restarted = start(leader);
        restarted.port();
        await("the restarted broker registered and unfenced", 90, () -> cluster(rest), c -> c.brokers().equals(Set.of(1, 2, 3)));
        String secondIncarnation = await("the restarted broker's incarnation", 10, () -> incarnation(restarted), i -> i != null);
        assertThat(secondIncarnation).isNotEqualTo(firstIncarnation);

        QuorumInfo rejoined = await("the restarted broker caught up as a voter", 60, () -> quorum(rest),
                q -> q.voters().stream().filter(v -> v.replicaId() == leader).allMatch(v -> v.logEndOffset() >= q.highWatermark()));
        assertThat(rejoined.leaderId()).isEqualTo(second.leaderId());
    }
}
