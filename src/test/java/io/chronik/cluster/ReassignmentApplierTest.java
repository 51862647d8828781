package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.ReassignPartition;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** ReassignPartition as the applier decides it: start, completion once the target is in sync, cancel, errors. */
class ReassignmentApplierTest {
    private final UUID[] incarnations = {null, UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
    private final UUID topicId = UUID.randomUUID();
    private ClusterImage image = ClusterImage.EMPTY;
    private long index;

    private CommandResult apply(MetadataCommand command) {
        MetadataApplier.Applied applied = MetadataApplier.apply(image, command, ++index);
        image = applied.image();
        return applied.result();
    }

    private PartitionRegistration partition() {
        return image.topic(topicId).orElseThrow().partitions().get(0);
    }

    /** Four live brokers, a topic of one partition on brokers 1 and 2, 1 leading. */
    @BeforeEach
    void fourLiveBrokersAndATopic() {
        for (int id = 1; id <= 4; id++) {
            assertThat(apply(new RegisterBroker(id, incarnations[id], "c1", "127.0.0.1", 9090 + id)).ok()).isTrue();
            assertThat(apply(new UnfenceBroker(id, incarnations[id])).ok()).isTrue();
        }
        assertThat(apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2)))).ok()).isTrue();
    }

    private CommandResult isr(int leader, List<Integer> isr) {
        return apply(new ChangePartition(topicId, 0, leader, isr, partition().partitionEpoch()));
    }

    @Test
    void aReassignmentAddsTheNewReplicasAndCompletesOnceTheyAreAllInSync() {
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(1, 3))).ok()).isTrue();
        PartitionRegistration moving = partition();
        assertThat(moving.replicas()).containsExactly(1, 3, 2);
        assertThat(moving.adding()).containsExactly(3);
        assertThat(moving.removing()).containsExactly(2);
        assertThat(moving.isr()).containsExactly(1, 2);
        assertThat(moving.leader()).isEqualTo(1);
        assertThat(moving.partitionEpoch()).isEqualTo(1);

        // Broker 3 catches up: the leader's ISR expansion completes the move in the same change.
        assertThat(isr(1, List.of(1, 2, 3)).ok()).isTrue();
        assertThat(partition()).isEqualTo(new PartitionRegistration(List.of(1, 3), List.of(1, 3), 1, 0, 2));
    }

    @Test
    void aRemovedLeaderHandsOverToTheFirstInSyncTargetReplicaWithABumpedEpoch() {
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(3, 4))).ok()).isTrue();
        assertThat(partition().replicas()).containsExactly(3, 4, 1, 2);
        assertThat(isr(1, List.of(1, 2, 4)).ok()).isTrue();
        assertThat(partition().reassigning()).isTrue(); // 3 is not in sync yet
        assertThat(isr(1, List.of(1, 2, 4, 3)).ok()).isTrue();
        assertThat(partition()).isEqualTo(new PartitionRegistration(List.of(3, 4), List.of(4, 3), 3, 1, 3));
    }

    @Test
    void aTargetAlreadyInSyncCompletesAtOnce() {
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(2))).ok()).isTrue();
        assertThat(partition()).isEqualTo(new PartitionRegistration(List.of(2), List.of(2), 2, 1, 1));
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(2))).ok()).isTrue(); // nothing to move
        assertThat(partition().reassigning()).isFalse();
    }

    @Test
    void cancellingGoesBackToTheOriginalReplicas() {
        apply(new ReassignPartition(topicId, 0, List.of(3, 4)));
        assertThat(isr(1, List.of(1, 2, 4)).ok()).isTrue();
        assertThat(apply(new ReassignPartition(topicId, 0, null)).ok()).isTrue();
        assertThat(partition()).isEqualTo(new PartitionRegistration(List.of(1, 2), List.of(1, 2), 1, 0, 3));
        assertThat(apply(new ReassignPartition(topicId, 0, null)).error()).isEqualTo(Errors.NO_REASSIGNMENT_IN_PROGRESS);
    }

    @Test
    void aNewTargetReplacesTheReassignmentInProgress() {
        apply(new ReassignPartition(topicId, 0, List.of(1, 3)));
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(1, 4))).ok()).isTrue();
        assertThat(partition().replicas()).containsExactly(1, 4, 3, 2);
        assertThat(partition().adding()).containsExactly(4);
        assertThat(partition().removing()).containsExactly(3, 2);
    }

    @Test
    void aFencedTargetReplicaCannotCompleteTheMoveButItsLeaderRemainsElectable() {
        apply(new ReassignPartition(topicId, 0, List.of(3, 4)));
        isr(1, List.of(1, 2, 3, 4));
        assertThat(partition().leader()).isEqualTo(3);
        apply(new FenceBroker(3, incarnations[3]));
        assertThat(partition().leader()).isEqualTo(4);
        assertThat(partition().replicas()).containsExactly(3, 4);
    }

    @Test
    void invalidTargetsAreRefusedAndChangeNothing() {
        ClusterImage before = image;
        assertThat(apply(new ReassignPartition(topicId, 0, List.of())).error()).isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(3, 3))).error()).isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(apply(new ReassignPartition(topicId, 0, List.of(3, 9))).error()).isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(apply(new ReassignPartition(topicId, 1, List.of(3))).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(apply(new ReassignPartition(UUID.randomUUID(), 0, List.of(3))).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(apply(new ReassignPartition(topicId, 0, null)).error()).isEqualTo(Errors.NO_REASSIGNMENT_IN_PROGRESS);
        assertThat(image).isEqualTo(before);
    }

    @Test
    void commandsAndSnapshotsKeepAReassignment() throws Exception {
        for (ReassignPartition c : List.of(new ReassignPartition(topicId, 0, List.of(3, 4)), new ReassignPartition(topicId, 0, null))) {
            assertThat(CommandCodec.decode(CommandCodec.encode(c))).isEqualTo(c);
        }
        apply(new ReassignPartition(topicId, 0, List.of(3, 4)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageCodec.write(image, new DataOutputStream(bytes));
        ClusterImage read = ImageCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read).isEqualTo(image);
        assertThat(read.topic(topicId).orElseThrow().partitions().get(0).adding()).containsExactly(3, 4);
    }
}
