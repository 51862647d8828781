package io.chronik.replica;

import io.chronik.testing.TestCluster;
import io.chronik.testing.TxnWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Markers in a three-broker cluster: WriteTxnMarkers to the leader of an RF 3 partition waits for the ISR (acks=all),
 * followers replicate the transaction state and txn index, and after the leader is killed with kill -9 the new leader
 * holds read_committed consumers at the open transaction, hides the aborted one, and ends the open one itself.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TransactionReplicationClusterTest {
    private static final TopicPartition TP = new TopicPartition("tx", 0);

    @TempDir
    Path dir;

    @Test
    void aNewLeaderKeepsTheTransactionStateItReplicated() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "transaction-replication-cluster-test", 3,
                // No transaction coordinator takes part here: the partition leader appends without asking one.
                "--chronik.transaction.partition-verification=false")) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic("tx", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            TopicDescription described = cluster.awaitIsr(admin, "tx", 3, 60);
            int leader = TestCluster.leaderOf(described, 0);
            try (TxnWire wire = new TxnWire(cluster.broker(leader).port(), "tx")) {
                // The leader may not have applied its leadership yet: a client would retry, so does this.
                TestCluster.await("the leader taking appends", 30, () -> wire.tryProducePlain("o"),
                        error -> error == Errors.NONE);
                assertThat(wire.produceTxn(1L, (short) 0, 0, "a")).isEqualTo(1);
                assertThat(wire.produceTxn(2L, (short) 0, 0, "b")).isEqualTo(2);
                assertThat(wire.producePlain("p")).isEqualTo(3);
                assertThat(wire.marker(1L, (short) 0, true)).isEqualTo(Errors.NONE); // 4
                assertThat(wire.marker(2L, (short) 0, false)).isEqualTo(Errors.NONE); // 5
                assertThat(wire.produceTxn(3L, (short) 0, 0, "c")).isEqualTo(6);
                assertThat(wire.marker(1L, (short) 0, true, "no-such-topic"))
                        .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
            }
            int follower = cluster.ids().stream().filter(id -> id != leader).findFirst().orElseThrow();
            try (TxnWire wire = new TxnWire(cluster.broker(follower).port(), "tx")) {
                assertThat(wire.marker(3L, (short) 0, false)).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
            }

            cluster.kill(leader);
            TopicDescription after = TestCluster.await("a new leader of tx-0", 60, () -> TestCluster.describe(admin, "tx"),
                    d -> TestCluster.leaderOf(d, 0) >= 0 && TestCluster.leaderOf(d, 0) != leader);
            int newLeader = TestCluster.leaderOf(after, 0);
            String bootstrap = cluster.bootstrap();
            assertThat(read(bootstrap, "read_committed", 6)).containsExactly("o", "a", "p");

            try (TxnWire wire = new TxnWire(cluster.broker(newLeader).port(), "tx")) {
                assertThat(wire.marker(3L, (short) 0, false)).isEqualTo(Errors.NONE); // 7
                assertThat(wire.producePlain("q")).isEqualTo(8);
            }
            assertThat(read(bootstrap, "read_committed", 9)).containsExactly("o", "a", "p", "q");
            assertThat(read(bootstrap, "read_uncommitted", 9)).containsExactly("o", "a", "b", "p", "c", "q");
        }
    }

    /** Every value of tx-0 from the beginning until the consumer's position reaches {@code end}. */
    private static List<String> read(String bootstrap, String isolation, long end) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", isolation);
        props.put("metadata.max.age.ms", "1000");
        props.put("reconnect.backoff.max.ms", "500");
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.assign(List.of(TP));
            consumer.seekToBeginning(List.of(TP));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (consumer.position(TP) < end) {
                assertThat(System.nanoTime()).as("%s position %s never reached %s", isolation, consumer.position(TP),
                        end).isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    seen.add(record.value());
                }
            }
            // Nothing more: a read_committed consumer stays at the last stable offset.
            for (int i = 0; i < 3; i++) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.value()));
            }
            assertThat(consumer.position(TP)).isEqualTo(end);
        }
        return seen;
    }
}
