package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.ElectLeader;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** ElectLeader as the applier decides it: preferred and unclean elections, with Kafka's per-partition errors. */
class LeaderElectionApplierTest {
    private final UUID[] incarnations = {null, UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
    private final UUID topicId = UUID.randomUUID();
    private ClusterImage image = ClusterImage.EMPTY;
    private long index;

    private CommandResult apply(MetadataCommand command) {
        MetadataApplier.Applied applied = MetadataApplier.apply(image, command, ++index);
        image = applied.image();
        return applied.result();
    }

    private PartitionRegistration partition(int p) {
        return image.topic(topicId).orElseThrow().partitions().get(p);
    }

    @BeforeEach
    void threeLiveBrokers() {
        for (int id = 1; id <= 3; id++) {
            assertThat(apply(new RegisterBroker(id, incarnations[id], "c1", "127.0.0.1", 9090 + id)).ok()).isTrue();
            assertThat(apply(new UnfenceBroker(id, incarnations[id])).ok()).isTrue();
        }
    }

    private void restart(int id) {
        incarnations[id] = UUID.randomUUID();
        apply(new RegisterBroker(id, incarnations[id], "c1", "127.0.0.1", 9090 + id));
        apply(new UnfenceBroker(id, incarnations[id]));
    }

    @Test
    void thePreferredReplicaLeadsAgainOnceLiveAndInSyncWithABumpedLeaderEpoch() {
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2, 3))));
        apply(new FenceBroker(1, incarnations[1]));
        assertThat(partition(0).leader()).isEqualTo(2);
        restart(1);
        // Live, but not back in the ISR yet: the preferred replica cannot lead.
        ClusterImage before = image;
        assertThat(apply(new ElectLeader(topicId, 0, false)).error()).isEqualTo(Errors.PREFERRED_LEADER_NOT_AVAILABLE);
        assertThat(image).isEqualTo(before);

        PartitionRegistration p = partition(0);
        assertThat(apply(new ChangePartition(topicId, 0, 2, List.of(2, 3, 1), p.partitionEpoch())).ok()).isTrue();
        int epoch = partition(0).leaderEpoch();
        assertThat(apply(new ElectLeader(topicId, 0, false)).ok()).isTrue();
        assertThat(partition(0).leader()).isEqualTo(1);
        assertThat(partition(0).leaderEpoch()).isEqualTo(epoch + 1);
        assertThat(partition(0).isr()).containsExactly(2, 3, 1);

        before = image;
        assertThat(apply(new ElectLeader(topicId, 0, false)).error()).isEqualTo(Errors.ELECTION_NOT_NEEDED);
        assertThat(image).isEqualTo(before);
    }

    @Test
    void aFencedPreferredReplicaIsNotAvailable() {
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2))));
        apply(new FenceBroker(1, incarnations[1]));
        // Kept in the ISR only if it were the last member; here 2 leads and 1 is out, and fenced.
        assertThat(apply(new ElectLeader(topicId, 0, false)).error()).isEqualTo(Errors.PREFERRED_LEADER_NOT_AVAILABLE);
        assertThat(partition(0).leader()).isEqualTo(2);
    }

    @Test
    void anUncleanElectionIsOnlyForAPartitionWithoutLeaderAndMayLeaveTheIsr() {
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2))));
        assertThat(apply(new ElectLeader(topicId, 0, true)).error()).isEqualTo(Errors.ELECTION_NOT_NEEDED);
        apply(new ChangePartition(topicId, 0, 1, List.of(1), partition(0).partitionEpoch()));
        apply(new FenceBroker(1, incarnations[1]));
        assertThat(partition(0).leader()).isEqualTo(PartitionRegistration.NO_LEADER);
        assertThat(apply(new ElectLeader(topicId, 0, false)).error()).isEqualTo(Errors.PREFERRED_LEADER_NOT_AVAILABLE);

        int epoch = partition(0).leaderEpoch();
        assertThat(apply(new ElectLeader(topicId, 0, true)).ok()).isTrue();
        assertThat(partition(0).leader()).isEqualTo(2);
        assertThat(partition(0).isr()).containsExactly(2);
        assertThat(partition(0).leaderEpoch()).isEqualTo(epoch + 1);
    }

    @Test
    void anUncleanElectionWithoutLiveReplicasFindsNoEligibleLeader() {
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2))));
        apply(new FenceBroker(2, incarnations[2]));
        apply(new FenceBroker(1, incarnations[1]));
        assertThat(apply(new ElectLeader(topicId, 0, true)).error()).isEqualTo(Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    }

    @Test
    void anUnknownPartitionIsRefused() {
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2))));
        assertThat(apply(new ElectLeader(topicId, 1, false)).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(apply(new ElectLeader(UUID.randomUUID(), 0, false)).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }
}
