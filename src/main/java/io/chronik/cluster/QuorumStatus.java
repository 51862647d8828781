package io.chronik.cluster;

import java.util.List;

/**
 * The quorum as its leader sees it, in Kafka's terms (DescribeQuorum): the leader, its term as the leader epoch,
 * the high watermark (the commit index as an exclusive offset, like Kafka's) and, for every voter, its log end
 * offset and when it last fetched and was caught up (wall-clock milliseconds, -1 when unknown); the same for each
 * observer (a listener: a broker beyond the voters), whose host and port are its quorum address when known.
 */
public record QuorumStatus(int leaderId, long term, long highWatermark, List<Voter> voters, List<Voter> observers) {

    public record Voter(int id, String host, int port, long logEndOffset, long lastFetchTimestamp, long lastCaughtUpTimestamp) {
    }

    public QuorumStatus {
        voters = List.copyOf(voters);
        observers = List.copyOf(observers);
    }

    /** Without observers (brokers beyond the voters that follow the log). */
    public QuorumStatus(int leaderId, long term, long highWatermark, List<Voter> voters) {
        this(leaderId, term, highWatermark, voters, List.of());
    }
}
