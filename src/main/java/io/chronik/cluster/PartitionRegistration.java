package io.chronik.cluster;

import java.util.List;

/**
 * One partition's replication state: its replicas (the first is the preferred leader), the in-sync replicas, the
 * leader (-1 for none), the leader epoch (bumped on every leader change) and the partition epoch (bumped on every
 * change, so a stale change can be refused).
 */
public record PartitionRegistration(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {
    public static final int NO_LEADER = -1;

    public PartitionRegistration {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }

    /** This partition with a new ISR and leader: the partition epoch always moves, the leader epoch on a new leader. */
    PartitionRegistration change(List<Integer> newIsr, int newLeader) {
        return new PartitionRegistration(replicas, newIsr, newLeader, newLeader == leader ? leaderEpoch : leaderEpoch + 1,
                partitionEpoch + 1);
    }
}
