package io.chronik.cluster;

import java.util.UUID;

/**
 * A question for the quorum leader that is not a log entry: answered from the leader's memory, so heartbeats do
 * not grow the log (as in KRaft, only the fencing and unfencing they lead to are written).
 */
public sealed interface MetadataQuery {

    /** A broker's heartbeat: who it is, which incarnation, and how far it has applied the metadata. */
    record Heartbeat(int brokerId, UUID incarnation, long appliedIndex) implements MetadataQuery {
    }

    /** The quorum's state for DescribeQuorum. */
    record DescribeQuorum() implements MetadataQuery {
    }

    /** What the controller answers a heartbeat. */
    enum BrokerState {
        /** The controller has no registration for this incarnation: register again. */
        UNKNOWN,
        FENCED,
        UNFENCED
    }
}
