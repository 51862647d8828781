package io.chronik.replica;

import org.apache.kafka.common.protocol.Errors;

/**
 * Why this broker does not serve a partition as its leader, with what it knows of the current leader (KIP-951):
 * leader -1 and host null when there is none or the partition is unknown here.
 */
public record NotLeader(Errors error, int leaderId, int leaderEpoch, String host, int port) {

    public static NotLeader of(Errors error) {
        return new NotLeader(error, -1, -1, null, -1);
    }

    public boolean knowsLeader() {
        return leaderId >= 0 && host != null;
    }
}
