package io.chronik.cluster;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** A topic in the cluster metadata: id, name, topic configs and its partitions by index. */
public record TopicImage(UUID id, String name, Map<String, String> configs, List<PartitionRegistration> partitions) {

    public TopicImage {
        configs = java.util.Collections.unmodifiableMap(new TreeMap<>(configs));
        partitions = List.copyOf(partitions);
    }

    TopicImage withPartition(int index, PartitionRegistration partition) {
        java.util.ArrayList<PartitionRegistration> copy = new java.util.ArrayList<>(partitions);
        copy.set(index, partition);
        return new TopicImage(id, name, configs, copy);
    }

    boolean uncleanLeaderElection() {
        return Boolean.parseBoolean(configs.getOrDefault("unclean.leader.election.enable", "false"));
    }
}
