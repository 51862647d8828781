package io.chronik.cluster;

import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Where the replicas of new partitions go, as Kafka places them without racks: over the live brokers sorted by id,
 * partition p's first replica (its preferred leader) is broker (start + p) mod n for a random start, so leaders
 * spread over the brokers; the other replicas follow at a shift that is random too and grows by one after every n
 * partitions, so the followers of a broker's partitions spread as well. Manual assignments are checked instead.
 */
public final class ReplicaPlacement {
    private final Random random;

    public ReplicaPlacement(Random random) {
        this.random = random;
    }

    /**
     * Replicas for {@code count} new partitions numbered from {@code firstPartition}, {@code replicationFactor} each.
     * Throws InvalidReplicationFactorException when there are fewer live brokers than that.
     */
    public List<List<Integer>> place(ClusterImage image, int firstPartition, int count, int replicationFactor) {
        List<Integer> brokers = image.liveBrokers().stream().map(BrokerRegistration::id).sorted().toList();
        int n = brokers.size();
        if (replicationFactor <= 0) {
            throw new InvalidReplicationFactorException("Replication factor must be larger than 0, or -1 to use the default value.");
        }
        if (replicationFactor > n) {
            throw new InvalidReplicationFactorException("Unable to replicate the partition " + replicationFactor
                    + " time(s): The target replication factor of " + replicationFactor
                    + " cannot be reached because only " + n + " broker(s) are registered.");
        }
        return place(brokers, firstPartition, count, replicationFactor, random.nextInt(n), random.nextInt(n));
    }

    /** The placement for a given start index and replica shift (deterministic, for tests). */
    static List<List<Integer>> place(List<Integer> brokers, int firstPartition, int count, int replicationFactor,
                                     int startIndex, int replicaShift) {
        int n = brokers.size();
        List<List<Integer>> assignments = new ArrayList<>(count);
        int shift = replicaShift;
        for (int partition = Math.max(0, firstPartition); assignments.size() < count; partition++) {
            if (partition > 0 && partition % n == 0) {
                shift++;
            }
            int first = (partition + startIndex) % n;
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            replicas.add(brokers.get(first));
            for (int j = 0; j < replicationFactor - 1; j++) {
                replicas.add(brokers.get((first + 1 + (shift + j) % (n - 1)) % n));
            }
            assignments.add(List.copyOf(replicas));
        }
        return assignments;
    }

    /**
     * Checks manual assignments for partitions {@code firstPartition, firstPartition + 1, ...} (the map's keys must be
     * exactly those): every broker registered, no broker twice in a partition, the same number of replicas for all.
     * Returns them in partition order.
     */
    public static List<List<Integer>> checkManual(ClusterImage image, int firstPartition, Map<Integer, List<Integer>> assignments,
                                                  int expectedReplicas) {
        List<List<Integer>> ordered = new ArrayList<>(assignments.size());
        int size = expectedReplicas;
        for (int p = firstPartition; p < firstPartition + assignments.size(); p++) {
            List<Integer> replicas = assignments.get(p);
            if (replicas == null) {
                throw new InvalidReplicaAssignmentException("Partitions must be numbered consecutively from " + firstPartition
                        + ", but the assignments are for partitions " + new java.util.TreeSet<>(assignments.keySet()) + ".");
            }
            if (replicas.isEmpty()) {
                throw new InvalidReplicaAssignmentException("The manual partition assignment includes a partition with no replicas.");
            }
            Set<Integer> distinct = new HashSet<>(replicas);
            if (distinct.size() != replicas.size()) {
                throw new InvalidReplicaAssignmentException("The manual partition assignment includes the broker "
                        + firstDuplicate(replicas) + " more than once.");
            }
            for (int broker : replicas) {
                if (image.broker(broker).isEmpty()) {
                    throw new InvalidReplicaAssignmentException("The manual partition assignment includes broker " + broker
                            + ", but no such broker is registered.");
                }
            }
            if (size < 0) {
                size = replicas.size();
            } else if (replicas.size() != size) {
                throw new InvalidReplicaAssignmentException("The manual partition assignment includes a partition with "
                        + replicas.size() + " replica(s), but this is not consistent with previous partitions, which have "
                        + size + " replica(s).");
            }
            ordered.add(List.copyOf(replicas));
        }
        if (ordered.isEmpty()) {
            throw new InvalidPartitionsException("The manual partition assignment lists no partition.");
        }
        return ordered;
    }

    private static int firstDuplicate(List<Integer> replicas) {
        Set<Integer> seen = new HashSet<>();
        for (int r : replicas) {
            if (!seen.add(r)) {
                return r;
            }
        }
        return -1;
    }
}
