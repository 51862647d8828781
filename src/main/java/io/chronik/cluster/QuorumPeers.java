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
        RaftGroupId id = RaftGroupId.valueOf(UUID.nameUUIDFromBytes("chronik-metadata".getBytes(StandardCharsets.UTF_8)));
        return RaftGroup.valueOf(id, voters.all().stream()
                .map(v -> RaftPeer.newBuilder().setId(peerId(v.id())).setAddress(v.address()).build())
                .toList());
    }
}
