package io.chronik.txn;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions in a three-broker cluster through the Java client: commits and aborts, and the coordinator of a
 * transactional id killed with kill -9 mid-transaction and between EndTxn and the completion of its markers; the
 * new coordinator (the new leader of the id's {@code __transaction_state} partition) completes or aborts what was
 * in flight: nothing committed is lost and nothing aborted becomes visible.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TransactionClusterTest {
    private static final String[] ARGS = {"--chronik.transaction.state-topic-partitions=5",
            "--chronik.transaction.abort-timed-out-interval=500ms"};

    @TempDir
    Path dir;

    private static KafkaProducer<String, String> producer(String bootstrap, String id) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("transactional.id", id);
        props.put("max.block.ms", "120000");
        props.put("delivery.timeout.ms", "120000");
        props.put("request.timeout.ms", "10000");
        props.put("metadata.max.age.ms", "1000");
        props.put("reconnect.backoff.max.ms", "500");
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static int coordinatorOf(Admin admin, String id) throws Exception {
        return TestCluster.await("the coordinator of " + id, 60,
                () -> admin.describeTransactions(List.of(id)).description(id).get(10, TimeUnit.SECONDS),
                d -> d.coordinatorId() >= 0).coordinatorId();
    }

    /** Waits until no transaction is open on the partitions (read_committed end = read_uncommitted end). */
    private static void awaitStable(Admin admin, List<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        TestCluster.await("no open transaction on " + partitions, 90, () -> {
            var committed = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(10, TimeUnit.SECONDS);
            var uncommitted = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
                    .get(10, TimeUnit.SECONDS);
            return partitions.stream().allMatch(tp -> committed.get(tp).offset() == uncommitted.get(tp).offset());
        }, stable -> stable);
    }

    /** Every value of the partitions read_committed, from the beginning to their ends, per partition in order. */
    private static Map<TopicPartition, List<String>> readCommitted(String bootstrap, List<TopicPartition> partitions) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        props.put("metadata.max.age.ms", "1000");
        props.put("reconnect.backoff.max.ms", "500");
        Map<TopicPartition, List<String>> seen = new HashMap<>();
        partitions.forEach(tp -> seen.put(tp, new ArrayList<>()));
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("reading %s up to %s", partitions, ends).isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    seen.get(new TopicPartition(record.topic(), record.partition())).add(record.value());
                }
            }
        }
        return seen;
    }

    @Test
    void theCoordinatorKilledMidTransactionIsReplacedAndNothingCommittedIsLostNorAbortedShown() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "transaction-cluster-test-mid", 3, ARGS)) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic("ctx", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, "ctx", 3, 60);
            TopicPartition p0 = new TopicPartition("ctx", 0);
            TopicPartition p1 = new TopicPartition("ctx", 1);
            Process zombie = null;
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrap(), "survivor")) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("ctx", 0, null, "c1"));
                producer.send(new ProducerRecord<>("ctx", 1, null, "c2"));
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("ctx", 0, null, "a1"));
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("ctx", 0, null, "o1"));
                producer.send(new ProducerRecord<>("ctx", 1, null, "o2"));
                producer.flush();

                // A second producer, in its own JVM, leaves a transaction open too, then dies with it.
                List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        TransactionalProducerProcess.class.getName(), cluster.bootstrap(), "vanishing", "ctx", "4", "5000");
                zombie = new ProcessBuilder(command).redirectErrorStream(true).start();
                BufferedReader output = new BufferedReader(new InputStreamReader(zombie.getInputStream()));
                String line;
                List<String> lines = new ArrayList<>();
                while ((line = output.readLine()) != null && !line.equals("SENT")) {
                    lines.add(line);
                }
                assertThat(line).as(String.join("\n", lines)).isEqualTo("SENT");

                int coordinator = coordinatorOf(admin, "survivor");
                assertThat(admin.describeTransactions(List.of("survivor")).description("survivor").get(10, TimeUnit.SECONDS)
                        .state()).isEqualTo(TransactionState.ONGOING);
                zombie.destroyForcibly();
                cluster.kill(coordinator);
                // The client finds the new coordinator, which loaded the open transaction: the commit goes through.
                producer.commitTransaction();
                assertThat(coordinatorOf(admin, "survivor")).isNotEqualTo(coordinator);
            } finally {
                if (zombie != null) {
                    zombie.destroyForcibly();
                }
            }
            // The vanished producer's transaction is aborted after its 5 s timeout.
            awaitStable(admin, List.of(p0, p1));
            Map<TopicPartition, List<String>> seen = readCommitted(cluster.bootstrap(), List.of(p0, p1));
            assertThat(seen.get(p0)).containsExactly("c1", "o1");
            assertThat(seen.get(p1)).containsExactly("c2", "o2");
            TransactionDescription vanished = admin.describeTransactions(List.of("vanishing")).description("vanishing")
                    .get(10, TimeUnit.SECONDS);
            assertThat(vanished.state()).isEqualTo(TransactionState.COMPLETE_ABORT);
        }
    }

    @Test
    void theCoordinatorKilledBetweenEndTxnAndItsMarkersHasTheNewOneComplete() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "transaction-cluster-test-end", 3, ARGS)) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic("ctx", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, "ctx", 3, 60);
            TopicPartition replicated = new TopicPartition("ctx", 0);
            TopicPartition solo = new TopicPartition("solo", 0);
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrap(), "completing")) {
                producer.initTransactions();
                int coordinator = coordinatorOf(admin, "completing");
                int other = cluster.ids().stream().filter(id -> id != coordinator).findFirst().orElseThrow();
                // A partition only `other` holds: while it is down, the commit's marker for it cannot be written.
                admin.createTopics(List.of(new NewTopic("solo", Map.of(0, List.of(other))))).all().get(30, TimeUnit.SECONDS);
                cluster.awaitIsr(admin, "solo", 1, 60);
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("ctx", 0, null, "r1"));
                producer.send(new ProducerRecord<>("solo", 0, null, "s1"));
                producer.flush();
                cluster.kill(other);
                producer.commitTransaction(); // PrepareCommit is written; the marker for solo-0 waits for its leader
                assertThat(admin.describeTransactions(List.of("completing")).description("completing").get(10, TimeUnit.SECONDS)
                        .state()).isEqualTo(TransactionState.PREPARE_COMMIT);
                cluster.kill(coordinator);
                cluster.startBroker(other);
            }
            awaitStable(admin, List.of(replicated, solo));
            assertThat(readCommitted(cluster.bootstrap(), List.of(replicated)).get(replicated)).containsExactly("r1");
            assertThat(readCommitted(cluster.bootstrap(), List.of(solo)).get(solo)).containsExactly("s1");
            TestCluster.await("the transaction completed", 60, () -> admin.describeTransactions(List.of("completing"))
                    .description("completing").get(10, TimeUnit.SECONDS).state(), s -> s == TransactionState.COMPLETE_COMMIT);
        }
    }
    /**
     * Partition verification with the coordinator on another broker: the leader of a partition the producer added asks
     * it over the broker-to-broker client and appends; a raw transactional batch for a partition never added is refused
     * with INVALID_TXN_STATE and nothing is appended.
     */
    @Test
    void aLeaderVerifiesWithTheCoordinatorOnAnotherBroker() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "transaction-cluster-test-verify", 3, ARGS)) {
            Admin admin = cluster.admin();
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrap(), "verified")) {
                producer.initTransactions();
                int coordinator = coordinatorOf(admin, "verified");
                int other = cluster.ids().stream().filter(id -> id != coordinator).findFirst().orElseThrow();
                admin.createTopics(List.of(new NewTopic("far", Map.of(0, List.of(other))),
                        new NewTopic("stray", Map.of(0, List.of(other))))).all().get(30, TimeUnit.SECONDS);
                cluster.awaitIsr(admin, "far", 1, 60);
                cluster.awaitIsr(admin, "stray", 1, 60);
                TopicPartition far = new TopicPartition("far", 0);
                TopicPartition stray = new TopicPartition("stray", 0);
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("far", 0, null, "f1")).get(60, TimeUnit.SECONDS);
                TransactionDescription open = admin.describeTransactions(List.of("verified")).description("verified")
                        .get(10, TimeUnit.SECONDS);
                assertThat(open.topicPartitions()).containsExactly(far);
                try (io.chronik.testing.TxnWire wire = new io.chronik.testing.TxnWire(cluster.broker(other).port(), "stray")) {
                    var refused = wire.tryProduceTxn("verified", open.producerId(), (short) open.producerEpoch(), 0, "x");
                    assertThat(org.apache.kafka.common.protocol.Errors.forCode(refused.errorCode()))
                            .isEqualTo(org.apache.kafka.common.protocol.Errors.INVALID_TXN_STATE);
                }
                // Group offsets in the transaction, for a group whose coordinator is another broker than the
                // transaction's: the group coordinator adds its offsets partition through the remote coordinator.
                TestCluster.await("the offsets topic", 60, () -> {
                    admin.listConsumerGroupOffsets("any").partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                    return true;
                }, ok -> ok);
                var offsetsTopic = TestCluster.describe(admin, io.chronik.handler.CoordinatorPlacement.OFFSETS_TOPIC);
                String group = null;
                for (int i = 0; group == null && i < 200; i++) {
                    String candidate = "verified-group-" + i;
                    int partition = io.chronik.handler.CoordinatorPlacement.partitionFor(candidate,
                            offsetsTopic.partitions().size());
                    if (TestCluster.leaderOf(offsetsTopic, partition) != coordinator) {
                        group = candidate;
                    }
                }
                assertThat(group).as("a group coordinated away from the transaction coordinator").isNotNull();
                producer.sendOffsetsToTransaction(Map.of(far, new OffsetAndMetadata(7)), new ConsumerGroupMetadata(group));
                producer.commitTransaction();
                awaitStable(admin, List.of(far, stray));
                assertThat(readCommitted(cluster.bootstrap(), List.of(far)).get(far)).containsExactly("f1");
                assertThat(admin.listOffsets(Map.of(stray, OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS)
                        .get(stray).offset()).isZero();
                String g = group;
                assertThat(TestCluster.await("the group's committed offset", 60,
                        () -> admin.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(far),
                        o -> o != null).offset()).isEqualTo(7);
                // An aborted transaction's offsets never show.
                producer.beginTransaction();
                producer.sendOffsetsToTransaction(Map.of(far, new OffsetAndMetadata(9)), new ConsumerGroupMetadata(group));
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("far", 0, null, "f2")).get(60, TimeUnit.SECONDS);
                producer.commitTransaction();
                awaitStable(admin, List.of(far));
                assertThat(admin.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                        .get(far).offset()).isEqualTo(7);
            }
        }
    }
}
