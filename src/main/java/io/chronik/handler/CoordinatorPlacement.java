package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.TopicImage;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Utils;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which broker coordinates a group (or, later, a transactional id). Alone, this broker coordinates everything. In a
 * cluster every broker derives the same answer from its image of the cluster metadata: the leader of the key's
 * partition of {@code __consumer_offsets} ({@code abs(key.hashCode()) % partitions}, as Kafka places a group). While
 * that topic does not exist yet there is no coordinator (COORDINATOR_NOT_AVAILABLE) and the topic is asked for.
 */
public final class CoordinatorPlacement {
    /** The internal topic holding committed offsets in a cluster. */
    public static final String OFFSETS_TOPIC = "__consumer_offsets";
    private final BrokerIdentity broker;
    private final Supplier<ClusterImage> image;
    private final int partitions;
    private final Runnable missingTopic;

    private CoordinatorPlacement(BrokerIdentity broker, Supplier<ClusterImage> image, int partitions, Runnable missingTopic) {
        if (partitions < 1) {
            throw new IllegalArgumentException("offsets topic partitions must be positive: " + partitions);
        }
        this.broker = broker;
        this.image = image;
        this.partitions = partitions;
        this.missingTopic = missingTopic;
    }

    /** A broker running alone: it coordinates every group. */
    public static CoordinatorPlacement alone(BrokerIdentity broker) {
        return new CoordinatorPlacement(broker, null, 1, () -> { });
    }

    /**
     * A broker of a cluster: a group's coordinator is the leader of its offsets-topic partition in the current image;
     * {@code missingTopic} is run when the offsets topic does not exist yet.
     */
    public static CoordinatorPlacement inCluster(BrokerIdentity broker, Supplier<ClusterImage> image, int offsetsTopicPartitions,
                                                 Runnable missingTopic) {
        return new CoordinatorPlacement(broker, image, offsetsTopicPartitions, missingTopic);
    }

    /** The offsets-topic partition of a coordinator key, as Kafka computes it. */
    public static int partitionFor(String key, int partitions) {
        return Utils.abs(key.hashCode()) % partitions;
    }

    /** The coordinator of {@code key}; empty when its offsets partition has no live leader (or no topic yet). */
    public Optional<Node> coordinator(String key) {
        if (image == null) {
            return Optional.of(new Node(broker.nodeId(), broker.host(), broker.port()));
        }
        ClusterImage current = image.get();
        return leaderOf(current, key).flatMap(current::broker).filter(b -> !b.fenced())
                .map(b -> new Node(b.id(), b.host(), b.port()));
    }

    /** Whether this broker coordinates {@code key} now. */
    public boolean isLocal(String key) {
        if (image == null) {
            return true;
        }
        return leaderOf(image.get(), key).filter(id -> id == broker.nodeId()).isPresent();
    }

    /** The leader of the key's offsets-topic partition, if it has one. */
    private Optional<Integer> leaderOf(ClusterImage current, String key) {
        Optional<TopicImage> topic = current.topic(OFFSETS_TOPIC);
        if (topic.isEmpty() || topic.get().partitions().isEmpty()) {
            missingTopic.run();
            return Optional.empty();
        }
        int leader = topic.get().partitions().get(partitionFor(key, topic.get().partitions().size())).leader();
        return leader < 0 ? Optional.empty() : Optional.of(leader);
    }
}
