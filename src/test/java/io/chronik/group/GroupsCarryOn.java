package io.chronik.group;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check shared by the failover and restart tests: a classic group and a KIP-848 consumer group, two real
 * consumers each, consume a topic and settle; then the coordinator is disrupted (killed, or killed and restarted)
 * while they keep polling. Records produced afterwards reach them, and nothing shows a rebalance: no rebalance
 * callback, the same generation, member ids and member epochs, no record read twice, none skipped.
 */
final class GroupsCarryOn {
    interface Disruption {
        void run() throws Exception;
    }

    private GroupsCarryOn() {
    }

    static void check(String bootstrap, String topic, int partitions, String classic, String consumer, Disruption disruption)
            throws Exception {
        check(bootstrap, topic, partitions, classic, consumer, Map.of(), disruption);
    }

    /** With {@code clientProps} added to each consumer's configuration. */
    static void check(String bootstrap, String topic, int partitions, String classic, String consumer,
                      Map<String, String> clientProps, Disruption disruption) throws Exception {
        produce(bootstrap, topic, 0, 200);
        List<PollingMember> classics = List.of(new PollingMember(bootstrap, classic, "classic", topic, "classic-a", clientProps),
                new PollingMember(bootstrap, classic, "classic", topic, "classic-b", clientProps));
        List<PollingMember> consumers = List.of(new PollingMember(bootstrap, consumer, "consumer", topic, "consumer-a", clientProps),
                new PollingMember(bootstrap, consumer, "consumer", topic, "consumer-b", clientProps));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "request.timeout.ms", 5000,
                "default.api.timeout.ms", 20000, "metadata.max.age.ms", 1000))) {
            settle(admin, classic, classics, partitions, 200);
            settle(admin, consumer, consumers, partitions, 200);
            Map<String, List<Integer>> callbacks = callbacks(classics, consumers);
            List<Integer> generations = classics.stream().map(m -> m.generation).toList();
            assertThat(generations.get(0)).isPositive().isEqualTo(generations.get(1));
            List<String> classicIds = classics.stream().map(m -> m.memberId).toList();
            ConsumerGroupDescription before = admin.describeConsumerGroups(List.of(consumer)).all().get(20, TimeUnit.SECONDS)
                    .get(consumer);
            Map<String, Integer> epochsBefore = memberEpochs(before);

            disruption.run();
            produce(bootstrap, topic, 200, 200);

            for (List<PollingMember> group : List.of(classics, consumers)) {
                TestCluster.await("every record read by " + group.get(0).memberId, 120, () -> readValues(group).size(),
                        n -> n >= 400);
            }
            assertThat(callbacks(classics, consumers)).as("rebalance callbacks (assigned, revoked, lost) per member")
                    .isEqualTo(callbacks);
            assertThat(classics.stream().map(m -> m.generation).toList()).as("classic generation").isEqualTo(generations);
            assertThat(classics.stream().map(m -> m.memberId).toList()).as("classic member ids").isEqualTo(classicIds);
            ConsumerGroupDescription after = admin.describeConsumerGroups(List.of(consumer)).all().get(20, TimeUnit.SECONDS)
                    .get(consumer);
            assertThat(after.groupEpoch()).as("consumer group epoch").isEqualTo(before.groupEpoch());
            assertThat(memberEpochs(after)).as("consumer member epochs").isEqualTo(epochsBefore);
            ConsumerGroupDescription classicAfter = admin.describeConsumerGroups(List.of(classic)).all()
                    .get(20, TimeUnit.SECONDS).get(classic);
            assertThat(classicAfter.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(classicAfter.members()).extracting(MemberDescription::consumerId)
                    .containsExactlyInAnyOrderElementsOf(classicIds);
            for (List<PollingMember> group : List.of(classics, consumers)) {
                for (PollingMember m : group) {
                    assertThat(m.failure.get()).isNull();
                    m.read.forEach((value, times) -> assertThat(times).as("%s read by %s", value, m.memberId).isEqualTo(1));
                }
                Set<String> values = readValues(group);
                assertThat(values).hasSize(400);
                for (PollingMember a : group) {
                    for (PollingMember b : group) {
                        if (a != b) {
                            assertThat(a.read.keySet()).as("read by both members").doesNotContainAnyElementsOf(b.read.keySet());
                        }
                    }
                }
            }
        } finally {
            for (PollingMember m : classics) {
                m.close();
            }
            for (PollingMember m : consumers) {
                m.close();
            }
        }
    }

    /** Waits until the members together read {@code expected} records, hold every partition, and the group is Stable. */
    private static void settle(Admin admin, String group, List<PollingMember> members, int partitions, int expected)
            throws Exception {
        TestCluster.await(group + " reading everything, each member holding partitions", 120, () -> {
            Set<TopicPartition> held = new HashSet<>();
            members.forEach(m -> held.addAll(m.assignment));
            boolean everyone = members.stream().allMatch(m -> !m.assignment.isEmpty());
            return everyone && held.size() == partitions && readValues(members).size() >= expected;
        }, done -> done);
        TestCluster.await(group + " Stable", 60, () -> {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            return d.groupState() == GroupState.STABLE && d.members().size() == members.size();
        }, done -> done);
    }

    private static Map<String, Integer> memberEpochs(ConsumerGroupDescription description) {
        Map<String, Integer> epochs = new TreeMap<>();
        description.members().forEach(m -> epochs.put(m.consumerId(), m.memberEpoch().orElse(-1)));
        return epochs;
    }

    private static Map<String, List<Integer>> callbacks(List<PollingMember> classics, List<PollingMember> consumers) {
        Map<String, List<Integer>> all = new TreeMap<>();
        classics.forEach(m -> all.put("classic " + m.memberId, m.callbacks()));
        consumers.forEach(m -> all.put("consumer " + m.memberId, m.callbacks()));
        return all;
    }

    private static Set<String> readValues(List<PollingMember> members) {
        Set<String> values = new HashSet<>();
        members.forEach(m -> values.addAll(m.read.keySet()));
        return values;
    }

    static void produce(String bootstrap, String topic, int from, int count) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("linger.ms", "5");
        props.put("metadata.max.age.ms", "2000");
        props.put("delivery.timeout.ms", "120000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            List<Future<?>> sends = new ArrayList<>();
            for (int i = from; i < from + count; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, Integer.toString(i), "v-" + i)));
            }
            for (Future<?> send : sends) {
                send.get(120, TimeUnit.SECONDS);
            }
        }
    }
}
