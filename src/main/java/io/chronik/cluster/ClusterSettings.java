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
                              long snapshotThreshold, long logSegmentBytes) {

    /** Where the quorum keeps its log and snapshots; not a partition directory name (those end in -N). */
    public static final String METADATA_DIR = "__cluster_metadata";

    public static ClusterSettings resolve(ChronikProperties broker, ClusterProperties cluster, Path dataDir) {
        if (broker.getNodeId() <= 0) {
            throw new InvalidConfigurationException("chronik.node-id", broker.getNodeId(),
                    "must be a positive integer when " + QuorumVoters.KEY + " is set");
        }
        QuorumVoters voters = QuorumVoters.parse(cluster.getVoters(), broker.getNodeId());
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
                cluster.getElectionTimeoutMax(), cluster.getRequestTimeout(), cluster.getSnapshotThreshold(), segment);
    }

    public QuorumVoter self() {
        return voters.voter(nodeId).orElseThrow();
    }
}
