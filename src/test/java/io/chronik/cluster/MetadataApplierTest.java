package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.DeleteTopic;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class MetadataApplierTest {
    private final UUID[] incarnations = {null, UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
    private final UUID topicId = UUID.randomUUID();
    private ClusterImage image = ClusterImage.EMPTY;
    private long index;

    private CommandResult apply(MetadataCommand command) {
        MetadataApplier.Applied applied = MetadataApplier.apply(image, command, ++index);
        image = applied.image();
        return applied.result();
    }

    private void threeLiveBrokers() {
        for (int id = 1; id <= 3; id++) {
            assertThat(apply(new RegisterBroker(id, incarnations[id], "c1", "127.0.0.1", 9090 + id)).ok()).isTrue();
            assertThat(apply(new UnfenceBroker(id, incarnations[id])).ok()).isTrue();
        }
    }

    private PartitionRegistration partition(int p) {
        return image.topic(topicId).orElseThrow().partitions().get(p);
    }

    @Test
    void aRegisteredBrokerStartsFencedWithItsLogIndexAsEpochUntilUnfenced() {
        assertThat(apply(new RegisterBroker(1, incarnations[1], "c1", "h1", 9092)).ok()).isTrue();
        BrokerRegistration registered = image.broker(1).orElseThrow();
        assertThat(registered.fenced()).isTrue();
        assertThat(registered.epoch()).isEqualTo(1);
        assertThat(image.clusterId()).isEqualTo("c1");
        assertThat(image.liveBrokers()).isEmpty();

        assertThat(apply(new UnfenceBroker(1, incarnations[1])).ok()).isTrue();
        assertThat(image.liveBrokers()).extracting(BrokerRegistration::id).containsExactly(1);
    }

    @Test
    void aCommandForAnOldIncarnationIsRefusedAndChangesNothing() {
        threeLiveBrokers();
        UUID restarted = UUID.randomUUID();
        apply(new RegisterBroker(2, restarted, "c1", "127.0.0.1", 9092));
        ClusterImage before = image;
        assertThat(apply(new UnfenceBroker(2, incarnations[2])).error()).isEqualTo(Errors.STALE_BROKER_EPOCH);
        assertThat(apply(new FenceBroker(2, incarnations[2])).error()).isEqualTo(Errors.STALE_BROKER_EPOCH);
        assertThat(image).isEqualTo(before);
        assertThat(image.broker(2).orElseThrow().incarnation()).isEqualTo(restarted);
        assertThat(image.broker(2).orElseThrow().fenced()).isTrue();
    }

    @Test
    void aBrokerWithAnotherClusterIdIsRefused() {
        apply(new RegisterBroker(1, incarnations[1], "c1", "h", 1));
        assertThat(apply(new RegisterBroker(2, incarnations[2], "other", "h", 2)).error()).isEqualTo(Errors.INCONSISTENT_CLUSTER_ID);
        assertThat(image.broker(2)).isEmpty();
    }

    @Test
    void aRetriedRegistrationKeepsItsEpoch() {
        apply(new RegisterBroker(1, incarnations[1], "c1", "h", 1));
        apply(new RegisterBroker(1, incarnations[1], "c1", "h", 1));
        assertThat(image.broker(1).orElseThrow().epoch()).isEqualTo(1);
    }

    @Test
    void fencingTheLeaderMovesLeadershipToTheNextInSyncReplicaWithABumpedEpoch() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2, 3), List.of(2, 3, 1))));
        assertThat(partition(0)).isEqualTo(new PartitionRegistration(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0));

        assertThat(apply(new FenceBroker(1, incarnations[1])).ok()).isTrue();
        assertThat(partition(0)).isEqualTo(new PartitionRegistration(List.of(1, 2, 3), List.of(2, 3), 2, 1, 1));
        // Broker 1 only followed partition 1: it leaves the ISR, the leader and its epoch stay.
        assertThat(partition(1)).isEqualTo(new PartitionRegistration(List.of(2, 3, 1), List.of(2, 3), 2, 0, 1));
    }

    @Test
    void theLastInSyncReplicaStaysInTheIsrWithoutLeaderAndLeadsAgainWhenUnfenced() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2))));
        apply(new FenceBroker(2, incarnations[2]));
        apply(new FenceBroker(1, incarnations[1]));
        assertThat(partition(0).isr()).containsExactly(1);
        assertThat(partition(0).leader()).isEqualTo(PartitionRegistration.NO_LEADER);

        // Broker 2 is live again but not in sync: no unclean election by default.
        apply(new UnfenceBroker(2, incarnations[2]));
        assertThat(partition(0).leader()).isEqualTo(PartitionRegistration.NO_LEADER);

        apply(new UnfenceBroker(1, incarnations[1]));
        assertThat(partition(0).leader()).isEqualTo(1);
        assertThat(partition(0).leaderEpoch()).isEqualTo(2);
    }

    @Test
    void anUncleanTopicElectsALiveReplicaOutsideTheIsr() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of("unclean.leader.election.enable", "true"), List.of(List.of(1, 2))));
        apply(new ChangePartition(topicId, 0, 1, List.of(1), 0));
        apply(new FenceBroker(1, incarnations[1]));
        assertThat(partition(0).leader()).isEqualTo(2);
        assertThat(partition(0).isr()).containsExactly(2);
    }

    @Test
    void aPartitionChangeNeedsTheCurrentPartitionEpoch() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2, 3))));
        assertThat(apply(new ChangePartition(topicId, 0, 1, List.of(1, 2), 0)).ok()).isTrue();
        assertThat(partition(0)).isEqualTo(new PartitionRegistration(List.of(1, 2, 3), List.of(1, 2), 1, 0, 1));
        assertThat(apply(new ChangePartition(topicId, 0, 2, List.of(2), 0)).error()).isEqualTo(Errors.INVALID_UPDATE_VERSION);
        assertThat(apply(new ChangePartition(topicId, 0, 4, List.of(4), 1)).error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(apply(new ChangePartition(topicId, 0, 2, List.of(2, 3), 1)).ok()).isTrue();
        assertThat(partition(0)).isEqualTo(new PartitionRegistration(List.of(1, 2, 3), List.of(2, 3), 2, 1, 2));
    }

    @Test
    void aFencedBrokerMayNotJoinAnIsr() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2, 3))));
        apply(new FenceBroker(3, incarnations[3])); // a controlled shutdown: out of the ISR
        assertThat(partition(0).isr()).containsExactly(1, 2);
        // The leader saw the stopping broker fetch and proposes it back: refused, it stays out.
        assertThat(apply(new ChangePartition(topicId, 0, 1, List.of(1, 2, 3), 1)).error()).isEqualTo(Errors.INELIGIBLE_REPLICA);
        assertThat(partition(0).isr()).containsExactly(1, 2);
        // Live again (restarted and caught up with the metadata), it may join.
        apply(new UnfenceBroker(3, incarnations[3]));
        assertThat(apply(new ChangePartition(topicId, 0, 1, List.of(1, 2, 3), 1)).ok()).isTrue();
    }

    @Test
    void topicsAreCreatedOnceAndDeletedById() {
        threeLiveBrokers();
        assertThat(apply(new CreateTopic(topicId, "t", Map.of("retention.ms", "1000"), List.of(List.of(1)))).ok()).isTrue();
        assertThat(apply(new CreateTopic(UUID.randomUUID(), "t", Map.of(), List.of(List.of(1)))).error())
                .isEqualTo(Errors.TOPIC_ALREADY_EXISTS);
        assertThat(apply(new CreateTopic(UUID.randomUUID(), "u", Map.of(), List.of(List.of(7)))).error())
                .isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(image.topic("t").orElseThrow().configs()).containsEntry("retention.ms", "1000");
        assertThat(apply(new DeleteTopic(topicId)).ok()).isTrue();
        assertThat(image.topics()).isEmpty();
        assertThat(apply(new DeleteTopic(topicId)).error()).isEqualTo(Errors.UNKNOWN_TOPIC_ID);
    }

    @Test
    void partitionsAreAddedAfterTheExistingOnesWithTheirOwnElection() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of("retention.ms", "1000"), List.of(List.of(1, 2))));
        apply(new FenceBroker(3, incarnations[3]));
        assertThat(apply(new MetadataCommand.CreatePartitions(topicId, List.of(List.of(2, 3), List.of(3, 1)))).ok()).isTrue();
        TopicImage topic = image.topic(topicId).orElseThrow();
        assertThat(topic.partitions()).hasSize(3);
        assertThat(topic.configs()).containsEntry("retention.ms", "1000");
        assertThat(partition(0)).isEqualTo(new PartitionRegistration(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        assertThat(partition(1)).isEqualTo(new PartitionRegistration(List.of(2, 3), List.of(2), 2, 0, 0));
        assertThat(partition(2)).isEqualTo(new PartitionRegistration(List.of(3, 1), List.of(1), 1, 0, 0));
    }

    @Test
    void newPartitionsNeedAKnownTopicAndDistinctRegisteredReplicas() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1))));
        ClusterImage before = image;
        assertThat(apply(new MetadataCommand.CreatePartitions(UUID.randomUUID(), List.of(List.of(1)))).error())
                .isEqualTo(Errors.UNKNOWN_TOPIC_ID);
        assertThat(apply(new MetadataCommand.CreatePartitions(topicId, List.of(List.of(1), List.of(2, 2)))).error())
                .isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(apply(new MetadataCommand.CreatePartitions(topicId, List.of(List.of(9)))).error())
                .isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(apply(new MetadataCommand.CreatePartitions(topicId, List.of())).error()).isEqualTo(Errors.INVALID_PARTITIONS);
        assertThat(image).isEqualTo(before);
    }

    @Test
    void topicConfigsAreReplacedWhole() {
        threeLiveBrokers();
        apply(new CreateTopic(topicId, "t", Map.of("retention.ms", "1000", "cleanup.policy", "compact"), List.of(List.of(1, 2))));
        assertThat(apply(new MetadataCommand.AlterTopicConfigs(topicId, Map.of("segment.bytes", "2048"))).ok()).isTrue();
        TopicImage topic = image.topic(topicId).orElseThrow();
        assertThat(topic.configs()).containsExactly(Map.entry("segment.bytes", "2048"));
        assertThat(topic.partitions()).containsExactly(new PartitionRegistration(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        ClusterImage before = image;
        assertThat(apply(new MetadataCommand.AlterTopicConfigs(UUID.randomUUID(), Map.of())).error()).isEqualTo(Errors.UNKNOWN_TOPIC_ID);
        assertThat(image).isEqualTo(before);
    }
}
