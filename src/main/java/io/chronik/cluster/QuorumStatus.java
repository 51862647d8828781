package io.chronik.cluster;

import java.util.List;

/**
 * The quorum as its leader sees it, in Kafka's terms (DescribeQuorum): the leader, its term as the leader epoch,
 * the high watermark (the commit index as an exclusive offset, like Kafka's) and, for every voter, its log end
 * offset and when it last fetched and was caught up (wall-clock milliseconds, -1 when unknown).
 */
public record QuorumStatus(int leaderId, long term, long highWatermark, List<Voter> voters) {

    public record Voter(int id, String host, int port, long logEndOffset, long lastFetchTimestamp, long lastCaughtUpTimestamp) {
    }

    public QuorumStatus {
        voters = List.copyOf(voters);
    }
}
