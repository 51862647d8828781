package io.chronik.cluster;

import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the quorum's replication state on its leader for DescribeQuorum. Ratis log indexes are inclusive and
 * Kafka's offsets are exclusive, so a log end offset is the last index + 1 and the high watermark the commit
 * index + 1. A follower's log end offset is its match index + 1, its last fetch the leader's last answer from it;
 * it counts as caught up when its match index has reached the commit index.
 */
final class QuorumStatusReader {
    private QuorumStatusReader() {
    }

    static QuorumStatus read(RaftServer.Division division, QuorumVoters voters, long nowMillis) {
        DivisionInfo info = division.getInfo();
        RaftLog log = division.getRaftLog();
        long commitIndex = log.getLastCommittedIndex();
        long term = info.getCurrentTerm();
        if (!info.isLeader()) {
            RaftPeerId leader = info.getLeaderId();
            return new QuorumStatus(leader == null ? -1 : QuorumPeers.nodeId(leader), term, -1, List.of());
        }
        Map<Integer, long[]> followers = new java.util.TreeMap<>(); // id -> {match index, last fetch}
        RoleInfoProto role = info.getRoleInfoProto();
        long[] matchIndices = info.getFollowerMatchIndices();
        if (role.hasLeaderInfo() && matchIndices != null) {
            List<ServerRpcProto> rpcs = role.getLeaderInfo().getFollowerInfoList();
            for (int i = 0; i < Math.min(rpcs.size(), matchIndices.length); i++) {
                int id = QuorumPeers.nodeId(RaftPeerId.valueOf(rpcs.get(i).getId().getId()));
                followers.put(id, new long[]{matchIndices[i], nowMillis - rpcs.get(i).getLastRpcElapsedTimeMs()});
            }
        }
        int self = QuorumPeers.nodeId(division.getId());
        List<QuorumStatus.Voter> states = new ArrayList<>();
        for (QuorumVoter v : voters.all()) {
            if (v.id() == self) {
                states.add(new QuorumStatus.Voter(v.id(), v.host(), v.port(), log.getNextIndex(), -1, nowMillis));
            } else {
                long[] f = followers.get(v.id());
                states.add(f == null
                        ? new QuorumStatus.Voter(v.id(), v.host(), v.port(), -1, -1, -1)
                        : new QuorumStatus.Voter(v.id(), v.host(), v.port(), f[0] + 1, f[1], f[0] >= commitIndex ? f[1] : -1));
            }
        }
        List<QuorumStatus.Voter> observers = new ArrayList<>();
        followers.forEach((id, f) -> {
            if (voters.voter(id).isEmpty()) {
                org.apache.ratis.protocol.RaftPeer peer = division.getRaftConf().getPeer(QuorumPeers.peerId(id),
                        org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER);
                String address = peer == null ? null : peer.getAddress();
                int colon = address == null ? -1 : address.lastIndexOf(':');
                String host = colon < 0 ? "" : address.substring(0, colon).replace("[", "").replace("]", "");
                int port = colon < 0 ? -1 : Integer.parseInt(address.substring(colon + 1));
                observers.add(new QuorumStatus.Voter(id, host, port, f[0] + 1, f[1], f[0] >= commitIndex ? f[1] : -1));
            }
        });
        return new QuorumStatus(self, term, commitIndex + 1, states, observers);
    }
}
