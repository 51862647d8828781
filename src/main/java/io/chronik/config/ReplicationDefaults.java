package io.chronik.config;

/**
 * Broker-wide replication defaults: the replication factor of topics created without one and the default of the
 * topic config min.insync.replicas. A replication factor the cluster's brokers cannot hold stops startup.
 */
public record ReplicationDefaults(int replicationFactor, int minInsyncReplicas) {

    /** {@code voters} is the number of quorum voters, or 0 for a broker running alone. */
    public static ReplicationDefaults resolve(ChronikProperties props, int voters) {
        int brokers = Math.max(1, voters);
        Integer configured = props.getDefaultReplicationFactor();
        int factor = configured == null ? Math.min(3, brokers) : configured;
        if (factor > brokers) {
            throw new InvalidConfigurationException("chronik.default-replication-factor", factor, voters == 0
                    ? "must be 1 for a broker without chronik.cluster.voters"
                    : "must not exceed the number of brokers in chronik.cluster.voters (" + brokers + ")");
        }
        return new ReplicationDefaults(factor, props.getMinInsyncReplicas());
    }
}
