package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersOptions;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Admin#describeProducers (what kafka-transactions describe-producers sends) after idempotent sends: the partition
 * leader lists each producer with its epoch, last sequence and timestamp; a follower asked by broker id lists the same
 * producers (KIP-664), a broker without a replica answers NOT_LEADER_OR_FOLLOWER.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DescribeProducersClusterTest {
    @TempDir
    Path dir;

    @Test
    void everyReplicaDescribesItsIdempotentProducersAndOthersRefuse() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "producers", 3, "--chronik.cluster.auto-leader-rebalance-enable=false")) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic("described", Map.of(0, List.of(1, 2))))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, "described", 2, 60);
            TopicPartition tp = new TopicPartition("described", 0);

            long before = System.currentTimeMillis();
            RecordMetadata last = null;
            try (KafkaProducer<String, String> producer = ClusterClients.producer(cluster.bootstrap(), "all", Map.of("linger.ms", "0"))) {
                for (int i = 0; i < 5; i++) {
                    last = producer.send(new ProducerRecord<>("described", 0, "k", "v" + i)).get(30, TimeUnit.SECONDS);
                }
            }
            try (KafkaProducer<String, String> other = ClusterClients.producer(cluster.bootstrap(), "all", Map.of())) {
                other.send(new ProducerRecord<>("described", 0, "k", "w")).get(30, TimeUnit.SECONDS);
            }

            PartitionProducerState state = admin.describeProducers(List.of(tp)).partitionResult(tp).get(30, TimeUnit.SECONDS);
            List<ProducerState> producers = state.activeProducers();
            assertThat(producers).hasSize(2);
            ProducerState first = producers.stream().filter(p -> p.lastSequence() == 4).findFirst().orElseThrow();
            assertThat(first.producerId()).isNotNegative();
            assertThat(first.producerEpoch()).isZero();
            assertThat(first.lastTimestamp()).isEqualTo(last.timestamp()).isGreaterThanOrEqualTo(before);
            assertThat(first.coordinatorEpoch()).isEmpty();
            assertThat(first.currentTransactionStartOffset()).isEmpty();
            assertThat(producers).anyMatch(p -> p.lastSequence() == 0 && p.producerId() != first.producerId());

            // Asked of the follower (KIP-664: DescribeProducersOptions.brokerId asks that replica): it answers from its
            // own producer state, the same producers. Asked of the broker without a replica (3): NOT_LEADER_OR_FOLLOWER.
            // Each through an Admin of its own: an Admin that knows the partition's leader asks it whatever broker the
            // options name.
            int leader = TestCluster.leaderOf(TestCluster.describe(admin, "described"), 0);
            int follower = leader == 1 ? 2 : 1;
            Admin fresh = cluster.admin();
            PartitionProducerState onFollower = fresh.describeProducers(List.of(tp), new DescribeProducersOptions().brokerId(follower))
                    .partitionResult(tp).get(30, TimeUnit.SECONDS);
            assertThat(onFollower.activeProducers()).extracting(ProducerState::producerId, ProducerState::producerEpoch, ProducerState::lastSequence)
                    .containsExactlyInAnyOrderElementsOf(producers.stream()
                            .map(p -> org.assertj.core.groups.Tuple.tuple(p.producerId(), p.producerEpoch(), p.lastSequence())).toList());
            Admin other = cluster.admin();
            ExecutionException refused = assertThrows(ExecutionException.class, () -> other.describeProducers(List.of(tp),
                    new DescribeProducersOptions().brokerId(3)).partitionResult(tp).get(30, TimeUnit.SECONDS));
            assertThat(refused.getCause()).as("broker 3").isInstanceOf(NotLeaderOrFollowerException.class);
        }
    }
}
