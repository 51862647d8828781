package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplicaPlacementTest {
    private final UUID[] incarnations = new UUID[6];
    private ClusterImage image = ClusterImage.EMPTY;
    private long index;

    private void apply(MetadataCommand command) {
        image = MetadataApplier.apply(image, command, ++index).image();
    }

    private void liveBrokers(int... ids) {
        for (int id : ids) {
            incarnations[id] = UUID.randomUUID();
            apply(new RegisterBroker(id, incarnations[id], "c", "h", 9000 + id));
            apply(new UnfenceBroker(id, incarnations[id]));
        }
    }

    @Test
    void followsTheRackUnawareLayoutForAGivenStartAndShift() {
        List<List<Integer>> placed = ReplicaPlacement.place(List.of(0, 1, 2, 3, 4), 0, 10, 3, 0, 0);
        assertThat(placed).containsExactly(List.of(0, 1, 2), List.of(1, 2, 3), List.of(2, 3, 4), List.of(3, 4, 0),
                List.of(4, 0, 1), List.of(0, 2, 3), List.of(1, 3, 4), List.of(2, 4, 0), List.of(3, 0, 1), List.of(4, 1, 2));
    }

    @Test
    void leadersSpreadEvenlyAndReplicasAreDistinctWhateverTheRandomStart() {
        liveBrokers(1, 2, 3);
        for (int seed = 0; seed < 20; seed++) {
            List<List<Integer>> placed = new ReplicaPlacement(new Random(seed)).place(image, 0, 6, 3);
            Map<Integer, Integer> leaders = new HashMap<>();
            for (List<Integer> replicas : placed) {
                assertThat(replicas).hasSize(3).doesNotHaveDuplicates().allMatch(b -> b >= 1 && b <= 3);
                leaders.merge(replicas.get(0), 1, Integer::sum);
            }
            assertThat(leaders).containsOnlyKeys(1, 2, 3).allSatisfy((b, n) -> assertThat(n).isEqualTo(2));
        }
    }

    @Test
    void newPartitionsContinueTheLayoutFromTheirIndex() {
        List<List<Integer>> all = ReplicaPlacement.place(List.of(1, 2, 3), 0, 5, 2, 1, 1);
        assertThat(ReplicaPlacement.place(List.of(1, 2, 3), 3, 2, 2, 1, 1)).isEqualTo(all.subList(3, 5));
    }

    @Test
    void onlyLiveBrokersGetReplicasAndTooFewBrokersIsAnInvalidReplicationFactor() {
        liveBrokers(1, 2, 3);
        apply(new FenceBroker(2, incarnations[2]));
        ReplicaPlacement placement = new ReplicaPlacement(new Random(7));
        assertThat(placement.place(image, 0, 4, 2)).allSatisfy(r -> assertThat(r).containsExactlyInAnyOrder(1, 3));
        assertThatThrownBy(() -> placement.place(image, 0, 1, 3)).isInstanceOf(InvalidReplicationFactorException.class)
                .hasMessage("Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached"
                        + " because only 2 broker(s) are registered.");
    }

    @Test
    void manualAssignmentsNeedKnownDistinctBrokersAndOneSize() {
        liveBrokers(1, 2, 3);
        assertThat(ReplicaPlacement.checkManual(image, 0, Map.of(0, List.of(1, 2), 1, List.of(3, 1)), -1))
                .containsExactly(List.of(1, 2), List.of(3, 1));
        assertThatThrownBy(() -> ReplicaPlacement.checkManual(image, 0, Map.of(0, List.of(1, 4)), -1))
                .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("broker 4");
        assertThatThrownBy(() -> ReplicaPlacement.checkManual(image, 0, Map.of(0, List.of(1, 1)), -1))
                .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("more than once");
        assertThatThrownBy(() -> ReplicaPlacement.checkManual(image, 0, Map.of(0, List.of(1, 2), 1, List.of(3)), -1))
                .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("not consistent");
        assertThatThrownBy(() -> ReplicaPlacement.checkManual(image, 2, Map.of(2, List.of(1)), 2))
                .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("not consistent");
        assertThatThrownBy(() -> ReplicaPlacement.checkManual(image, 0, Map.of(1, List.of(1)), -1))
                .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("consecutively");
    }
}
