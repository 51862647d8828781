package io.chronik.cluster;

import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * How the controller moves a partition onto new replicas: a reassignment makes the replicas the target followed by
 * the current replicas the target drops (listed as removing), and the target replicas that are new (listed as
 * adding) become followers that catch up and join the ISR through the usual ISR expansion. Once every target replica
 * is in the ISR the reassignment completes in the same change: the replicas become the target, the removed ones leave
 * the ISR, and a removed leader hands over to the first live in-sync target replica. A cancellation goes back to the
 * original replicas, refused where that would need an unclean election (no original replica in the ISR).
 */
final class PartitionReassignments {
    private PartitionReassignments() {
    }

    /** What a reassignment or cancellation does to one partition: its new state, or why it changes nothing. */
    record Outcome(PartitionRegistration next, Errors error, String message) {
        static Outcome refused(PartitionRegistration before, Errors error, String message) {
            return new Outcome(before, error, message);
        }
    }

    static Outcome reassign(PartitionRegistration before, List<Integer> target, ClusterImage image) {
        if (target == null) {
            return cancel(before, image);
        }
        if (target.isEmpty()) {
            return Outcome.refused(before, Errors.INVALID_REPLICA_ASSIGNMENT, "Empty replica list specified.");
        }
        if (new HashSet<>(target).size() != target.size()) {
            return Outcome.refused(before, Errors.INVALID_REPLICA_ASSIGNMENT, "Duplicate replica ids in partition reassignment "
                    + "replica list: " + target);
        }
        List<Integer> unknown = target.stream().filter(r -> image.broker(r).isEmpty()).toList();
        if (!unknown.isEmpty()) {
            return Outcome.refused(before, Errors.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes brokers "
                    + unknown + ", which are not registered.");
        }
        List<Integer> removing = before.replicas().stream().filter(r -> !target.contains(r)).toList();
        List<Integer> adding = target.stream().filter(r -> !before.replicas().contains(r)).toList();
        List<Integer> replicas = new ArrayList<>(target);
        replicas.addAll(removing);
        PartitionRegistration moving = new PartitionRegistration(replicas, before.isr(), before.leader(), before.leaderEpoch(),
                before.partitionEpoch(), adding, removing);
        return new Outcome(changed(moving, before.isr(), before.leader(), image), Errors.NONE, null);
    }

    private static Outcome cancel(PartitionRegistration before, ClusterImage image) {
        if (!before.reassigning()) {
            return Outcome.refused(before, Errors.NO_REASSIGNMENT_IN_PROGRESS, "No reassignment is in progress for this partition.");
        }
        List<Integer> original = before.originalReplicas();
        List<Integer> isr = before.isr().stream().filter(original::contains).toList();
        if (isr.isEmpty()) {
            return Outcome.refused(before, Errors.INVALID_REPLICA_ASSIGNMENT, "Unable to revert partition assignment to "
                    + original + " because it would require an unclean leader election: none of them is in the ISR " + before.isr());
        }
        int leader = isr.contains(before.leader()) ? before.leader() : firstLive(original, isr, image);
        return new Outcome(before.reassign(original, List.of(), List.of(), isr, leader), Errors.NONE, null);
    }

    /**
     * {@code base} with the new ISR and leader, and its reassignment completed if every target replica is now in
     * the ISR: one change, so the partition epoch moves once.
     */
    static PartitionRegistration changed(PartitionRegistration base, List<Integer> isr, int leader, ClusterImage image) {
        List<Integer> target = base.targetReplicas();
        if (!base.reassigning() || !isr.containsAll(target)) {
            return base.change(isr, leader);
        }
        List<Integer> newIsr = isr.stream().filter(target::contains).toList();
        int newLeader = target.contains(leader) ? leader : firstLive(target, newIsr, image);
        return base.reassign(target, List.of(), List.of(), newIsr, newLeader);
    }

    private static int firstLive(List<Integer> replicas, List<Integer> isr, ClusterImage image) {
        return replicas.stream().filter(r -> isr.contains(r) && image.isLive(r)).findFirst().orElse(PartitionRegistration.NO_LEADER);
    }
}
