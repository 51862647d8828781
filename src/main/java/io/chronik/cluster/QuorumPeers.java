package io.chronik.cluster;

import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** How Chronik's node ids and voters map to Ratis peers, and the one Raft group of a cluster. */
public final class QuorumPeers {
    private QuorumPeers() {
    }

    public static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf(Integer.toString(nodeId));
    }

    public static int nodeId(RaftPeerId peerId) {
        return Integer.parseInt(peerId.toString());
    }

    /**
     * The group of the cluster's voters. Its id is the same for every cluster: voters are found by address, and a
     * broker configured with another cluster id still joins the quorum it points at, where its registration is
     * refused (INCONSISTENT_CLUSTER_ID) and it stops saying so, instead of waiting silently for a quorum of its own.
     */
    public static RaftGroup group(String clusterId, QuorumVoters voters) {
        return RaftGroup.valueOf(GROUP_ID, voters.all().stream().map(QuorumPeers::peer).toList());
    }

    /**
     * The group a broker's own quorum member starts with: the voters, and for an observer itself as a listener
     * (a non-voting member, which never starts an election), until the leader's configuration reaches it.
     */
    public static RaftGroup serverGroup(ClusterSettings settings) {
        if (!settings.isObserver()) {
            return group(settings.clusterId(), settings.voters());
        }
        java.util.List<RaftPeer> peers = new java.util.ArrayList<>(settings.voters().all().stream().map(QuorumPeers::peer).toList());
        peers.add(listener(settings.self()));
        return RaftGroup.valueOf(GROUP_ID, peers);
    }

    static RaftPeer peer(QuorumVoter member) {
        return RaftPeer.newBuilder().setId(peerId(member.id())).setAddress(member.address()).build();
    }

    static RaftPeer listener(QuorumVoter member) {
        return RaftPeer.newBuilder().setId(peerId(member.id())).setAddress(member.address())
                .setStartupRole(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER).build();
    }

    private static final RaftGroupId GROUP_ID =
            RaftGroupId.valueOf(UUID.nameUUIDFromBytes("chronik-metadata".getBytes(StandardCharsets.UTF_8)));
}
