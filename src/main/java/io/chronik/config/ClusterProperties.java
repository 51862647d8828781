package io.chronik.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DataSizeUnit;
import org.springframework.util.unit.DataSize;
import org.springframework.util.unit.DataUnit;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * The metadata quorum, bound from {@code chronik.cluster.*}. Without {@code voters} the broker runs alone and none
 * of these settings is used. The timeouts are chosen for brokers that share a small, busy machine (see README).
 */
@Validated
@ConfigurationProperties("chronik.cluster")
public class ClusterProperties {
    /** Every node of the metadata quorum as {@code id@host:port}, comma-separated; the port is its quorum port. */
    private String voters;
    /**
     * The quorum address ({@code host:port}) of a broker that is not one of the voters: it follows the metadata as an
     * observer (a non-voting Raft listener), as KRaft brokers beyond the controllers do. Must be empty on a voter.
     */
    private String observerAddress;
    /** A broker that has not heartbeated the controller this long is fenced (Kafka's broker session timeout). */
    @NotNull
    @DurationMin(millis = 500)
    @DurationMax(minutes = 10)
    private Duration sessionTimeout = Duration.ofSeconds(9);
    /** How often a broker heartbeats the controller (Kafka's broker heartbeat interval). */
    @NotNull
    @DurationMin(millis = 50)
    @DurationMax(minutes = 5)
    private Duration heartbeatInterval = Duration.ofSeconds(2);
    /** A follower that hears nothing from the leader for a random time between min and max starts an election. */
    @NotNull
    @DurationMin(millis = 100)
    @DurationMax(minutes = 5)
    private Duration electionTimeoutMin = Duration.ofSeconds(2);
    @NotNull
    @DurationMin(millis = 100)
    @DurationMax(minutes = 5)
    private Duration electionTimeoutMax = Duration.ofSeconds(4);
    /** How long one quorum RPC (append, vote, client request) may take before it is retried. */
    @NotNull
    @DurationMin(millis = 100)
    @DurationMax(minutes = 5)
    private Duration requestTimeout = Duration.ofSeconds(5);
    /** Applied entries after which a snapshot is taken and the log is purged up to it. */
    @Min(1)
    @Max(100_000_000)
    private long snapshotThreshold = 10_000;
    /** Size of one quorum log segment; purging frees whole segments, so small segments keep the log small. */
    @NotNull
    @DataSizeUnit(DataUnit.BYTES)
    private DataSize logSegmentSize = DataSize.ofMegabytes(1);
    /** The controller moves leaderships back to preferred replicas (Kafka's auto.leader.rebalance.enable). */
    private boolean autoLeaderRebalanceEnable = true;
    /** How often the controller checks the leader balance (Kafka's leader.imbalance.check.interval.seconds). */
    @NotNull
    @DurationMin(seconds = 1)
    @DurationMax(days = 1)
    private Duration leaderImbalanceCheckInterval = Duration.ofSeconds(300);
    /** The share of a broker's preferred partitions others may lead before it gets them back (Kafka's leader.imbalance.per.broker.percentage). */
    @Min(0)
    @Max(100)
    private int leaderImbalancePerBrokerPercentage = 10;

    public String getVoters() { return voters; }
    public void setVoters(String voters) { this.voters = voters; }
    public String getObserverAddress() { return observerAddress; }
    public void setObserverAddress(String observerAddress) { this.observerAddress = observerAddress; }
    public Duration getSessionTimeout() { return sessionTimeout; }
    public void setSessionTimeout(Duration v) { this.sessionTimeout = v; }
    public Duration getHeartbeatInterval() { return heartbeatInterval; }
    public void setHeartbeatInterval(Duration v) { this.heartbeatInterval = v; }
    public Duration getElectionTimeoutMin() { return electionTimeoutMin; }
    public void setElectionTimeoutMin(Duration v) { this.electionTimeoutMin = v; }
    public Duration getElectionTimeoutMax() { return electionTimeoutMax; }
    public void setElectionTimeoutMax(Duration v) { this.electionTimeoutMax = v; }
    public Duration getRequestTimeout() { return requestTimeout; }
    public void setRequestTimeout(Duration v) { this.requestTimeout = v; }
    public long getSnapshotThreshold() { return snapshotThreshold; }
    public void setSnapshotThreshold(long v) { this.snapshotThreshold = v; }
    public DataSize getLogSegmentSize() { return logSegmentSize; }
    public void setLogSegmentSize(DataSize v) { this.logSegmentSize = v; }
    public boolean isAutoLeaderRebalanceEnable() { return autoLeaderRebalanceEnable; }
    public void setAutoLeaderRebalanceEnable(boolean v) { this.autoLeaderRebalanceEnable = v; }
    public Duration getLeaderImbalanceCheckInterval() { return leaderImbalanceCheckInterval; }
    public void setLeaderImbalanceCheckInterval(Duration v) { this.leaderImbalanceCheckInterval = v; }
    public int getLeaderImbalancePerBrokerPercentage() { return leaderImbalancePerBrokerPercentage; }
    public void setLeaderImbalancePerBrokerPercentage(int v) { this.leaderImbalancePerBrokerPercentage = v; }
}
