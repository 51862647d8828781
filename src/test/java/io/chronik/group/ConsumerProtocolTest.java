package io.chronik.group;

import io.chronik.protocol.Api;
import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The KIP-848 consumer protocol (group.protocol=consumer) with the Java client, next to classic groups. */
class ConsumerProtocolTest {
    @TempDir
    Path dataDir;

    private static final Map<String, String> FAST = Map.of("chronik.group.initial-rebalance-delay", "0s",
            "chronik.group.consumer-heartbeat-interval", "300ms", "chronik.group.consumer-session-timeout", "6s");

    private static Map<String, Object> config(String group, String assignor) {
        Map<String, Object> config = new HashMap<>(Map.of("group.id", group, "group.protocol", "consumer"));
        if (assignor != null) {
            config.put("group.remote.assignor", assignor);
        }
        return config;
    }

    private static boolean disjointAndComplete(List<KafkaConsumer<String, String>> consumers, int partitions, int each) {
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (KafkaConsumer<String, String> c : consumers) {
            if (c.assignment().size() != each) {
                return false;
            }
            all.addAll(c.assignment());
            total += c.assignment().size();
        }
        return all.size() == partitions && total == partitions;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "range"})
    void threeMembersShareSixPartitionsAndTheRestTakeOverWhenOneLeaves(String assignor) throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST)) {
            Clients.createTopic(broker, "kip848", 6);
            List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    KafkaConsumer<String, String> c = Clients.consumer(broker, config("g848-" + assignor, assignor));
                    c.subscribe(List.of("kip848"));
                    consumers.add(c);
                }
                Clients.pollUntil(consumers, () -> disjointAndComplete(consumers, 6, 2), "three members with two partitions each");
                consumers.remove(2).close(Duration.ofSeconds(10));
                Clients.pollUntil(consumers, () -> disjointAndComplete(consumers, 6, 3), "two members with three partitions each");
            } finally {
                consumers.forEach(c -> c.close(Duration.ofSeconds(5)));
            }
        }
    }

    @Test
    void commitsSurviveARestartAndAdminSeesConsumerAndClassicGroupsSideBySide() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST)) {
            Clients.createTopic(broker, "resume848", 2);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 40; i++) {
                    producer.send(new ProducerRecord<>("resume848", i % 2, "k", "v" + i));
                }
                producer.flush();
            }
            TopicPartition p0 = new TopicPartition("resume848", 0);
            TopicPartition p1 = new TopicPartition("resume848", 1);
            try (KafkaConsumer<String, String> modern = Clients.consumer(broker, config("g848-resume", null));
                 KafkaConsumer<String, String> classic = Clients.consumer(broker, Map.of("group.id", "g-classic-side",
                         "session.timeout.ms", "6000", "heartbeat.interval.ms", "500"));
                 Admin admin = Clients.admin(broker)) {
                modern.subscribe(List.of("resume848"));
                classic.subscribe(List.of("resume848"));
                Clients.pollUntil(List.of(modern, classic), () -> modern.assignment().size() == 2 && classic.assignment().size() == 2,
                        "both groups own both partitions");
                modern.commitSync(Map.of(p0, new OffsetAndMetadata(5, "m0"), p1, new OffsetAndMetadata(7, "m1")));

                Map<String, GroupListing> listed = new HashMap<>();
                admin.listGroups().all().get(30, TimeUnit.SECONDS).forEach(g -> listed.put(g.groupId(), g));
                assertThat(listed.get("g848-resume").type()).contains(GroupType.CONSUMER);
                assertThat(listed.get("g-classic-side").type()).contains(GroupType.CLASSIC);
                Map<String, ConsumerGroupDescription> described = admin.describeConsumerGroups(List.of("g848-resume", "g-classic-side"))
                        .all().get(30, TimeUnit.SECONDS);
                assertThat(described.get("g848-resume").type()).isEqualTo(GroupType.CONSUMER);
                assertThat(described.get("g848-resume").members()).singleElement()
                        .satisfies(m -> {
                            assertThat(m.assignment().topicPartitions()).containsExactlyInAnyOrder(p0, p1);
                            assertThat(m.host()).isEqualTo("/127.0.0.1");
                        });
                assertThat(described.get("g-classic-side").type()).isEqualTo(GroupType.CLASSIC);
                assertThat(described.get("g-classic-side").members()).hasSize(1);
            }
            broker.restart();
            try (KafkaConsumer<String, String> c = Clients.consumer(broker, config("g848-resume", null))) {
                c.subscribe(List.of("resume848"));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (records.size() < 28 && System.nanoTime() < deadline) {
                    c.poll(Duration.ofMillis(100)).forEach(records::add);
                }
                Map<Integer, Long> first = new HashMap<>();
                records.forEach(r -> first.putIfAbsent(r.partition(), r.offset()));
                assertThat(first).containsEntry(0, 5L).containsEntry(1, 7L);
                assertThat(c.committed(Set.of(p0, p1))).containsEntry(p0, new OffsetAndMetadata(5, "m0"));
            }
        }
    }

    @Test
    void aRestartedStaticMemberGetsItsPartitionsBackWithoutARebalance() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST); Admin admin = Clients.admin(broker)) {
            Clients.createTopic(broker, "static848", 4);
            Map<String, Object> a = new HashMap<>(config("g848-static", null));
            a.put("group.instance.id", "instance-a");
            Map<String, Object> b = new HashMap<>(config("g848-static", null));
            b.put("group.instance.id", "instance-b");
            KafkaConsumer<String, String> first = Clients.consumer(broker, a);
            try (KafkaConsumer<String, String> other = Clients.consumer(broker, b)) {
                first.subscribe(List.of("static848"));
                other.subscribe(List.of("static848"));
                Clients.pollUntil(List.of(first, other), () -> disjointAndComplete(List.of(first, other), 4, 2), "two partitions each");
                Set<TopicPartition> firstOwned = Set.copyOf(first.assignment());
                Set<TopicPartition> otherOwned = Set.copyOf(other.assignment());
                int epoch = admin.describeConsumerGroups(List.of("g848-static")).all().get(30, TimeUnit.SECONDS)
                        .get("g848-static").groupEpoch().orElseThrow();
                first.close(Duration.ofSeconds(10));

                try (KafkaConsumer<String, String> restarted = Clients.consumer(broker, a)) {
                    restarted.subscribe(List.of("static848"));
                    Clients.pollUntil(List.of(restarted, other), () -> restarted.assignment().size() == 2, "the restarted instance's partitions");
                    assertThat(restarted.assignment()).isEqualTo(firstOwned);
                    assertThat(other.assignment()).isEqualTo(otherOwned);
                    ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("g848-static")).all().get(30, TimeUnit.SECONDS)
                            .get("g848-static");
                    assertThat(group.groupEpoch()).as("no rebalance: the group epoch did not move").contains(epoch);
                    assertThat(group.members()).extracting(m -> m.groupInstanceId().orElse(null))
                            .containsExactlyInAnyOrder("instance-a", "instance-b");
                }
            }
        }
    }

    @Test
    void heartbeatVersionsAndFencing() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST); RawKafkaClient client = new RawKafkaClient(broker.port())) {
            Clients.createTopic(broker, "raw848", 3);
            for (short v = Api.CONSUMER_GROUP_HEARTBEAT.minVersion(); v <= Api.CONSUMER_GROUP_HEARTBEAT.maxVersion(); v++) {
                String group = "raw848-v" + v;
                ConsumerGroupHeartbeatRequestData join = new ConsumerGroupHeartbeatRequestData().setGroupId(group)
                        .setMemberId(v >= 1 ? "member-" + v : "").setMemberEpoch(0).setRebalanceTimeoutMs(10_000)
                        .setSubscribedTopicNames(List.of("raw848")).setTopicPartitions(List.of());
                ConsumerGroupHeartbeatResponseData joined = GroupProtocolMatrixTest.call(client, join, v);
                assertThat(joined.errorCode()).isZero();
                assertThat(joined.memberId()).isNotEmpty();
                assertThat(joined.memberEpoch()).isPositive();
                assertThat(joined.assignment().topicPartitions()).singleElement()
                        .satisfies(t -> assertThat(t.partitions()).containsExactly(0, 1, 2));
                ConsumerGroupHeartbeatResponseData stale = GroupProtocolMatrixTest.call(client, new ConsumerGroupHeartbeatRequestData()
                        .setGroupId(group).setMemberId(joined.memberId()).setMemberEpoch(joined.memberEpoch() + 3), v);
                assertThat(stale.errorCode()).isEqualTo(Errors.FENCED_MEMBER_EPOCH.code());
                ConsumerGroupHeartbeatResponseData unknown = GroupProtocolMatrixTest.call(client, new ConsumerGroupHeartbeatRequestData()
                        .setGroupId(group).setMemberId("nobody").setMemberEpoch(1), v);
                assertThat(unknown.errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
                ConsumerGroupHeartbeatResponseData staticJoin = GroupProtocolMatrixTest.call(client, new ConsumerGroupHeartbeatRequestData()
                        .setGroupId(group).setMemberId(v >= 1 ? "static-" + v : "").setMemberEpoch(0).setInstanceId("instance")
                        .setRebalanceTimeoutMs(10_000).setSubscribedTopicNames(List.of("raw848")).setTopicPartitions(List.of()), v);
                assertThat(staticJoin.errorCode()).isZero();
                ConsumerGroupHeartbeatResponseData duplicate = GroupProtocolMatrixTest.call(client, new ConsumerGroupHeartbeatRequestData()
                        .setGroupId(group).setMemberId(v >= 1 ? "impostor-" + v : "").setMemberEpoch(0).setInstanceId("instance")
                        .setRebalanceTimeoutMs(10_000).setSubscribedTopicNames(List.of("raw848")).setTopicPartitions(List.of()), v);
                assertThat(duplicate.errorCode()).as("an instance id in use").isEqualTo(Errors.UNRELEASED_INSTANCE_ID.code());
                ConsumerGroupHeartbeatResponseData left = GroupProtocolMatrixTest.call(client, new ConsumerGroupHeartbeatRequestData()
                        .setGroupId(group).setMemberId(joined.memberId()).setMemberEpoch(-1), v);
                assertThat(left.errorCode()).isZero();
                assertThat(left.memberEpoch()).isEqualTo(-1);
            }
        }
    }
}
