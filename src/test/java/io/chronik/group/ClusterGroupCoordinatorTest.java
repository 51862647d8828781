package io.chronik.group;

import io.chronik.client.BrokerClient;
import io.chronik.client.ClientSettings;
import io.chronik.handler.CoordinatorPlacement;
import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Consumer groups in a cluster of three broker processes: every broker names the same coordinator for a group (the
 * leader of its partition of the internal {@code __consumer_offsets} topic, created on the first lookup), the other
 * brokers answer NOT_COORDINATOR, two consumers of
 * one group bootstrapped from different brokers end in the same group and share the partitions, and the committed
 * offsets are there when a consumer of the group comes back.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterGroupCoordinatorTest {
    private static final int BROKERS = 3;

    @TempDir
    static Path dir;
    static TestCluster cluster;
    static Admin admin;
    static final Map<Integer, BrokerClient> clients = new TreeMap<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir, "cluster-group-coordinator-test", BROKERS);
        admin = cluster.admin();
        for (int id : cluster.ids()) {
            clients.put(id, new BrokerClient("127.0.0.1", cluster.broker(id).port(), ClientSettings.defaults("group-test")));
        }
        awaitOffsetsTopic(cluster, admin, clients.get(1));
    }

    /** The first FindCoordinator creates __consumer_offsets; waits until every partition has its three replicas in sync. */
    static void awaitOffsetsTopic(TestCluster cluster, Admin admin, BrokerClient client) throws Exception {
        TestCluster.await("a coordinator for a first group", 60, () -> client.<FindCoordinatorResponseData>send(
                ApiKeys.FIND_COORDINATOR, (short) 3, new FindCoordinatorRequestData().setKey("first").setKeyType((byte) 0))
                .get(15, TimeUnit.SECONDS).errorCode(), code -> code == Errors.NONE.code());
        cluster.awaitIsr(admin, OffsetsTopicStore.TOPIC, BROKERS, 90);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        clients.values().forEach(BrokerClient::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The leader of the group's partition of __consumer_offsets (Kafka's default 50 partitions). */
    private static int expectedCoordinator(String groupId) throws Exception {
        return TestCluster.leaderOf(TestCluster.describe(admin, OffsetsTopicStore.TOPIC), CoordinatorPlacement.partitionFor(groupId, 50));
    }

    @Test
    void theOffsetsTopicIsInternalCompactedAndReplicated() throws Exception {
        org.apache.kafka.clients.admin.TopicDescription offsets = TestCluster.describe(admin, OffsetsTopicStore.TOPIC);
        assertThat(offsets.isInternal()).isTrue();
        assertThat(offsets.partitions()).hasSize(50);
        assertThat(offsets.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(BROKERS));
        org.apache.kafka.common.config.ConfigResource resource = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, OffsetsTopicStore.TOPIC);
        assertThat(admin.describeConfigs(List.of(resource)).all().get(15, TimeUnit.SECONDS).get(resource)
                .get("cleanup.policy").value()).isEqualTo("compact");
        // Internal topics are left out of a plain listing, as in Kafka.
        assertThat(admin.listTopics().names().get(15, TimeUnit.SECONDS)).doesNotContain(OffsetsTopicStore.TOPIC);
        assertThat(admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names()
                .get(15, TimeUnit.SECONDS)).contains(OffsetsTopicStore.TOPIC);
    }

    private static <R> R send(int broker, ApiKeys api, int version, org.apache.kafka.common.protocol.ApiMessage body) throws Exception {
        return clients.get(broker).<org.apache.kafka.common.protocol.ApiMessage>send(api, (short) version, body)
                .thenApply(r -> {
                    @SuppressWarnings("unchecked") R cast = (R) r;
                    return cast;
                }).get(15, TimeUnit.SECONDS);
    }

    @Test
    void everyBrokerNamesTheSameCoordinator() throws Exception {
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            groups.add("placed-" + i);
        }
        Set<Integer> coordinators = new HashSet<>();
        for (int broker : cluster.ids()) {
            // Version 3: one key per request.
            for (String group : groups) {
                FindCoordinatorResponseData single = send(broker, ApiKeys.FIND_COORDINATOR, 3,
                        new FindCoordinatorRequestData().setKey(group).setKeyType((byte) 0));
                int expected = expectedCoordinator(group);
                assertThat(single.errorCode()).as("%s asked at %d", group, broker).isEqualTo(Errors.NONE.code());
                assertThat(single.nodeId()).as("coordinator of %s asked at %d", group, broker).isEqualTo(expected);
                assertThat(single.port()).isEqualTo(cluster.broker(expected).port());
                assertThat(single.host()).isEqualTo("127.0.0.1");
                coordinators.add(single.nodeId());
            }
            // Version 4 and later: keys batched.
            FindCoordinatorResponseData batched = send(broker, ApiKeys.FIND_COORDINATOR, 6,
                    new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(groups));
            assertThat(batched.coordinators()).hasSize(groups.size());
            for (FindCoordinatorResponseData.Coordinator c : batched.coordinators()) {
                assertThat(c.errorCode()).isEqualTo(Errors.NONE.code());
                assertThat(c.nodeId()).as("coordinator of %s asked at %d", c.key(), broker).isEqualTo(expectedCoordinator(c.key()));
                assertThat(c.port()).isEqualTo(cluster.broker(c.nodeId()).port());
            }
        }
        assertThat(coordinators).as("groups spread over the brokers").hasSizeGreaterThan(1);
    }

    private static Admin adminOf(int broker) throws Exception {
        return Admin.create(Map.of("bootstrap.servers", cluster.bootstrap(broker), "request.timeout.ms", 5000,
                "default.api.timeout.ms", 15000));
    }

    @Test
    void offsetsOfATopicTheCoordinatorDoesNotHost() throws Exception {
        String group = "remote-offsets";
        int coordinator = expectedCoordinator(group);
        int host = coordinator % BROKERS + 1;
        String topic = "hosted-elsewhere";
        admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(host))))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitIsr(admin, topic, 1, 60);
        TopicPartition tp = new TopicPartition(topic, 0);
        // Committed through an admin client that starts at the topic's broker, read back through each broker alone.
        try (Admin atHost = adminOf(host)) {
            atHost.alterConsumerGroupOffsets(group, Map.of(tp, new OffsetAndMetadata(42, "m"))).all().get(15, TimeUnit.SECONDS);
        }
        for (int broker : cluster.ids()) {
            try (Admin single = adminOf(broker)) {
                Map<TopicPartition, OffsetAndMetadata> offsets = single.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(15, TimeUnit.SECONDS);
                assertThat(offsets).as("offsets read through broker %d", broker).containsEntry(tp, new OffsetAndMetadata(42, "m"));
            }
        }
    }

    @Test
    void groupRequestsAtAnotherBrokerGetNotCoordinator() throws Exception {
        String group = "misdirected";
        int coordinator = expectedCoordinator(group);
        JoinGroupRequestData join = new JoinGroupRequestData().setGroupId(group).setMemberId("").setProtocolType("consumer")
                .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000)
                .setProtocols(new JoinGroupRequestData.JoinGroupRequestProtocolCollection(List.of(
                        new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                                .setMetadata("x".getBytes(StandardCharsets.UTF_8))).iterator()));
        for (int broker : cluster.ids()) {
            if (broker == coordinator) {
                continue;
            }
            JoinGroupResponseData wrong = send(broker, ApiKeys.JOIN_GROUP, 9, join.duplicate());
            assertThat(Errors.forCode(wrong.errorCode())).as("JoinGroup at %d", broker).isEqualTo(Errors.NOT_COORDINATOR);
            JoinGroupResponseData old = send(broker, ApiKeys.JOIN_GROUP, 2, join.duplicate());
            assertThat(Errors.forCode(old.errorCode())).as("JoinGroup v2 at %d", broker).isEqualTo(Errors.NOT_COORDINATOR);
            HeartbeatResponseData heartbeat = send(broker, ApiKeys.HEARTBEAT, 4,
                    new HeartbeatRequestData().setGroupId(group).setGenerationId(1).setMemberId("m"));
            assertThat(Errors.forCode(heartbeat.errorCode())).isEqualTo(Errors.NOT_COORDINATOR);
            OffsetFetchResponseData fetched = send(broker, ApiKeys.OFFSET_FETCH, 9, new OffsetFetchRequestData()
                    .setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group).setTopics(null))));
            assertThat(Errors.forCode(fetched.groups().get(0).errorCode())).isEqualTo(Errors.NOT_COORDINATOR);
        }
        // The coordinator itself takes the join: a first JoinGroup (v4+) without member id is asked to rejoin with one.
        JoinGroupResponseData right = send(coordinator, ApiKeys.JOIN_GROUP, 9, join.duplicate());
        assertThat(Errors.forCode(right.errorCode())).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        assertThat(right.memberId()).isNotEmpty();
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap, String group, String protocol) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", group);
        props.put("group.protocol", protocol);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", "false");
        props.put("metadata.max.age.ms", "2000");
        if (protocol.equals("classic")) {
            props.put("session.timeout.ms", "10000");
            props.put("heartbeat.interval.ms", "500");
        }
        props.put("max.poll.records", "100");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static void produce(String topic, int from, int count) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrap());
        props.put("acks", "all");
        props.put("linger.ms", "5");
        props.put("metadata.max.age.ms", "2000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (int i = from; i < from + count; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, Integer.toString(i), "v-" + i)));
            }
            for (var send : sends) {
                send.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void consumersBootstrappedFromDifferentBrokersShareOneClassicGroup() throws Exception {
        shareOneGroup("shared", "sharing-group", "classic");
    }

    @Test
    void consumersBootstrappedFromDifferentBrokersShareOneConsumerProtocolGroup() throws Exception {
        shareOneGroup("shared-848", "sharing-group-848", "consumer");
    }

    private static void shareOneGroup(String topic, String group, String protocol) throws Exception {
        int partitions = 6;
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 3))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitIsr(admin, topic, 3, 60);

        // Bootstrapped from one broker each: at least one of them is not the group's coordinator.
        KafkaConsumer<String, String> a = consumer(cluster.bootstrap(1), group, protocol);
        KafkaConsumer<String, String> b = consumer(cluster.bootstrap(2), group, protocol);
        Map<TopicPartition, Map<Long, String>> readByA = new HashMap<>();
        Map<TopicPartition, Map<Long, String>> readByB = new HashMap<>();
        try {
            a.subscribe(List.of(topic));
            b.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && !(a.assignment().size() == 3 && b.assignment().size() == 3)) {
                poll(a, readByA);
                poll(b, readByB);
            }
            assertThat(a.assignment()).as("partitions of the consumer from broker 1").hasSize(3);
            assertThat(b.assignment()).as("partitions of the consumer from broker 2").hasSize(3);
            assertThat(a.assignment()).doesNotContainAnyElementsOf(b.assignment());

            int total = 600;
            produce(topic, 0, total);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && count(readByA) + count(readByB) < total) {
                poll(a, readByA);
                poll(b, readByB);
            }
            // A few more polls: anything read twice would show now.
            for (int i = 0; i < 3; i++) {
                poll(a, readByA);
                poll(b, readByB);
            }
            assertThat(count(readByA) + count(readByB)).as("records read by both consumers").isEqualTo(total);
            assertThat(readByA.keySet()).as("partitions read by both").doesNotContainAnyElementsOf(readByB.keySet());
            assertThat(count(readByA)).isPositive();
            assertThat(count(readByB)).isPositive();
            Set<String> values = new HashSet<>();
            readByA.values().forEach(m -> values.addAll(m.values()));
            readByB.values().forEach(m -> values.addAll(m.values()));
            assertThat(values).hasSize(total);
            a.commitSync(Duration.ofSeconds(15));
            b.commitSync(Duration.ofSeconds(15));
        } finally {
            a.close(Duration.ofSeconds(5));
            b.close(Duration.ofSeconds(5));
        }

        // Committed offsets are at the coordinator, whichever broker the admin client starts from.
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(15, TimeUnit.SECONDS);
        assertThat(committed).hasSize(partitions);
        assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(600);

        // A consumer of the group restarts, bootstrapped from the third broker: it goes on from the committed offsets.
        produce(topic, 600, 60);
        Map<TopicPartition, Map<Long, String>> readAfter = new HashMap<>();
        try (KafkaConsumer<String, String> c = consumer(cluster.bootstrap(3), group, protocol)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && count(readAfter) < 60) {
                poll(c, readAfter);
            }
            for (int i = 0; i < 3; i++) {
                poll(c, readAfter);
            }
        }
        assertThat(count(readAfter)).as("records read after the restart").isEqualTo(60);
        readAfter.forEach((tp, records) -> records.keySet().forEach(offset ->
                assertThat(offset).as("offset read in %s", tp).isGreaterThanOrEqualTo(committed.get(tp).offset())));
    }

    private static void poll(KafkaConsumer<String, String> consumer, Map<TopicPartition, Map<Long, String>> read) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            String before = read.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new TreeMap<>())
                    .put(r.offset(), r.value());
            assertThat(before).as("%s-%d offset %d read twice", r.topic(), r.partition(), r.offset()).isNull();
        }
    }

    private static int count(Map<TopicPartition, Map<Long, String>> read) {
        return read.values().stream().mapToInt(Map::size).sum();
    }
}
