package io.chronik.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * Data replication between brokers, bound from {@code chronik.replication.*}; used only in a cluster. The names
 * follow Kafka's replica.* broker settings, and so do the defaults.
 */
@Validated
@ConfigurationProperties("chronik.replication")
public class ReplicationProperties {
    /** A follower that has not caught up with the leader's log end for this long leaves the ISR (replica.lag.time.max.ms). */
    @NotNull
    @DurationMin(millis = 100)
    @DurationMax(hours = 1)
    private Duration lagTimeMax = Duration.ofSeconds(30);
    /** How long the leader holds a follower's fetch when it has nothing new (replica.fetch.wait.max.ms). */
    @NotNull
    @DurationMin(millis = 1)
    @DurationMax(minutes = 1)
    private Duration fetchWaitMax = Duration.ofMillis(500);
    /** Bytes one follower fetch asks for over all its partitions (replica.fetch.response.max.bytes). */
    @Min(1024)
    @Max(1 << 30)
    private int fetchMaxBytes = 10 * 1024 * 1024;
    /** Bytes one follower fetch asks for per partition (replica.fetch.max.bytes). */
    @Min(1024)
    @Max(1 << 30)
    private int fetchPartitionMaxBytes = 1024 * 1024;
    /** Pause after a failed follower fetch before the next (replica.fetch.backoff.ms). */
    @NotNull
    @DurationMin(millis = 1)
    @DurationMax(minutes = 1)
    private Duration fetchBackoff = Duration.ofSeconds(1);
    /** How long a broker-to-broker request may stay unanswered (replica.socket.timeout.ms). */
    @NotNull
    @DurationMin(millis = 100)
    @DurationMax(minutes = 10)
    private Duration requestTimeout = Duration.ofSeconds(30);

    public Duration getLagTimeMax() { return lagTimeMax; }
    public void setLagTimeMax(Duration v) { this.lagTimeMax = v; }
    public Duration getFetchWaitMax() { return fetchWaitMax; }
    public void setFetchWaitMax(Duration v) { this.fetchWaitMax = v; }
    public int getFetchMaxBytes() { return fetchMaxBytes; }
    public void setFetchMaxBytes(int v) { this.fetchMaxBytes = v; }
    public int getFetchPartitionMaxBytes() { return fetchPartitionMaxBytes; }
    public void setFetchPartitionMaxBytes(int v) { this.fetchPartitionMaxBytes = v; }
    public Duration getFetchBackoff() { return fetchBackoff; }
    public void setFetchBackoff(Duration v) { this.fetchBackoff = v; }
    public Duration getRequestTimeout() { return requestTimeout; }
    public void setRequestTimeout(Duration v) { this.requestTimeout = v; }
}
