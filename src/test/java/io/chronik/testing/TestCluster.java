package io.chronik.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Brokers of one cluster as separate processes on 127.0.0.1, started as the cluster contract says (each with its
 * id, the voter list and its own data directory), with small heaps and timeouts short enough for tests: a 4 s
 * broker session, 500 ms heartbeats, a 5 s replica lag limit. Kills and restarts only its own processes; keeps
 * each broker's output under target/ for diagnosis.
 */
public final class TestCluster implements AutoCloseable {
    private final Path dir;
    private final String name;
    private final String voters;
    private final List<String> extraArgs;
    private final Map<Integer, ChildBroker> brokers = new TreeMap<>();
    private final List<Admin> admins = new ArrayList<>();
    /** Quorum addresses of the brokers started as observers (ids beyond the voters), kept across restarts. */
    private final Map<Integer, String> observerAddresses = new TreeMap<>();
    private int generation;

    private TestCluster(Path dir, String name, int size, List<String> extraArgs) throws IOException {
        this.dir = dir;
        this.name = name;
        this.extraArgs = extraArgs;
        List<String> list = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            list.add(id + "@127.0.0.1:" + freePort());
        }
        this.voters = String.join(",", list);
    }

    /** A cluster of {@code size} brokers (ids 1..size) none of which runs yet: start them with {@link #startBroker}. */
    public static TestCluster create(Path dir, String name, int size, String... extraArgs) throws IOException {
        return new TestCluster(dir, name, size, List.of(extraArgs));
    }

    /** Starts {@code size} brokers (ids 1..size) and waits until each has bound its Kafka port. */
    public static TestCluster start(Path dir, String name, int size, String... extraArgs) throws Exception {
        TestCluster cluster = new TestCluster(dir, name, size, List.of(extraArgs));
        for (int id = 1; id <= size; id++) {
            cluster.startBroker(id);
        }
        for (ChildBroker b : cluster.brokers.values()) {
            b.port();
        }
        cluster.awaitLiveBrokers(size, 90);
        return cluster;
    }

    /** Waits until the cluster lists {@code count} live (registered, unfenced) brokers. */
    public void awaitLiveBrokers(int count, int seconds) throws Exception {
        Admin admin = admin();
        await(count + " live brokers", seconds,
                () -> admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size(), n -> n == count);
    }

    /** Starts broker {@code id}; a broker started before comes back on the Kafka port it had. */
    public ChildBroker startBroker(int id) throws Exception {
        return startBroker(id, List.of());
    }

    /**
     * Starts broker {@code id} as an observer: a broker beyond the voters that follows the metadata quorum without
     * voting; restarted, it comes back on the same quorum address.
     */
    public ChildBroker startObserver(int id) throws Exception {
        String address = observerAddresses.get(id);
        if (address == null) {
            address = "127.0.0.1:" + freePort();
            observerAddresses.put(id, address);
        }
        return startBroker(id, List.of("--chronik.cluster.observer-address=" + address));
    }

    private ChildBroker startBroker(int id, List<String> more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--chronik.node-id=" + id, "--chronik.cluster.voters=" + voters,
                "--server.address=127.0.0.1",
                "--chronik.cluster.session-timeout=4s", "--chronik.cluster.heartbeat-interval=500ms",
                "--chronik.replication.lag-time-max=5s", "--chronik.replication.fetch-backoff=200ms"));
        // An extra argument replaces the default of the same key (Spring would join both values with a comma).
        args.removeIf(a -> extraArgs.stream().anyMatch(e -> e.startsWith(a.substring(0, a.indexOf('=') + 1))));
        args.addAll(extraArgs);
        args.addAll(more);
        ChildBroker previous = brokers.get(id);
        if (previous != null) {
            // A restarted broker comes back on its Kafka port, as a configured broker does, so clients that knew
            // the cluster before (bootstrap lists, cached metadata) find it again.
            args.add("--chronik.listener.port=" + previous.port());
        }
        ChildBroker broker = ChildBroker.start(dir.resolve("data-" + id),
                List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args.toArray(String[]::new));
        ChildBroker old = brokers.put(id, broker);
        if (old != null) {
            keepOutput(id, old);
        }
        return broker;
    }

    public ChildBroker broker(int id) {
        return brokers.get(id);
    }

    public Set<Integer> ids() {
        return brokers.keySet();
    }

    /** kill -9 of one broker this cluster started. */
    public void kill(int id) throws InterruptedException {
        brokers.get(id).kill();
    }

    /** The bootstrap list of the given brokers (all running ones when empty). */
    public String bootstrap(Integer... ids) throws Exception {
        Collection<Integer> which = ids.length == 0 ? brokers.keySet() : List.of(ids);
        List<String> list = new ArrayList<>();
        for (int id : which) {
            ChildBroker b = brokers.get(id);
            if (b.isAlive()) {
                list.add(b.bootstrapServers());
            }
        }
        return String.join(",", list);
    }

    public Admin admin() throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap());
        props.put("request.timeout.ms", "5000");
        props.put("default.api.timeout.ms", "15000");
        props.put("reconnect.backoff.max.ms", "500");
        props.put("metadata.max.age.ms", "1000");
        Admin admin = Admin.create(props);
        admins.add(admin);
        return admin;
    }

    public static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    }

    /** Waits until every partition of {@code topic} has a leader and an ISR of {@code isr} brokers. */
    public TopicDescription awaitIsr(Admin admin, String topic, int isr, int seconds) throws Exception {
        return await("ISR of " + isr + " for every partition of " + topic, seconds, () -> describe(admin, topic),
                d -> d.partitions().stream().allMatch(p -> p.leader() != null && p.leader().id() >= 0 && p.isr().size() == isr));
    }

    public static int leaderOf(TopicDescription description, int partition) {
        TopicPartitionInfo info = description.partitions().get(partition);
        return info.leader() == null ? -1 : info.leader().id();
    }

    public static Set<Integer> isrOf(TopicDescription description, int partition) {
        return description.partitions().get(partition).isr().stream().map(n -> n.id()).collect(Collectors.toSet());
    }

    /** Polls {@code read} until {@code done} holds, failing with the last value seen after {@code seconds}. */
    public static <T> T await(String what, int seconds, Check<T> read, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                T value = read.get();
                if (done.test(value)) {
                    return value;
                }
                last = value;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out after " + seconds + " s waiting for " + what + "; last seen: " + last);
    }

    public interface Check<T> {
        T get() throws Exception;
    }

    /** Ports this JVM has handed out: the kernel may offer a just-closed ephemeral port again at once. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            }
        }
        throw new IOException("no ephemeral port that was not handed out already after 100 attempts");
    }

    private void keepOutput(int id, ChildBroker broker) {
        try {
            Path out = Path.of("target", name);
            Files.createDirectories(out);
            Files.writeString(out.resolve("broker-" + id + "-" + (generation++) + ".log"), broker.output());
        } catch (IOException ignored) {
            // diagnosis only
        }
    }

    @Override
    public void close() throws InterruptedException {
        admins.forEach(a -> a.close(Duration.ofSeconds(2)));
        for (Map.Entry<Integer, ChildBroker> e : brokers.entrySet()) {
            e.getValue().close();
            keepOutput(e.getKey(), e.getValue());
        }
    }
}
