package io.chronik.group;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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

/** Consumer groups through the real Java client: assignment, rebalances, committed offsets across a restart. */
class ConsumerGroupTest {
    @TempDir
    Path dataDir;

    private static final Map<String, String> FAST_GROUPS = Map.of("chronik.group.initial-rebalance-delay", "0s");

    private static Map<String, Object> groupConfig(String group, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(Map.of("group.id", group, "session.timeout.ms", "6000",
                "heartbeat.interval.ms", "500", "max.poll.interval.ms", "60000"));
        config.putAll(extra);
        return config;
    }

    private static boolean disjointAndComplete(List<KafkaConsumer<String, String>> consumers, int partitions) {
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (KafkaConsumer<String, String> c : consumers) {
            if (c.assignment().isEmpty()) {
                return false;
            }
            all.addAll(c.assignment());
            total += c.assignment().size();
        }
        return all.size() == partitions && total == partitions;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"range", "cooperative-sticky", "static-membership"})
    void threeConsumersShareSixPartitionsAndRebalanceWhenOneCloses(String flavour) throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST_GROUPS)) {
            Clients.createTopic(broker, "shared", 6);
            List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Map<String, Object> extra = new HashMap<>();
                if (flavour.equals("cooperative-sticky")) {
                    extra.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
                }
                if (flavour.equals("static-membership")) {
                    extra.put("group.instance.id", "instance-" + i);
                }
                KafkaConsumer<String, String> c = Clients.consumer(broker, groupConfig("g-" + flavour, extra));
                c.subscribe(List.of("shared"));
                consumers.add(c);
            }
            try {
                Clients.pollUntil(consumers, () -> disjointAndComplete(consumers, 6), "three disjoint assignments covering 6 partitions");
                for (KafkaConsumer<String, String> c : consumers) {
                    assertThat(c.assignment()).hasSize(2);
                }
                KafkaConsumer<String, String> leaving = consumers.remove(2);
                leaving.close(Duration.ofSeconds(10));
                Clients.pollUntil(consumers, () -> disjointAndComplete(consumers, 6), "two consumers covering 6 partitions after a close");
            } finally {
                consumers.forEach(c -> c.close(Duration.ofSeconds(5)));
            }
        }
    }

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void aMemberKilledWithoutLeavingIsEvictedAfterItsSessionTimeout(String protocol) throws Exception {
        Map<String, String> settings = new HashMap<>(FAST_GROUPS);
        settings.put("chronik.group.consumer-session-timeout", "6s");
        settings.put("chronik.group.consumer-heartbeat-interval", "500ms");
        try (TestBroker broker = TestBroker.start(dataDir, settings)) {
            Clients.createTopic(broker, "evict", 4);
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), GroupMemberProcess.class.getName(),
                    broker.bootstrapServers(), "g-evict-" + protocol, "evict", protocol).redirectErrorStream(true).start();
            java.util.concurrent.atomic.AtomicInteger childAssigned = new java.util.concurrent.atomic.AtomicInteger(-1);
            Thread reader = new Thread(() -> {
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith("ASSIGNED ")) {
                            childAssigned.set(Integer.parseInt(line.substring(9).trim()));
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the child was killed
                }
            });
            reader.setDaemon(true);
            reader.start();
            Map<String, Object> survivorConfig = protocol.equals("consumer")
                    ? Map.of("group.id", "g-evict-consumer", "group.protocol", "consumer") : groupConfig("g-evict-classic", Map.of());
            try (KafkaConsumer<String, String> survivor = Clients.consumer(broker, survivorConfig)) {
                survivor.subscribe(List.of("evict"));
                Clients.pollUntil(List.of(survivor), () -> survivor.assignment().size() == 2 && childAssigned.get() == 2,
                        "the survivor and the child member sharing 4 partitions");
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                // No LeaveGroup was sent: only the session timeout can hand the child's partitions over.
                Clients.pollUntil(List.of(survivor), () -> survivor.assignment().size() == 4, "the survivor owning all 4 partitions");
            } finally {
                child.destroyForcibly();
            }
        }
    }

    @Test
    void committedOffsetsSurviveARestartAndANewConsumerResumesExactlyThere() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST_GROUPS)) {
            Clients.createTopic(broker, "resume", 2);
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("resume", i % 2, "k", "v" + i));
                }
                producer.flush();
            }
            Map<TopicPartition, OffsetAndMetadata> commit = Map.of(new TopicPartition("resume", 0), new OffsetAndMetadata(20, "meta-0"),
                    new TopicPartition("resume", 1), new OffsetAndMetadata(30, "meta-1"));
            try (KafkaConsumer<String, String> c = Clients.consumer(broker, groupConfig("g-resume", Map.of()))) {
                c.subscribe(List.of("resume"));
                Clients.pollUntil(List.of(c), () -> c.assignment().size() == 2, "assignment");
                c.commitSync(commit);
            }
            broker.restart();
            try (KafkaConsumer<String, String> c = Clients.consumer(broker, groupConfig("g-resume", Map.of()))) {
                assertThat(c.committed(commit.keySet())).isEqualTo(commit);
                c.subscribe(List.of("resume"));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (records.size() < 50 && System.nanoTime() < deadline) {
                    c.poll(Duration.ofMillis(100)).forEach(records::add);
                }
                assertThat(records).hasSize(50);
                Map<Integer, Long> first = new HashMap<>();
                records.forEach(r -> first.putIfAbsent(r.partition(), r.offset()));
                assertThat(first).containsEntry(0, 20L).containsEntry(1, 30L);
            }
        }
    }

    @Test
    void adminClientListsDescribesAltersAndDeletesGroupsAndOffsets() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, FAST_GROUPS); Admin admin = Clients.admin(broker)) {
            Clients.createTopic(broker, "adm", 2);
            TopicPartition p0 = new TopicPartition("adm", 0);
            TopicPartition p1 = new TopicPartition("adm", 1);
            try (KafkaConsumer<String, String> c = Clients.consumer(broker, groupConfig("g-admin", Map.of()))) {
                c.subscribe(List.of("adm"));
                Clients.pollUntil(List.of(c), () -> c.assignment().size() == 2, "assignment");
                c.commitSync(Map.of(p0, new OffsetAndMetadata(0), p1, new OffsetAndMetadata(0)));
                ConsumerGroupDescription described = admin.describeConsumerGroups(List.of("g-admin")).all()
                        .get(30, TimeUnit.SECONDS).get("g-admin");
                assertThat(described.members()).hasSize(1);
                assertThat(described.members().iterator().next().host()).isEqualTo("/127.0.0.1");
                assertThat(described.members().iterator().next().assignment().topicPartitions()).containsExactlyInAnyOrder(p0, p1);
                assertThat(described.groupState().toString()).isEqualToIgnoringCase("stable");
            }
            assertThat(admin.listGroups().all().get(30, TimeUnit.SECONDS)).extracting(GroupListing::groupId).contains("g-admin");
            admin.alterConsumerGroupOffsets("g-admin", Map.of(p0, new OffsetAndMetadata(0), p1, new OffsetAndMetadata(0)))
                    .all().get(30, TimeUnit.SECONDS);
            assertThat(admin.listConsumerGroupOffsets("g-admin").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS))
                    .containsEntry(p0, new OffsetAndMetadata(0)).containsEntry(p1, new OffsetAndMetadata(0));
            admin.deleteConsumerGroupOffsets("g-admin", Set.of(p1)).all().get(30, TimeUnit.SECONDS);
            assertThat(admin.listConsumerGroupOffsets("g-admin").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS))
                    .containsKey(p0).doesNotContainKey(p1);
            admin.deleteConsumerGroups(List.of("g-admin")).all().get(30, TimeUnit.SECONDS);
            assertThat(admin.listGroups().all().get(30, TimeUnit.SECONDS)).extracting(GroupListing::groupId).doesNotContain("g-admin");
        }
    }
}
