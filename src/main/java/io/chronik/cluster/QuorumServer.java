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
        handOverLeadership();
        closeQuietly(server);
        log.info("Metadata quorum member {} stopped", settings.nodeId());
    }

    /**
     * A leader that stops hands the quorum's leadership to the most caught-up other voter first (as a KRaft
     * controller resigns): the new leader is elected at once and commits in its term, so the others learn that the
     * last entries this leader committed (a controlled shutdown's) are committed within milliseconds, not after an
     * election timeout. Bounded by {@link #HAND_OVER_TIMEOUT_MS}; a failed hand-over only leaves the election to the
     * timeouts.
     */
    private void handOverLeadership() {
        if (settings.isObserver() || !isLeader()) {
            return;
        }
        java.util.Optional<QuorumStatus.Voter> target = status().voters().stream()
                .filter(v -> v.id() != settings.nodeId())
                .max(java.util.Comparator.comparingLong(QuorumStatus.Voter::logEndOffset)
                        .thenComparingLong(QuorumStatus.Voter::lastFetchTimestamp));
        if (target.isEmpty()) {
            return;
        }
        try {
            org.apache.ratis.protocol.TransferLeadershipRequest request = new org.apache.ratis.protocol.TransferLeadershipRequest(
                    org.apache.ratis.protocol.ClientId.randomId(), server.getId(), group.getGroupId(), 0,
                    QuorumPeers.peerId(target.get().id()), HAND_OVER_TIMEOUT_MS);
            org.apache.ratis.protocol.RaftClientReply reply = server.transferLeadershipAsync(request)
                    .get(HAND_OVER_TIMEOUT_MS + 500, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (reply.isSuccess()) {
                log.info("Metadata quorum leadership handed to member {} before stopping", target.get().id());
            } else {
                log.info("Metadata quorum leadership not handed over before stopping: {}", String.valueOf(reply.getException()));
            }
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.info("Metadata quorum leadership not handed over before stopping: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long a stopping leader waits for its chosen successor to take over. */
    private static final long HAND_OVER_TIMEOUT_MS = 2_000;

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
