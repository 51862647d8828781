package io.chronik.replica;

import java.time.Duration;

/**
 * How this broker replicates: its id, the follower fetch sizes and waits, when a lagging follower leaves the ISR,
 * and whether followers (like the leader for acks=all) make what they append durable before reporting it.
 */
public record ReplicationSettings(int brokerId, Duration lagTimeMax, Duration fetchWaitMax, int fetchMaxBytes,
                                  int fetchPartitionMaxBytes, Duration fetchBackoff, Duration requestTimeout,
                                  boolean durableFollowers) {
}
