package io.chronik.replica;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.TopicImage;
import io.chronik.log.ThrottledReplicas;
import io.chronik.log.ThrottledReplicas.Partitions;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * This broker's replication throttles, as the cluster metadata sets them (Kafka's rules): the rates are the dynamic
 * broker configs {@code leader.replication.throttled.rate} and {@code follower.replication.throttled.rate} (this
 * broker's own, else the cluster-wide default, else unlimited); the throttled partitions are those whose topic config
 * {@code leader.replication.throttled.replicas} (for the leader side) or {@code follower.replication.throttled.replicas}
 * (for the follower side) names this broker's replica, or is {@code *}. Derived again whenever the image changes.
 */
public final class ReplicationThrottles {
    public static final String LEADER_RATE = "leader.replication.throttled.rate";
    public static final String FOLLOWER_RATE = "follower.replication.throttled.rate";

    /** No throttles at all (a broker running alone, tests). */
    public static final ReplicationThrottles NONE = new ReplicationThrottles(-1, () -> ClusterImage.EMPTY);

    private record State(ClusterImage image, Map<String, Partitions> leader, Map<String, Partitions> follower) {
    }

    private final int brokerId;
    private final Supplier<ClusterImage> image;
    private final ReplicationQuota leaderQuota = new ReplicationQuota();
    private final ReplicationQuota followerQuota = new ReplicationQuota();
    private volatile State state;

    public ReplicationThrottles(int brokerId, Supplier<ClusterImage> image) {
        this.brokerId = brokerId;
        this.image = image;
    }

    /** The quota of bytes this broker sends as leader to throttled followers. */
    public ReplicationQuota leaderQuota() {
        current();
        return leaderQuota;
    }

    /** The quota of bytes this broker fetches as follower for throttled partitions. */
    public ReplicationQuota followerQuota() {
        current();
        return followerQuota;
    }

    /** Whether this broker's leader replica of the partition is listed in the topic's leader throttle. */
    public boolean leaderThrottled(String topic, int partition) {
        return current().leader().getOrDefault(topic, Partitions.NONE).contains(partition);
    }

    /** Whether this broker's follower replica of the partition is listed in the topic's follower throttle. */
    public boolean followerThrottled(String topic, int partition) {
        return current().follower().getOrDefault(topic, Partitions.NONE).contains(partition);
    }

    /** A dynamic broker rate as the image sets it for {@code brokerId}: its own, else the default, else unlimited. */
    public static long rate(ClusterImage image, int brokerId, String key) {
        String value = image.dynamicBrokerConfigs(Integer.toString(brokerId)).get(key);
        if (value == null) {
            value = image.dynamicBrokerConfigs("").get(key);
        }
        if (value == null) {
            return ReplicationQuota.UNLIMITED;
        }
        try {
            return Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return ReplicationQuota.UNLIMITED;
        }
    }

    private State current() {
        ClusterImage now = image.get();
        State s = state;
        if (s != null && s.image() == now) {
            return s;
        }
        Map<String, Partitions> leader = new HashMap<>();
        Map<String, Partitions> follower = new HashMap<>();
        for (TopicImage topic : now.topics().values()) {
            Partitions l = ThrottledReplicas.forBroker(topic.configs().get(ThrottledReplicas.LEADER), brokerId);
            Partitions f = ThrottledReplicas.forBroker(topic.configs().get(ThrottledReplicas.FOLLOWER), brokerId);
            if (!l.isEmpty()) {
                leader.put(topic.name(), l);
            }
            if (!f.isEmpty()) {
                follower.put(topic.name(), f);
            }
        }
        long nanos = System.nanoTime();
        leaderQuota.setRate(rate(now, brokerId, LEADER_RATE), nanos);
        followerQuota.setRate(rate(now, brokerId, FOLLOWER_RATE), nanos);
        s = new State(now, Map.copyOf(leader), Map.copyOf(follower));
        state = s;
        return s;
    }
}
