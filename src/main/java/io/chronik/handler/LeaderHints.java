package io.chronik.handler;

import io.chronik.replica.NotLeader;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * KIP-951: a NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH answer names the current leader and its endpoint, so
 * the client moves to it without asking for metadata first (Produce v10+, Fetch v16+).
 */
final class LeaderHints {
    private LeaderHints() {
    }

    private static boolean applies(NotLeader notLeader) {
        return notLeader.knowsLeader() && (notLeader.error() == Errors.NOT_LEADER_OR_FOLLOWER
                || notLeader.error() == Errors.FENCED_LEADER_EPOCH);
    }

    static void produce(ProduceResponseData response, ProduceResponseData.PartitionProduceResponse partition,
                        NotLeader notLeader, short version) {
        if (version < 10 || !applies(notLeader)) {
            return;
        }
        partition.setCurrentLeader(new ProduceResponseData.LeaderIdAndEpoch().setLeaderId(notLeader.leaderId())
                .setLeaderEpoch(notLeader.leaderEpoch()));
        if (response.nodeEndpoints().find(notLeader.leaderId()) == null) {
            response.nodeEndpoints().add(new ProduceResponseData.NodeEndpoint().setNodeId(notLeader.leaderId())
                    .setHost(notLeader.host()).setPort(notLeader.port()).setRack(null));
        }
    }

    static void fetch(FetchResponseData response, FetchResponseData.PartitionData partition, NotLeader notLeader,
                      short version) {
        if (version < 16 || !applies(notLeader)) {
            return;
        }
        partition.setCurrentLeader(new FetchResponseData.LeaderIdAndEpoch().setLeaderId(notLeader.leaderId())
                .setLeaderEpoch(notLeader.leaderEpoch()));
        if (response.nodeEndpoints().find(notLeader.leaderId()) == null) {
            response.nodeEndpoints().add(new FetchResponseData.NodeEndpoint().setNodeId(notLeader.leaderId())
                    .setHost(notLeader.host()).setPort(notLeader.port()).setRack(null));
        }
    }
}
