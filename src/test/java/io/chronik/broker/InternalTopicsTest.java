package io.chronik.broker;

import io.chronik.testing.TestBroker;
import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The coordinators' internal topics as Kafka 4.x treats them: a client's Produce is refused with
 * INVALID_TOPIC_EXCEPTION, Metadata lists them as internal, and a cluster answers DeleteTopics and CreatePartitions as
 * Kafka's KRaft controller does (it accepts both: the internal topic is deleted, or grows, as any other). A broker
 * alone grows them too but refuses to delete them (its coordinators keep them for their whole life).
 */
class InternalTopicsTest {
    private static final String OFFSETS = "__consumer_offsets";
    private static final String TRANSACTIONS = "__transaction_state";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aBrokerAloneTreatsInternalTopicsAsKafkaDoes() throws Exception {
        try (TestBroker broker = TestBroker.start(dir)) {
            check(broker.bootstrapServers(), 1, false);
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aClusterTreatsInternalTopicsAsKafkaDoes() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "internal", 3)) {
            check(cluster.bootstrap(), 3, true);
        }
    }

    private static void check(String bootstrap, int replicas, boolean cluster) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic("data", 1, (short) replicas))).all().get(30, TimeUnit.SECONDS);
            TopicPartition data = new TopicPartition("data", 0);
            // Both internal topics come to exist the way clients make them: a committed offset, a transactional producer.
            admin.alterConsumerGroupOffsets("g1", Map.of(data, new OffsetAndMetadata(0))).all().get(60, TimeUnit.SECONDS);
            try (KafkaProducer<String, String> txn = producer(bootstrap, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "t1"))) {
                txn.initTransactions();
            }

            // Produce by a client: refused, as Kafka refuses every client id but its own admin tools'.
            try (KafkaProducer<String, String> producer = producer(bootstrap, Map.of())) {
                for (String topic : List.of(OFFSETS, TRANSACTIONS)) {
                    assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get(60, TimeUnit.SECONDS))
                            .as(topic).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidTopicException.class);
                }
                // The same producer still writes an ordinary topic.
                assertThat(producer.send(new ProducerRecord<>("data", 0, "k", "v")).get(60, TimeUnit.SECONDS).offset()).isZero();
            }

            // DeleteRecords by a client: refused the same way, and the committed offset is still there.
            for (String topic : List.of(OFFSETS, TRANSACTIONS)) {
                assertThatThrownBy(() -> admin.deleteRecords(Map.of(new TopicPartition(topic, 0),
                        RecordsToDelete.beforeOffset(1))).all().get(60, TimeUnit.SECONDS))
                        .as(topic).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidTopicException.class);
            }
            assertThat(admin.listConsumerGroupOffsets("g1").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                    .get(data).offset()).isZero();

            // Metadata: listed as internal, left out of a plain topic listing.
            assertThat(admin.describeTopics(List.of(OFFSETS, TRANSACTIONS)).allTopicNames().get(30, TimeUnit.SECONDS).values())
                    .allSatisfy(d -> assertThat(d.isInternal()).as(d.name()).isTrue());
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("data").doesNotContain(OFFSETS, TRANSACTIONS);
            assertThat(admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS))
                    .contains(OFFSETS, TRANSACTIONS);

            // CreatePartitions: Kafka's controller grows an internal topic like any other.
            int before = admin.describeTopics(List.of(TRANSACTIONS)).allTopicNames().get(30, TimeUnit.SECONDS).get(TRANSACTIONS).partitions().size();
            admin.createPartitions(Map.of(TRANSACTIONS, NewPartitions.increaseTo(before + 1))).all().get(60, TimeUnit.SECONDS);
            assertThat(TestCluster.await("the grown " + TRANSACTIONS, 60,
                    () -> admin.describeTopics(List.of(TRANSACTIONS)).allTopicNames().get(30, TimeUnit.SECONDS).get(TRANSACTIONS).partitions().size(),
                    n -> n == before + 1)).isEqualTo(before + 1);

            if (!cluster) {
                // A broker alone keeps its internal topics: DeleteTopics is refused, the committed offset stays.
                for (String topic : List.of(OFFSETS, TRANSACTIONS)) {
                    assertThatThrownBy(() -> admin.deleteTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS))
                            .as(topic).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidTopicException.class);
                }
                assertThat(admin.listConsumerGroupOffsets("g1").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(data).offset())
                        .isZero();
                return;
            }
            // DeleteTopics: Kafka's controller deletes an internal topic (the groups' offsets and the transactions go
            // with it); the coordinators start over on a new one, made again by the next client that needs it.
            admin.deleteTopics(List.of(OFFSETS, TRANSACTIONS)).all().get(60, TimeUnit.SECONDS);
            TestCluster.await(OFFSETS + " and " + TRANSACTIONS + " gone", 60,
                    () -> admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS),
                    names -> !names.contains(OFFSETS) && !names.contains(TRANSACTIONS));
            TestCluster.await("a commit after the deletion", 90, () -> {
                try {
                    admin.alterConsumerGroupOffsets("g2", Map.of(data, new OffsetAndMetadata(1))).all().get(30, TimeUnit.SECONDS);
                    return admin.listConsumerGroupOffsets("g2").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(data);
                } catch (ExecutionException retriable) {
                    return null;
                }
            }, committed -> committed != null && committed.offset() == 1);
            try (KafkaProducer<String, String> txn = producer(bootstrap, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "t2"))) {
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("data", 0, "k", "in a transaction"));
                txn.commitTransaction();
            }
            assertThat(admin.describeTopics(List.of(OFFSETS, TRANSACTIONS)).allTopicNames().get(30, TimeUnit.SECONDS).values())
                    .allSatisfy(d -> assertThat(d.isInternal()).as(d.name()).isTrue());
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap, Map<String, Object> extra) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }
}
