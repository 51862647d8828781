package io.chronik.protocol;

import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The Kafka APIs Chronik can serve, with the version range Chronik implements. What is advertised in
 * ApiVersions is the subset of these for which a handler is registered (see {@link ApiTable}).
 */
public enum Api {
    PRODUCE(ApiKeys.PRODUCE, 3, 13),
    FETCH(ApiKeys.FETCH, 4, 18),
    LIST_OFFSETS(ApiKeys.LIST_OFFSETS, 1, 11),
    OFFSET_FOR_LEADER_EPOCH(ApiKeys.OFFSET_FOR_LEADER_EPOCH, 0, 4),
    METADATA(ApiKeys.METADATA, 0, 13),
    API_VERSIONS(ApiKeys.API_VERSIONS, 0, 5),
    CREATE_TOPICS(ApiKeys.CREATE_TOPICS, 2, 7),
    DELETE_TOPICS(ApiKeys.DELETE_TOPICS, 1, 6),
    DELETE_RECORDS(ApiKeys.DELETE_RECORDS, 0, 2),
    INIT_PRODUCER_ID(ApiKeys.INIT_PRODUCER_ID, 0, 5),
    // Sent by transaction coordinators to partition leaders (the versions Kafka 4.x brokers send).
    WRITE_TXN_MARKERS(ApiKeys.WRITE_TXN_MARKERS, 1, 2),
    DESCRIBE_CONFIGS(ApiKeys.DESCRIBE_CONFIGS, 1, 4),
    ALTER_CONFIGS(ApiKeys.ALTER_CONFIGS, 0, 2),
    CREATE_PARTITIONS(ApiKeys.CREATE_PARTITIONS, 0, 3),
    INCREMENTAL_ALTER_CONFIGS(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, 1),
    DESCRIBE_CLUSTER(ApiKeys.DESCRIBE_CLUSTER, 0, 2),
    // Served only by brokers of a cluster (chronik.cluster.voters).
    DESCRIBE_QUORUM(ApiKeys.DESCRIBE_QUORUM, 0, 2),
    ELECT_LEADERS(ApiKeys.ELECT_LEADERS, 0, 2),
    ALTER_PARTITION_REASSIGNMENTS(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, 0, 1),
    LIST_PARTITION_REASSIGNMENTS(ApiKeys.LIST_PARTITION_REASSIGNMENTS, 0, 0),
    DESCRIBE_LOG_DIRS(ApiKeys.DESCRIBE_LOG_DIRS, 1, 4),
    // kafka-transactions describe-producers: answered by the partition leader from its producer state.
    DESCRIBE_PRODUCERS(ApiKeys.DESCRIBE_PRODUCERS, 0, 0),
    FIND_COORDINATOR(ApiKeys.FIND_COORDINATOR, 0, 6),
    JOIN_GROUP(ApiKeys.JOIN_GROUP, 0, 9),
    SYNC_GROUP(ApiKeys.SYNC_GROUP, 0, 5),
    HEARTBEAT(ApiKeys.HEARTBEAT, 0, 4),
    LEAVE_GROUP(ApiKeys.LEAVE_GROUP, 0, 5),
    // Version 10 of the offset APIs addresses topics by id.
    OFFSET_COMMIT(ApiKeys.OFFSET_COMMIT, 2, 10),
    OFFSET_FETCH(ApiKeys.OFFSET_FETCH, 1, 10),
    // Offsets of a transaction, sent to the group coordinator.
    TXN_OFFSET_COMMIT(ApiKeys.TXN_OFFSET_COMMIT, 0, 5),
    LIST_GROUPS(ApiKeys.LIST_GROUPS, 0, 5),
    DESCRIBE_GROUPS(ApiKeys.DESCRIBE_GROUPS, 0, 6),
    DELETE_GROUPS(ApiKeys.DELETE_GROUPS, 0, 2),
    OFFSET_DELETE(ApiKeys.OFFSET_DELETE, 0, 0),
    CONSUMER_GROUP_HEARTBEAT(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 0, 1),
    CONSUMER_GROUP_DESCRIBE(ApiKeys.CONSUMER_GROUP_DESCRIBE, 0, 1),
    // The transaction coordinator. AddPartitionsToTxn v4+ is the brokers' form (partition verification and, for
    // transaction version 2, partitions added by leaders; KIP-890). EndTxn v5 bumps the epoch (transaction version 2).
    ADD_PARTITIONS_TO_TXN(ApiKeys.ADD_PARTITIONS_TO_TXN, 0, 5),
    ADD_OFFSETS_TO_TXN(ApiKeys.ADD_OFFSETS_TO_TXN, 0, 4),
    END_TXN(ApiKeys.END_TXN, 0, 5),
    DESCRIBE_TRANSACTIONS(ApiKeys.DESCRIBE_TRANSACTIONS, 0, 0),
    LIST_TRANSACTIONS(ApiKeys.LIST_TRANSACTIONS, 0, 1);

    final ApiKeys kafka;
    private final short minVersion;
    private final short maxVersion;

    Api(ApiKeys kafka, int minVersion, int maxVersion) {
        this.kafka = kafka;
        this.minVersion = (short) Math.max(minVersion, kafka.oldestVersion());
        this.maxVersion = (short) Math.min(maxVersion, kafka.latestVersion());
    }

    public short id() {
        return kafka.id;
    }

    public short minVersion() {
        return minVersion;
    }

    public short maxVersion() {
        return maxVersion;
    }

    public boolean supports(short version) {
        return version >= minVersion && version <= maxVersion;
    }

    private static final Api[] BY_ID = new Api[128];

    static {
        for (Api api : values()) {
            BY_ID[api.id()] = api;
        }
    }

    /** The Api for a wire key, or null when Chronik does not know it. */
    public static Api forId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}
