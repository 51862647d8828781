package io.chronik.config;

/**
 * Broker-wide replication defaults: the replication factor of topics created without one and the default of the
 * topic config min.insync.replicas. A broker running alone refuses any factor but 1 at startup; in a cluster the
 * brokers that count are the live registered ones, observers included, so a factor is checked when a topic is
 * placed (INVALID_REPLICATION_FACTOR, as Kafka answers), not against the voters at startup.
 *
 * @param replicationFactor the configured factor ({@code chronik.default-replication-factor}), else the default for
 *                          the brokers known at startup: min(3, voters), 1 alone
 * @param configured        whether the factor is configured; if not, more live brokers raise it up to 3
 */
public record ReplicationDefaults(int replicationFactor, int minInsyncReplicas, boolean configured) {
    /** The default when unconfigured: Kafka's usual replication factor, three, where there are brokers for it. */
    static final int MAX_DEFAULT = 3;

    /** {@code voters} is the number of quorum voters, or 0 for a broker running alone. */
    public static ReplicationDefaults resolve(ChronikProperties props, int voters) {
        Integer configured = props.getDefaultReplicationFactor();
        int factor = configured == null ? Math.min(MAX_DEFAULT, Math.max(1, voters)) : configured;
        if (factor < 1 || (voters == 0 && factor > 1)) {
            throw new InvalidConfigurationException("chronik.default-replication-factor", factor, voters == 0
                    ? "must be 1 for a broker without chronik.cluster.voters" : "must be at least 1");
        }
        return new ReplicationDefaults(factor, props.getMinInsyncReplicas(), configured != null);
    }

    /**
     * The factor of a topic created without one while {@code liveBrokers} brokers are registered and unfenced
     * (voters and observers): the configured one, else min(3, the larger of the voters and the live brokers).
     */
    public int replicationFactor(int liveBrokers) {
        return configured ? replicationFactor : Math.min(MAX_DEFAULT, Math.max(replicationFactor, liveBrokers));
    }
}
