package io.chronik.cluster;

import io.chronik.config.ChronikProperties;
import io.chronik.config.ClusterProperties;
import io.chronik.config.InvalidConfigurationException;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The checked settings of a clustered broker: who it is, who the voters are, and the quorum's timeouts. Settings
 * that cannot work together stop startup naming the key.
 */
public record ClusterSettings(int nodeId, String clusterId, QuorumVoters voters, Path metadataDir,
                              Duration sessionTimeout, Duration heartbeatInterval,
                              Duration electionTimeoutMin, Duration electionTimeoutMax, Duration requestTimeout,
                              long snapshotThreshold, long logSegmentBytes, QuorumVoter observer) {

    public static final String OBSERVER_KEY = "chronik.cluster.observer-address";

    /** A voter's settings. */
    public ClusterSettings(int nodeId, String clusterId, QuorumVoters voters, Path metadataDir, Duration sessionTimeout,
                           Duration heartbeatInterval, Duration electionTimeoutMin, Duration electionTimeoutMax,
                           Duration requestTimeout, long snapshotThreshold, long logSegmentBytes) {
        this(nodeId, clusterId, voters, metadataDir, sessionTimeout, heartbeatInterval, electionTimeoutMin,
                electionTimeoutMax, requestTimeout, snapshotThreshold, logSegmentBytes, null);
    }

    /** Where the quorum keeps its log and snapshots; not a partition directory name (those end in -N). */
    public static final String METADATA_DIR = "__cluster_metadata";

    public static ClusterSettings resolve(ChronikProperties broker, ClusterProperties cluster, Path dataDir) {
        if (broker.getNodeId() <= 0) {
            throw new InvalidConfigurationException("chronik.node-id", broker.getNodeId(),
                    "must be a positive integer when " + QuorumVoters.KEY + " is set");
        }
        QuorumVoters voters = QuorumVoters.parse(cluster.getVoters());
        boolean voter = voters.voter(broker.getNodeId()).isPresent();
        String observerAddress = cluster.getObserverAddress();
        boolean observerSet = observerAddress != null && !observerAddress.isBlank();
        QuorumVoter observer = null;
        if (voter && observerSet) {
            throw new InvalidConfigurationException(OBSERVER_KEY, observerAddress, "must be empty on a voter: "
                    + QuorumVoters.KEY + " lists this broker's chronik.node-id (" + broker.getNodeId() + ")");
        }
        if (!voter) {
            if (!observerSet) {
                throw new InvalidConfigurationException(QuorumVoters.KEY, cluster.getVoters(), "does not list this"
                        + " broker's chronik.node-id (" + broker.getNodeId() + "); a broker beyond the voters follows the"
                        + " quorum as an observer and needs " + OBSERVER_KEY + " (its own quorum host:port)");
            }
            observer = voters.observer(OBSERVER_KEY, observerAddress, broker.getNodeId());
        }
        if (cluster.getElectionTimeoutMax().compareTo(cluster.getElectionTimeoutMin()) <= 0) {
            throw new InvalidConfigurationException("chronik.cluster.election-timeout-max", cluster.getElectionTimeoutMax(),
                    "must be greater than chronik.cluster.election-timeout-min (" + cluster.getElectionTimeoutMin() + ")");
        }
        if (cluster.getHeartbeatInterval().compareTo(cluster.getSessionTimeout()) >= 0) {
            throw new InvalidConfigurationException("chronik.cluster.heartbeat-interval", cluster.getHeartbeatInterval(),
                    "must be shorter than chronik.cluster.session-timeout (" + cluster.getSessionTimeout() + ")");
        }
        long segment = cluster.getLogSegmentSize().toBytes();
        if (segment < 1024 || segment > Integer.MAX_VALUE) {
            throw new InvalidConfigurationException("chronik.cluster.log-segment-size", cluster.getLogSegmentSize(),
                    "must be between 1KB and 2GB");
        }
        return new ClusterSettings(broker.getNodeId(), broker.getClusterId(), voters, dataDir.resolve(METADATA_DIR),
                cluster.getSessionTimeout(), cluster.getHeartbeatInterval(), cluster.getElectionTimeoutMin(),
                cluster.getElectionTimeoutMax(), cluster.getRequestTimeout(), cluster.getSnapshotThreshold(), segment,
                observer);
    }

    /** This broker's quorum member: its voter entry, or its observer address. */
    public QuorumVoter self() {
        return observer != null ? observer : voters.voter(nodeId).orElseThrow();
    }

    /** Whether this broker follows the quorum without voting (it is not among the voters). */
    public boolean isObserver() {
        return observer != null;
    }
}
