package io.chronik.config;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/** Consumer group settings, bound from {@code chronik.group.*}. */
@Validated
@ConfigurationProperties("chronik.group")
public class GroupProperties {
    /** How long the first rebalance of an empty group waits for more members (Kafka's default 3 s). */
    @NotNull
    private Duration initialRebalanceDelay = Duration.ofSeconds(3);
    /** Committed offsets of a group that stays empty this long expire (Kafka's default 7 days). */
    @NotNull
    private Duration offsetsRetention = Duration.ofDays(7);

    public Duration getInitialRebalanceDelay() { return initialRebalanceDelay; }
    public void setInitialRebalanceDelay(Duration v) { this.initialRebalanceDelay = v; }
    public Duration getOffsetsRetention() { return offsetsRetention; }
    public void setOffsetsRetention(Duration v) { this.offsetsRetention = v; }
}
