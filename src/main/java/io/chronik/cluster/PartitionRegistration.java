package io.chronik.cluster;

import java.util.List;

/**
 * One partition's replication state: its replicas (the first is the preferred leader), the in-sync replicas, the
 * leader (-1 for none), the leader epoch (bumped on every leader change) and the partition epoch (bumped on every
 * change, so a stale change can be refused). While a reassignment moves the partition, {@code adding} lists the
 * target replicas that are new and {@code removing} the current ones the target drops; the replicas are then the
 * target followed by the removing ones, and both lists are empty otherwise.
 */
public record PartitionRegistration(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch,
                                    List<Integer> adding, List<Integer> removing) {
    public static final int NO_LEADER = -1;

    public PartitionRegistration {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        adding = List.copyOf(adding);
        removing = List.copyOf(removing);
    }

    public PartitionRegistration(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {
        this(replicas, isr, leader, leaderEpoch, partitionEpoch, List.of(), List.of());
    }

    /** Whether a reassignment is moving this partition. */
    public boolean reassigning() {
        return !adding.isEmpty() || !removing.isEmpty();
    }

    /** The replicas a reassignment moves to: the replicas without the removing ones (the replicas when none runs). */
    public List<Integer> targetReplicas() {
        return replicas.stream().filter(r -> !removing.contains(r)).toList();
    }

    /** The replicas before the reassignment: the replicas without the adding ones. */
    public List<Integer> originalReplicas() {
        return replicas.stream().filter(r -> !adding.contains(r)).toList();
    }

    /** This partition with a new ISR and leader: the partition epoch always moves, the leader epoch on a new leader. */
    PartitionRegistration change(List<Integer> newIsr, int newLeader) {
        return new PartitionRegistration(replicas, newIsr, newLeader, newLeader == leader ? leaderEpoch : leaderEpoch + 1,
                partitionEpoch + 1, adding, removing);
    }

    /** This partition with new replicas (and reassignment lists), ISR and leader, epochs moved as by {@link #change}. */
    PartitionRegistration reassign(List<Integer> newReplicas, List<Integer> newAdding, List<Integer> newRemoving,
                                   List<Integer> newIsr, int newLeader) {
        return new PartitionRegistration(newReplicas, newIsr, newLeader, newLeader == leader ? leaderEpoch : leaderEpoch + 1,
                partitionEpoch + 1, newAdding, newRemoving);
    }
}
