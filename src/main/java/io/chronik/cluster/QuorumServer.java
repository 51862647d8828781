package io.chronik.cluster;

import io.chronik.config.InvalidConfigurationException;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/**
 * This broker's member of the metadata quorum: an embedded Ratis server in the cluster's one Raft group, bound to
 * the broker's own quorum port, with its log and snapshots under {@code <data-dir>/__cluster_metadata}. The Raft
 * leader is the controller.
 */
public final class QuorumServer implements ClusterView, Closeable {
    private static final Logger log = LoggerFactory.getLogger(QuorumServer.class);

    private final ClusterSettings settings;
    private final MetadataStateMachine stateMachine;
    private final RaftGroup group;
    private final RaftServer server;
    private final RaftServer.Division division;

    private QuorumServer(ClusterSettings settings, MetadataStateMachine stateMachine, RaftGroup group, RaftServer server)
            throws IOException {
        this.settings = settings;
        this.stateMachine = stateMachine;
        this.group = group;
        this.server = server;
        this.division = server.getDivision(group.getGroupId());
    }

    /** Starts the quorum member; a quorum port that cannot be bound stops startup naming the voters key. */
    public static QuorumServer start(ClusterSettings settings, MetadataStateMachine stateMachine, BrokerHeartbeatManager heartbeats) {
        RaftGroup group = QuorumPeers.group(settings.clusterId(), settings.voters());
        RaftServer server = null;
        try {
            Files.createDirectories(settings.metadataDir());
            server = RaftServer.newBuilder()
                    .setServerId(QuorumPeers.peerId(settings.nodeId()))
                    .setGroup(QuorumPeers.serverGroup(settings))
                    .setStateMachine(stateMachine)
                    .setProperties(RaftTuning.serverProperties(settings))
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            server.start();
            QuorumServer started = new QuorumServer(settings, stateMachine, group, server);
            LeaderQueries.install(started, heartbeats);
            log.info("Metadata quorum {} {} started on {} with voters {}, storage {}",
                    settings.isObserver() ? "observer" : "member", settings.nodeId(), settings.self().address(),
                    settings.voters(), settings.metadataDir());
            return started;
        } catch (IOException | RuntimeException e) {
            closeQuietly(server);
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof java.net.BindException) {
                    String key = settings.isObserver() ? ClusterSettings.OBSERVER_KEY : QuorumVoters.KEY;
                    Object value = settings.isObserver() ? settings.self().address() : settings.voters();
                    throw new InvalidConfigurationException(key, value,
                            "cannot bind this broker's quorum port " + settings.self().address() + " (" + cause.getMessage() + ")");
                }
            }
            throw new IllegalStateException("The metadata quorum member could not start with storage " + settings.metadataDir(), e);
        }
    }

    RaftGroup group() {
        return group;
    }

    ClusterSettings settings() {
        return settings;
    }

    public MetadataStateMachine stateMachine() {
        return stateMachine;
    }

    public ClusterImage image() {
        return stateMachine.image();
    }

    public boolean isLeader() {
        return division.getInfo().isLeader();
    }

    @Override
    public int controllerId() {
        RaftPeerId leader = division.getInfo().getLeaderId();
        return leader == null ? -1 : QuorumPeers.nodeId(leader);
    }

    @Override
    public List<BrokerRegistration> liveBrokers() {
        return image().liveBrokers();
    }

    /** The current Raft term (the leader epoch in Kafka's words). */
    public long term() {
        return division.getInfo().getCurrentTerm();
    }

    public long commitIndex() {
        return division.getRaftLog().getLastCommittedIndex();
    }

    public long appliedIndex() {
        return division.getInfo().getLastAppliedIndex();
    }

    /** The first index still in this member's log: everything before it was purged after a snapshot. */
    long logStartIndex() {
        return division.getRaftLog().getStartIndex();
    }

    /** The quorum's replication state; complete only on the leader. */
    public QuorumStatus status() {
        return QuorumStatusReader.read(division, settings.voters(), System.currentTimeMillis());
    }

    @Override
    public void close() {
        closeQuietly(server);
        log.info("Metadata quorum member {} stopped", settings.nodeId());
    }

    private static void closeQuietly(RaftServer server) {
        if (server != null) {
            try {
                server.close();
            } catch (IOException | RuntimeException e) {
                log.warn("Closing the metadata quorum member failed: {}", e.toString());
            }
        }
    }
}
