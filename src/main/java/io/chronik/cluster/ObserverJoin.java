package io.chronik.cluster;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.util.ProtoUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An observer (a broker beyond the voters) asks the quorum leader to add it to the Raft configuration as a listener:
 * the leader then replicates the metadata log to it, and it never votes or leads. Asking again after a restart
 * changes nothing. The request is a compare-and-set of the leader's whole configuration (its voters, its listeners
 * and this observer): Ratis' ADD mode replaces the listeners instead of adding to them, so a second observer's
 * join used to drop the first one, which then never saw its own registration applied and stayed fenced. A
 * configuration that changed in between (another observer joined) fails the compare and the join is retried on the
 * new one. Runs on its own thread until the broker stops: every second until the leader's configuration lists this
 * observer, then every {@value #CHECK_MILLIS} ms, joining again whenever it is missing. Until listed the broker simply
 * gets no metadata (it is not registered, or stays fenced, and serves no partitions).
 */
public final class ObserverJoin implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ObserverJoin.class);
    private static final long RETRY_MILLIS = 1000;
    static final long CHECK_MILLIS = 5000;

    private final Thread thread;
    private volatile boolean closed;

    private ObserverJoin(QuorumServer quorum) {
        ClusterSettings settings = quorum.settings();
        if (settings.isObserver()) {
            this.thread = new Thread(() -> run(settings, quorum), "chronik-quorum-observer-join");
            thread.setDaemon(true);
        } else {
            this.thread = null;
        }
    }

    /** Starts joining when this broker is an observer; does nothing on a voter. */
    public static ObserverJoin start(QuorumServer quorum) {
        ObserverJoin join = new ObserverJoin(quorum);
        if (join.thread != null) {
            join.thread.start();
        }
        return join;
    }

    private void run(ClusterSettings settings, QuorumServer quorum) {
        RaftPeer self = QuorumPeers.listener(settings.self());
        int attempts = 0;
        boolean joined = false;
        RaftClient client = null;
        while (!closed) {
            long pause = RETRY_MILLIS;
            try {
                if (client == null) {
                    client = RaftClient.newBuilder().setRaftGroup(quorum.group())
                            .setProperties(RaftTuning.clientProperties(settings)).build();
                }
                Optional<RaftConfigurationProto> conf = leaderConfiguration(client, quorum);
                if (conf.isEmpty()) {
                    attempts++;
                    if (!joined && (attempts == 1 || attempts % 30 == 0)) {
                        log.info("The metadata quorum did not add observer {} yet: no voter answers as leader", settings.nodeId());
                    }
                } else if (listed(conf.get(), self.getId())) {
                    if (!joined) {
                        log.info("Joined the metadata quorum as observer {} at {} (voters {})", settings.nodeId(),
                                settings.self().address(), settings.voters());
                    }
                    joined = true;
                    attempts = 0;
                    pause = CHECK_MILLIS;
                } else {
                    attempts++;
                    if (joined) {
                        log.info("Observer {} is missing from the metadata quorum's configuration: joining again", settings.nodeId());
                        joined = false;
                    }
                    RaftClientReply reply = client.admin().setConfiguration(joining(conf.get(), self));
                    if (!reply.isSuccess() && (attempts == 1 || attempts % 30 == 0)) {
                        log.info("The metadata quorum did not add observer {} yet: {}", settings.nodeId(), reply.getException());
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (!joined && (attempts == 1 || attempts % 30 == 0)) {
                    log.info("The metadata quorum did not add observer {} yet: {}", settings.nodeId(), e.toString());
                }
                client = closeQuietly(client);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                break;
            }
        }
        closeQuietly(client);
    }

    /** The leader's configuration with {@code self} added to its listeners, applied only if it is still the current one. */
    static SetConfigurationRequest.Arguments joining(RaftConfigurationProto current, RaftPeer self) {
        List<RaftPeer> voters = ProtoUtils.toRaftPeers(current.getPeersList());
        List<RaftPeer> listeners = ProtoUtils.toRaftPeers(current.getListenersList());
        List<RaftPeer> withSelf = new ArrayList<>(listeners);
        withSelf.removeIf(p -> p.getId().equals(self.getId()));
        withSelf.add(self);
        return SetConfigurationRequest.Arguments.newBuilder()
                .setServersInCurrentConf(voters).setListenersInCurrentConf(listeners)
                .setServersInNewConf(voters).setListenersInNewConf(withSelf)
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                .build();
    }

    /** The quorum leader's current configuration; empty when no voter answers as leader (an election, or all unreachable). */
    private static Optional<RaftConfigurationProto> leaderConfiguration(RaftClient client, QuorumServer quorum) {
        for (QuorumVoter voter : quorum.settings().voters().all()) {
            GroupInfoReply info;
            try {
                info = client.getGroupManagementApi(QuorumPeers.peerId(voter.id())).info(quorum.group().getGroupId());
            } catch (IOException | RuntimeException unreachable) {
                continue;
            }
            if (info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER && info.getConf().isPresent()) {
                return info.getConf();
            }
        }
        return Optional.empty();
    }

    static boolean listed(RaftConfigurationProto conf, RaftPeerId self) {
        return conf.getListenersList().stream().anyMatch(p -> RaftPeerId.valueOf(p.getId()).equals(self));
    }

    private static RaftClient closeQuietly(RaftClient client) {
        if (client != null) {
            try {
                client.close();
            } catch (IOException | RuntimeException ignored) {
                // a new client is built for the next attempt
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
