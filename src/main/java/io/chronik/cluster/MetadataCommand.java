package io.chronik.cluster;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A change to the cluster metadata, written to the quorum log and applied in log order by every broker. Commands
 * carry everything their application needs, so applying them is deterministic; a command that no longer fits the
 * metadata (a stale incarnation, an outdated partition epoch) is refused with an error and changes nothing.
 */
public sealed interface MetadataCommand {

    /** A broker starting with a new incarnation: registered fenced, with the log index as its broker epoch. */
    record RegisterBroker(int brokerId, UUID incarnation, String clusterId, String host, int port) implements MetadataCommand {
    }

    /** The controller fences a broker that missed its session: out of every ISR, its leaderships re-elected. */
    record FenceBroker(int brokerId, UUID incarnation) implements MetadataCommand {
    }

    /** The controller unfences a registered broker that has caught up with the metadata. */
    record UnfenceBroker(int brokerId, UUID incarnation) implements MetadataCommand {
    }

    /** A new topic; {@code assignments} lists each partition's replicas, preferred leader first. */
    record CreateTopic(UUID topicId, String name, Map<String, String> configs, List<List<Integer>> assignments)
            implements MetadataCommand {
        public CreateTopic {
            configs = Map.copyOf(configs);
            assignments = assignments.stream().map(List::copyOf).toList();
        }
    }

    record DeleteTopic(UUID topicId) implements MetadataCommand {
    }

    /**
     * A new leader and ISR for one partition, refused unless {@code partitionEpoch} is the partition's current
     * epoch (so two changes based on the same state cannot both win).
     */
    record ChangePartition(UUID topicId, int partition, int leader, List<Integer> isr, int partitionEpoch)
            implements MetadataCommand {
        public ChangePartition {
            isr = List.copyOf(isr);
        }
    }

    /** New partitions appended to a topic; {@code newAssignments} lists each new partition's replicas in order. */
    record CreatePartitions(UUID topicId, List<List<Integer>> newAssignments) implements MetadataCommand {
        public CreatePartitions {
            newAssignments = newAssignments.stream().map(List::copyOf).toList();
        }
    }

    /** Replaces a topic's config overrides with {@code configs} (the full new set). */
    record AlterTopicConfigs(UUID topicId, Map<String, String> configs) implements MetadataCommand {
        public AlterTopicConfigs {
            configs = Map.copyOf(configs);
        }
    }

    /** A block of {@link #PRODUCER_ID_BLOCK} producer ids for one broker; the result's value is its first id. */
    record AllocateProducerIds(int brokerId) implements MetadataCommand {
    }

    /**
     * A leader election asked for by an operator (ElectLeaders) or by the controller's preferred-leader balancing,
     * decided against the image it is applied to: {@code unclean} false elects the preferred (first) replica if it
     * is live and in sync; true elects a live replica, outside the ISR if need be, for a partition without leader.
     */
    record ElectLeader(UUID topicId, int partition, boolean unclean) implements MetadataCommand {
    }

    /**
     * Starts moving a partition onto {@code targetReplicas} (first: preferred leader), replacing a reassignment in
     * progress; {@code targetReplicas} null cancels the one in progress, back to the original replicas.
     */
    record ReassignPartition(UUID topicId, int partition, List<Integer> targetReplicas) implements MetadataCommand {
        public ReassignPartition {
            targetReplicas = targetReplicas == null ? null : List.copyOf(targetReplicas);
        }
    }

    /**
     * Changes the dynamic broker configs of {@code resource}: a broker id, or "" for the cluster-wide default. Keys in
     * {@code set} take their value, keys in {@code deleted} are removed; the others stay (so two changes submitted
     * through different brokers do not undo each other).
     */
    record AlterBrokerConfigs(String resource, Map<String, String> set, List<String> deleted) implements MetadataCommand {
        public AlterBrokerConfigs {
            set = Map.copyOf(set);
            deleted = List.copyOf(deleted);
        }
    }

    int PRODUCER_ID_BLOCK = 1000;
}
