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
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Committed offsets survive the death of their coordinator: a classic group and a KIP-848 consumer group, both
 * coordinated by the same broker, commit; that broker is killed (kill -9); FindCoordinator names the new leader of
 * the groups' __consumer_offsets partitions at every surviving broker, and a new consumer of each group resumes
 * exactly at the committed offsets (nothing read again, nothing skipped).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterGroupFailoverTest {
    private static final int BROKERS = 3;
    private static final String TOPIC = "failover";
    private static final int PARTITIONS = 3;

    @TempDir
    static Path dir;
    static TestCluster cluster;
    static Admin admin;
    static final Map<Integer, BrokerClient> clients = new TreeMap<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir, "cluster-group-failover-test", BROKERS);
        admin = cluster.admin();
        for (int id : cluster.ids()) {
            clients.put(id, new BrokerClient("127.0.0.1", cluster.broker(id).port(), ClientSettings.defaults("failover-test")));
        }
        ClusterGroupCoordinatorTest.awaitOffsetsTopic(cluster, admin, clients.get(1));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        clients.values().forEach(BrokerClient::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    private static int leaderOfGroup(Admin through, String group) throws Exception {
        return TestCluster.leaderOf(TestCluster.describe(through, OffsetsTopicStore.TOPIC), CoordinatorPlacement.partitionFor(group, 50));
    }

    /** The first name {@code prefix-i} whose coordinator is {@code broker}. */
    private static String groupCoordinatedBy(String prefix, int broker) throws Exception {
        for (int i = 0; i < 1000; i++) {
            if (leaderOfGroup(admin, prefix + i) == broker) {
                return prefix + i;
            }
        }
        throw new AssertionError("no group of " + prefix + " on broker " + broker);
    }

    /**
     * Members of a classic and of a KIP-848 group keep consuming while their coordinator is killed: the broker that
     * takes the offsets partition over loads the groups' membership, so nobody rejoins and nothing is reassigned.
     * The killed broker is started again afterwards.
     */
    @Test
    @Order(1)
    void membersCarryOnWithoutARebalanceWhenTheCoordinatorIsKilled() throws Exception {
        String topic = "carry-on";
        admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitIsr(admin, topic, 3, 60);
        String classic = "carry-on-classic-0";
        int coordinator = leaderOfGroup(admin, classic);
        String consumerGroup = groupCoordinatedBy("carry-on-848-", coordinator);
        try {
            GroupsCarryOn.check(cluster.bootstrap(), topic, PARTITIONS, classic, consumerGroup, () -> {
                cluster.kill(coordinator);
                TestCluster.await("a new coordinator of " + classic, 60, () -> leaderOfGroup(admin, classic),
                        l -> l >= 0 && l != coordinator);
            });
        } finally {
            if (!cluster.broker(coordinator).isAlive()) {
                cluster.startBroker(coordinator);
            }
            cluster.awaitLiveBrokers(BROKERS, 90);
            cluster.awaitIsr(admin, OffsetsTopicStore.TOPIC, 3, 90);
        }
    }

    @Test
    @Order(2)
    void groupsResumeFromTheirCommittedOffsetsAfterTheCoordinatorIsKilled() throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitIsr(admin, TOPIC, 3, 60);
        String classic = "failover-classic-0";
        int coordinator = leaderOfGroup(admin, classic);
        String consumerGroup = groupCoordinatedBy("failover-848-", coordinator);
        produce(0, 300);

        Map<TopicPartition, OffsetAndMetadata> classicCommitted = consumeAndCommit(classic, "classic", 300);
        Map<TopicPartition, OffsetAndMetadata> consumerCommitted = consumeAndCommit(consumerGroup, "consumer", 300);

        cluster.kill(coordinator);
        List<Integer> survivors = cluster.ids().stream().filter(id -> id != coordinator).toList();
        try (Admin atSurvivors = Admin.create(Map.of("bootstrap.servers", cluster.bootstrap(), "request.timeout.ms", 5000,
                "default.api.timeout.ms", 20000, "metadata.max.age.ms", 1000))) {
            // The groups' offsets partitions get a new leader, and every survivor names it.
            for (String group : List.of(classic, consumerGroup)) {
                int newLeader = TestCluster.await("a new leader of " + group + "'s offsets partition", 60,
                        () -> leaderOfGroup(atSurvivors, group), l -> l >= 0 && l != coordinator);
                for (int broker : survivors) {
                    int named = TestCluster.await("FindCoordinator for " + group + " at " + broker, 30,
                            () -> clients.get(broker).<FindCoordinatorResponseData>send(ApiKeys.FIND_COORDINATOR, (short) 3,
                                    new FindCoordinatorRequestData().setKey(group).setKeyType((byte) 0)).get(10, TimeUnit.SECONDS),
                            r -> r.errorCode() == Errors.NONE.code() && r.nodeId() == newLeader).nodeId();
                    assertThat(named).isEqualTo(newLeader);
                }
            }
            // The new coordinator serves exactly what was committed.
            assertThat(atSurvivors.listConsumerGroupOffsets(classic).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS))
                    .isEqualTo(classicCommitted);
            assertThat(atSurvivors.listConsumerGroupOffsets(consumerGroup).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS))
                    .isEqualTo(consumerCommitted);
        }

        produce(300, 60);
        resumeExactly(classic, "classic", classicCommitted, 60);
        resumeExactly(consumerGroup, "consumer", consumerCommitted, 60);
    }

    /** A new consumer of the group reads exactly the records after the committed offsets, then commits further. */
    private static void resumeExactly(String group, String protocol, Map<TopicPartition, OffsetAndMetadata> committed,
                                      int expected) throws Exception {
        Map<TopicPartition, Map<Long, String>> read = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = consumer(group, protocol)) {
            consumer.subscribe(List.of(TOPIC));
            pollUntil(consumer, read, expected);
            consumer.commitSync(Duration.ofSeconds(20));
        }
        assertThat(count(read)).as("records read by %s after the failover", group).isEqualTo(expected);
        read.forEach((tp, records) -> assertThat(records.keySet().iterator().next())
                .as("first offset read in %s by %s", tp, group).isEqualTo(committed.get(tp).offset()));
        try (Admin any = cluster.admin()) {
            Map<TopicPartition, OffsetAndMetadata> after = any.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            committed.forEach((tp, before) -> assertThat(after.get(tp).offset()).as("%s of %s", tp, group)
                    .isGreaterThanOrEqualTo(before.offset()));
            assertThat(after.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(300 + expected);
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> consumeAndCommit(String group, String protocol, int expected)
            throws Exception {
        Map<TopicPartition, Map<Long, String>> read = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = consumer(group, protocol)) {
            consumer.subscribe(List.of(TOPIC));
            pollUntil(consumer, read, expected);
            assertThat(count(read)).isEqualTo(expected);
            consumer.commitSync(Duration.ofSeconds(20));
        }
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
        assertThat(committed).hasSize(PARTITIONS);
        assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(expected);
        return committed;
    }

    private static void pollUntil(KafkaConsumer<String, String> consumer, Map<TopicPartition, Map<Long, String>> read,
                                  int expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && count(read) < expected) {
            poll(consumer, read);
        }
        // A few more polls: anything read twice, or beyond, would show now.
        for (int i = 0; i < 3; i++) {
            poll(consumer, read);
        }
    }

    private static KafkaConsumer<String, String> consumer(String group, String protocol) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrap());
        props.put("group.id", group);
        props.put("group.protocol", protocol);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", "false");
        props.put("metadata.max.age.ms", "2000");
        props.put("reconnect.backoff.max.ms", "500");
        if (protocol.equals("classic")) {
            props.put("session.timeout.ms", "10000");
            props.put("heartbeat.interval.ms", "500");
        }
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static void produce(int from, int count) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrap());
        props.put("acks", "all");
        props.put("linger.ms", "5");
        props.put("metadata.max.age.ms", "2000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (int i = from; i < from + count; i++) {
                sends.add(producer.send(new ProducerRecord<>(TOPIC, Integer.toString(i), "v-" + i)));
            }
            for (var send : sends) {
                send.get(30, TimeUnit.SECONDS);
            }
        }
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
