package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.TopicImage;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Utils;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which broker coordinates a group or a transactional id. Alone, this broker coordinates everything. In a
 * cluster every broker derives the same answer from its image of the cluster metadata: the leader of the key's
 * partition of the coordinator's internal topic ({@code __consumer_offsets} for groups, {@code __transaction_state}
 * for transactional ids; {@code abs(key.hashCode()) % partitions}, as Kafka places them). While that topic does not
 * exist yet there is no coordinator (COORDINATOR_NOT_AVAILABLE) and the topic is asked for.
 */
public final class CoordinatorPlacement {
    /** The internal topic holding committed offsets in a cluster. */
    public static final String OFFSETS_TOPIC = "__consumer_offsets";
    private final BrokerIdentity broker;
    private final Supplier<ClusterImage> image;
    private final String topic;
    private final int partitions;
    private final Runnable missingTopic;
    private final java.util.function.BooleanSupplier ready;

    private CoordinatorPlacement(BrokerIdentity broker, Supplier<ClusterImage> image, String topic, int partitions,
                                 java.util.function.BooleanSupplier ready) {
        this(broker, image, topic, partitions, () -> { }, ready);
    }

    private CoordinatorPlacement(BrokerIdentity broker, Supplier<ClusterImage> image, String topic, int partitions,
                                 Runnable missingTopic) {
        this(broker, image, topic, partitions, missingTopic, () -> true);
    }

    private CoordinatorPlacement(BrokerIdentity broker, Supplier<ClusterImage> image, String topic, int partitions,
                                 Runnable missingTopic, java.util.function.BooleanSupplier ready) {
        if (partitions < 1) {
            throw new IllegalArgumentException(topic + " partitions must be positive: " + partitions);
        }
        this.broker = broker;
        this.topic = topic;
        this.image = image;
        this.partitions = partitions;
        this.missingTopic = missingTopic;
        this.ready = ready;
    }

    /** A broker running alone: it coordinates every group. */
    public static CoordinatorPlacement alone(BrokerIdentity broker) {
        return new CoordinatorPlacement(broker, null, OFFSETS_TOPIC, 1, () -> true);
    }

    /**
     * A broker running alone: it coordinates every key once {@code ready} (asked at each lookup, which may start
     * making the coordinator's topic ready) holds; until then lookups find no coordinator (COORDINATOR_NOT_AVAILABLE).
     */
    public static CoordinatorPlacement alone(BrokerIdentity broker, java.util.function.BooleanSupplier ready) {
        return new CoordinatorPlacement(broker, null, OFFSETS_TOPIC, 1, ready);
    }

    /**
     * A broker of a cluster: a group's coordinator is the leader of its offsets-topic partition in the current image;
     * {@code missingTopic} is run when the offsets topic does not exist yet.
     */
    public static CoordinatorPlacement inCluster(BrokerIdentity broker, Supplier<ClusterImage> image, int offsetsTopicPartitions,
                                                 Runnable missingTopic) {
        return new CoordinatorPlacement(broker, image, OFFSETS_TOPIC, offsetsTopicPartitions, missingTopic);
    }

    /** A broker of a cluster, placing keys on the partitions of {@code topic}. */
    public static CoordinatorPlacement inCluster(BrokerIdentity broker, Supplier<ClusterImage> image, String topic,
                                                 int partitions, Runnable missingTopic) {
        return new CoordinatorPlacement(broker, image, topic, partitions, missingTopic);
    }

    /** Whether a topic is a coordinator's internal topic (Metadata marks it so). */
    public static boolean isInternal(String topic) {
        return OFFSETS_TOPIC.equals(topic) || "__transaction_state".equals(topic);
    }

    /** The offsets-topic partition of a coordinator key, as Kafka computes it. */
    public static int partitionFor(String key, int partitions) {
        return Utils.abs(key.hashCode()) % partitions;
    }

    /** The coordinator of {@code key}; empty when its offsets partition has no live leader (or no topic yet). */
    public Optional<Node> coordinator(String key) {
        if (image == null) {
            return ready.getAsBoolean() ? Optional.of(new Node(broker.nodeId(), broker.host(), broker.port())) : Optional.empty();
        }
        ClusterImage current = image.get();
        return leaderOf(current, key).flatMap(current::broker).filter(b -> !b.fenced())
                .map(b -> new Node(b.id(), b.host(), b.port()));
    }

    /** Whether this broker coordinates {@code key} now. */
    public boolean isLocal(String key) {
        if (image == null) {
            ready.getAsBoolean();
            return true;
        }
        return leaderOf(image.get(), key).filter(id -> id == broker.nodeId()).isPresent();
    }

    /** The leader of the key's partition of the topic, if it has one. */
    private Optional<Integer> leaderOf(ClusterImage current, String key) {
        Optional<TopicImage> internal = current.topic(topic);
        if (internal.isEmpty() || internal.get().partitions().isEmpty()) {
            missingTopic.run();
            return Optional.empty();
        }
        int leader = internal.get().partitions().get(partitionFor(key, internal.get().partitions().size())).leader();
        return leader < 0 ? Optional.empty() : Optional.of(leader);
    }
}
