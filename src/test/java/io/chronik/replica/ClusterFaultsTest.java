package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three broker processes under faults, judged by what the clients get back: SIGTERM of two brokers one after the
 * other (controlled shutdown), kill -9 of the controller, kill -9 of all three brokers during acks=all production
 * (Java client), and kcat (librdkafka) and kafkajs producing and consuming across the kill of a partition's leader.
 * One cluster for all steps; each step starts with all three brokers running and live.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterFaultsTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;
    static Admin admin;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir, "cluster-faults-test", 3);
        admin = cluster.admin();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Whatever an earlier step left behind: every broker runs and is live again. */
    @BeforeEach
    void allBrokersRunning() throws Exception {
        for (int id : cluster.ids()) {
            if (!cluster.broker(id).isAlive()) {
                cluster.startBroker(id).port();
            }
        }
        cluster.awaitLiveBrokers(3, 90);
    }

    private static void createTopic(String topic, int partitions, int replicationFactor, Map<String, String> configs)
            throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) replicationFactor).configs(configs)))
                .all().get(30, TimeUnit.SECONDS);
    }

    private static int controllerId() throws Exception {
        return admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
    }

    /** Waits at most {@code seconds} for a description of {@code topic} that satisfies {@code done}. */
    private static TopicDescription awaitTopic(String what, String topic, int seconds,
                                               java.util.function.Predicate<TopicDescription> done) throws Exception {
        return TestCluster.await(what, seconds, () -> TestCluster.describe(admin, topic), done);
    }

    private static boolean nowhere(TopicDescription d, int broker) {
        return d.partitions().stream().allMatch(p -> (p.leader() == null || p.leader().id() != broker)
                && p.isr().stream().noneMatch(n -> n.id() == broker));
    }

    @Test
    @Order(1)
    void controlledShutdownOfTwoBrokersLeavesAnIsrOfOne() throws Exception {
        String topic = "guarded";
        createTopic(topic, 3, 3, Map.of("min.insync.replicas", "2"));
        cluster.awaitIsr(admin, topic, 3, 60);
        // First the controller itself, then another broker: both shutdowns go through the quorum while two of
        // its three voters are alive.
        int a = controllerId();
        int b = cluster.ids().stream().filter(id -> id != a).findFirst().orElseThrow();
        int c = cluster.ids().stream().filter(id -> id != a && id != b).findFirst().orElseThrow();
        Map<String, RecordMetadata> acked = new HashMap<>();

        // SIGTERM of A while an idempotent acks=all producer streams: it moves on without a failed send.
        ProducerStream all = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all", Map.of()), topic, "all", 20_000);
        all.awaitAcked(300, 30);
        terminateAndCheckHandedOver(a, topic);
        int before = all.acked().size();
        all.awaitAcked(before + 300, 30);
        all.stop(30);
        assertThat(all.failures()).as("acks=all sends that failed around the controlled shutdown of %d", a).isEmpty();
        acked.putAll(all.acked());
        TopicDescription afterA = TestCluster.describe(admin, topic);
        for (int p = 0; p < 3; p++) {
            assertThat(TestCluster.isrOf(afterA, p)).as("ISR of partition %d", p).containsExactlyInAnyOrder(b, c);
        }

        // SIGTERM of B while an acks=1 producer streams (acks=all must not work once it is gone).
        ProducerStream one = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "1", Map.of()), topic, "one", 20_000);
        one.awaitAcked(300, 30);
        terminateAndCheckHandedOver(b, topic);
        before = one.acked().size();
        one.awaitAcked(before + 300, 30);
        one.stop(30);
        assertThat(one.failures()).as("acks=1 sends that failed around the controlled shutdown of %d", b).isEmpty();
        acked.putAll(one.acked());

        TopicDescription alone = TestCluster.describe(admin, topic);
        for (int p = 0; p < 3; p++) {
            assertThat(TestCluster.leaderOf(alone, p)).as("leader of partition %d", p).isEqualTo(c);
            assertThat(TestCluster.isrOf(alone, p)).as("ISR of partition %d", p).containsExactly(c);
        }
        // An ISR of one below min.insync.replicas=2: acks=all is refused at once, acks=1 still works.
        try (KafkaProducer<String, String> noRetries = ClusterClients.producer(cluster.bootstrap(), "all",
                Map.of("enable.idempotence", "false", "retries", "0"))) {
            long start = System.nanoTime();
            Throwable refused = catchThrowable(() -> noRetries.send(new ProducerRecord<>(topic, 0, "k", "refused"))
                    .get(30, TimeUnit.SECONDS));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(refused).isInstanceOf(ExecutionException.class);
            assertThat(refused.getCause()).isInstanceOf(NotEnoughReplicasException.class);
            assertThat(tookMs).as("refused without waiting for a timeout").isLessThan(5_000);
        }
        try (KafkaProducer<String, String> acks1 = ClusterClients.producer(cluster.bootstrap(), "1", Map.of())) {
            RecordMetadata md = acks1.send(new ProducerRecord<>(topic, 0, "k", "acks1-alone")).get(30, TimeUnit.SECONDS);
            acked.put("acks1-alone", md);
        }

        // A and B come back: they catch up, every ISR is whole again, and acks=all works again.
        cluster.startBroker(a);
        cluster.startBroker(b);
        cluster.awaitLiveBrokers(3, 90);
        cluster.awaitIsr(admin, topic, 3, 90);
        try (KafkaProducer<String, String> again = ClusterClients.producer(cluster.bootstrap(), "all", Map.of())) {
            for (int p = 0; p < 3; p++) {
                String value = "all-again-" + p;
                acked.put(value, again.send(new ProducerRecord<>(topic, p, value, value)).get(30, TimeUnit.SECONDS));
            }
        }
        Map<Integer, TreeMap<Long, String>> read = ClusterClients.readToEnd(cluster.bootstrap(), topic, 3, 60);
        ClusterClients.assertAcknowledgedAtTheirOffsets(acked, read);
    }

    /**
     * SIGTERM of {@code id}; once the process has exited, the metadata shows it out of every ISR and leading
     * nothing at once, well before its session could have timed out (so it was the controlled shutdown).
     */
    private static void terminateAndCheckHandedOver(int id, String topic) throws Exception {
        cluster.broker(id).terminate();
        Integer exit = cluster.broker(id).awaitExit(60, TimeUnit.SECONDS);
        assertThat(exit).as("broker %d exited after SIGTERM", id).isNotNull();
        long exited = System.nanoTime();
        awaitTopic("broker " + id + " out of every ISR and leadership of " + topic, topic, 2, d -> nowhere(d, id));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - exited)).isLessThan(3_000);
        TestCluster.await("broker " + id + "'s controlled shutdown in its log (it exited " + exit + ")", 5,
                () -> cluster.broker(id).output(), out -> out.contains("Controlled shutdown: broker " + id + " left every ISR"));
    }

    @Test
    @Order(2)
    void topicsCanBeCreatedSecondsAfterTheControllerIsKilled() throws Exception {
        int controller = controllerId();
        int quorumLeader = admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
        assertThat(controller).as("the controller is the metadata quorum's leader").isEqualTo(quorumLeader);

        cluster.kill(controller);
        long killed = System.nanoTime();
        String topic = "after-controller-kill";
        TestCluster.await("CreateTopics after the controller's kill", 30, () -> {
            try {
                createTopic(topic, 3, 2, Map.of());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) { // an earlier attempt that did commit
                    throw e;
                }
            }
            return true;
        }, created -> created);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        System.out.printf("CreateTopics worked %d ms after the controller (broker %d) was killed%n", tookMs, controller);
        assertThat(tookMs).as("topic creation works again within seconds").isLessThan(20_000);
        int newController = TestCluster.await("a new controller", 15, ClusterFaultsTest::controllerId,
                id -> id >= 0 && id != controller);
        assertThat(admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId()).isEqualTo(newController);

        Map<String, RecordMetadata> acked = new HashMap<>();
        try (KafkaProducer<String, String> producer = ClusterClients.producer(cluster.bootstrap(), "all", Map.of())) {
            List<java.util.concurrent.Future<RecordMetadata>> sends = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, "v-" + i, "v-" + i)));
            }
            for (int i = 0; i < sends.size(); i++) {
                acked.put("v-" + i, sends.get(i).get(60, TimeUnit.SECONDS));
            }
        }
        Map<Integer, TreeMap<Long, String>> read = ClusterClients.readToEnd(cluster.bootstrap(), topic, 3, 60);
        ClusterClients.assertAcknowledgedAtTheirOffsets(acked, read);
        assertThat(read.values().stream().mapToInt(Map::size).sum()).isEqualTo(300);
    }

    @Test
    @Order(3)
    void everyAcknowledgedRecordSurvivesTheKillOfAllThreeBrokers() throws Exception {
        String topic = "all-down";
        createTopic(topic, 3, 3, Map.of("min.insync.replicas", "2"));
        cluster.awaitIsr(admin, topic, 3, 60);
        ProducerStream stream = new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all",
                Map.of("delivery.timeout.ms", "20000")), topic, "d", 50_000);
        stream.awaitAcked(1500, 60);
        for (int id : cluster.ids()) {
            cluster.kill(id);
        }
        stream.abort();
        Map<String, RecordMetadata> acked = Map.copyOf(stream.acked());
        System.out.printf("%d records acknowledged of %d sent before all three brokers were killed%n", acked.size(), stream.sent());

        for (int id : cluster.ids()) {
            cluster.startBroker(id);
        }
        cluster.awaitLiveBrokers(3, 90);
        cluster.awaitIsr(admin, topic, 3, 90);
        Map<Integer, TreeMap<Long, String>> read = ClusterClients.readToEnd(cluster.bootstrap(), topic, 3, 60);
        ClusterClients.assertAcknowledgedAtTheirOffsets(acked, read);
        Set<String> values = new HashSet<>();
        for (TreeMap<Long, String> partition : read.values()) {
            for (String value : partition.values()) {
                assertThat(values.add(value)).as("value %s once", value).isTrue();
            }
        }
    }

    // ---- non-Java clients: librdkafka through kcat, and kafkajs ----

    /** Every broker's address, dead or alive: clients are given the whole cluster, as an operator would. */
    private static String allBrokers() throws Exception {
        List<String> list = new ArrayList<>();
        for (int id : cluster.ids()) {
            list.add(cluster.broker(id).bootstrapServers());
        }
        return String.join(",", list);
    }

    private static boolean onPath(String tool) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    /** Runs {@code command} with {@code input} on its stdin; returns its stdout, failing on a non-zero exit. */
    private static String run(List<String> command, Map<String, String> env, String input) throws Exception {
        File err = Files.createTempFile(dir, "stderr", ".txt").toFile();
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(err);
        builder.environment().putAll(env);
        Process process = builder.start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean done = process.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            process.toHandle().destroyForcibly();
        }
        String errors = Files.readString(err.toPath());
        assertThat(done).as("%s finished in time; stderr:%n%s", command.get(0), errors).isTrue();
        assertThat(process.exitValue()).as("%s exit code; stdout:%n%s%nstderr:%n%s", command, output, errors).isZero();
        return output;
    }

    /**
     * A topic of one partition, RF 3, min.insync.replicas=2, led by the controller (the hardest broker to lose:
     * clients also send it admin requests and, for kafkajs, InitProducerId); returns the partition's leader.
     */
    private static int singlePartitionTopic(String topic) throws Exception {
        int controller = controllerId();
        List<Integer> replicas = new ArrayList<>(List.of(controller));
        cluster.ids().stream().filter(id -> id != controller).forEach(replicas::add);
        admin.createTopics(List.of(new NewTopic(topic, Map.of(0, replicas)).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        int leader = TestCluster.leaderOf(cluster.awaitIsr(admin, topic, 3, 60), 0);
        assertThat(leader).isEqualTo(controller);
        return leader;
    }

    private static List<String> values(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
    }

    private static void kcatProduce(String topic, List<String> values) throws Exception {
        run(List.of("kcat", "-b", allBrokers(), "-t", topic, "-p", "0", "-P", "-X", "acks=all",
                "-X", "message.timeout.ms=60000", "-X", "topic.metadata.refresh.interval.ms=1000",
                "-X", "reconnect.backoff.max.ms=500"), Map.of(), String.join("\n", values) + "\n");
    }

    /** Partition 0 of {@code topic} from the beginning to its end, as "offset value" lines. */
    private static List<String> kcatConsume(String topic) throws Exception {
        String out = run(List.of("kcat", "-b", allBrokers(), "-t", topic, "-p", "0", "-C", "-o", "beginning", "-e",
                "-f", "%o %s\\n", "-X", "topic.metadata.refresh.interval.ms=1000"), Map.of(), "");
        return out.lines().toList();
    }

    private static List<String> numbered(List<String> values) {
        return IntStream.range(0, values.size()).mapToObj(i -> i + " " + values.get(i)).toList();
    }

    @Test
    @Order(4)
    void kcatProducesAndConsumesAcrossTheLeadersKill() throws Exception {
        assumeTrue(onPath("kcat"), "kcat is not installed (apt-get install kcat)");
        String topic = "kcat-rf3";
        int leader = singlePartitionTopic(topic);
        List<String> expected = new ArrayList<>(values("before", 200));
        kcatProduce(topic, values("before", 200));
        assertThat(kcatConsume(topic)).containsExactlyElementsOf(numbered(expected));

        cluster.kill(leader);
        kcatProduce(topic, values("after", 200));
        expected.addAll(values("after", 200));
        assertThat(kcatConsume(topic)).containsExactlyElementsOf(numbered(expected));
        assertThat(TestCluster.leaderOf(TestCluster.describe(admin, topic), 0)).isNotEqualTo(leader);
    }

    private static String kafkajs(String topic, String prefix, int count, int expect) throws Exception {
        return run(List.of("node", "compat/kafkajs/cluster.js"), Map.of("BOOTSTRAP", allBrokers(), "TOPIC", topic,
                "PREFIX", prefix, "COUNT", Integer.toString(count), "EXPECT", Integer.toString(expect),
                "KAFKAJS_NO_PARTITIONER_WARNING", "1"), "");
    }

    @Test
    @Order(5)
    void kafkajsProducesAndConsumesAcrossTheLeadersKill() throws Exception {
        assumeTrue(onPath("node"), "node is not installed");
        assumeTrue(Files.isDirectory(Path.of("compat/kafkajs/node_modules/kafkajs")), "run npm ci in compat/kafkajs");
        String topic = "kafkajs-rf3";
        int leader = singlePartitionTopic(topic);
        assertThat(kafkajs(topic, "before", 200, 200)).contains("\"acked\":200,\"read\":200,\"misplaced\":0,\"dupes\":0");

        cluster.kill(leader);
        assertThat(kafkajs(topic, "after", 200, 400)).contains("\"acked\":200,\"read\":400,\"misplaced\":0,\"dupes\":0");
        assertThat(TestCluster.leaderOf(TestCluster.describe(admin, topic), 0)).isNotEqualTo(leader);
    }
}
