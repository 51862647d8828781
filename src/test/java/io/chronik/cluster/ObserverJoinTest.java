package io.chronik.cluster;

import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.util.ProtoUtils;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The configuration an observer asks for: the leader's, with itself added to the listeners it already has. */
class ObserverJoinTest {
    private static final List<RaftPeer> VOTERS = List.of(
            QuorumPeers.peer(new QuorumVoter(1, "127.0.0.1", 9001)), QuorumPeers.peer(new QuorumVoter(2, "127.0.0.1", 9002)),
            QuorumPeers.peer(new QuorumVoter(3, "127.0.0.1", 9003)));

    @Test
    void aSecondObserverKeepsTheFirstAndOnlyReplacesTheConfigurationItWasBuiltFrom() {
        RaftPeer four = QuorumPeers.listener(new QuorumVoter(4, "127.0.0.1", 9004));
        RaftPeer five = QuorumPeers.listener(new QuorumVoter(5, "127.0.0.1", 9005));
        RaftConfigurationProto current = RaftConfigurationProto.newBuilder()
                .addAllPeers(ProtoUtils.toRaftPeerProtos(VOTERS)).addAllListeners(ProtoUtils.toRaftPeerProtos(List.of(four))).build();

        SetConfigurationRequest.Arguments args = ObserverJoin.joining(current, five);

        assertThat(args.getMode()).isEqualTo(SetConfigurationRequest.Mode.COMPARE_AND_SET);
        assertThat(args.getServersInNewConf()).extracting(RaftPeer::getId).containsExactlyElementsOf(VOTERS.stream().map(RaftPeer::getId).toList());
        assertThat(args.getPeersInNewConf(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER)).extracting(RaftPeer::getId).containsExactlyInAnyOrder(four.getId(), five.getId());
        assertThat(args.getListenersInCurrentConf()).extracting(RaftPeer::getId).containsExactly(four.getId());
        assertThat(ObserverJoin.listed(current, four.getId())).isTrue();
        assertThat(ObserverJoin.listed(current, RaftPeerId.valueOf("5"))).isFalse();
    }

    @Test
    void anObserverAlreadyListedIsNotListedTwice() {
        RaftPeer four = QuorumPeers.listener(new QuorumVoter(4, "127.0.0.1", 9004));
        RaftConfigurationProto current = RaftConfigurationProto.newBuilder()
                .addAllPeers(ProtoUtils.toRaftPeerProtos(VOTERS)).addAllListeners(ProtoUtils.toRaftPeerProtos(List.of(four))).build();
        assertThat(ObserverJoin.joining(current, four).getPeersInNewConf(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER)).extracting(RaftPeer::getId).containsExactly(four.getId());
    }
}
