package io.chronik.handler;

import io.chronik.cluster.BrokerRegistration;
import io.chronik.cluster.ClusterImage;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Utils;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which broker coordinates a group (or, later, a transactional id). Alone, this broker coordinates everything. In a
 * cluster every broker derives the same answer from its image of the cluster metadata: the key's offsets-topic
 * partition ({@code abs(key.hashCode()) % partitions}, as Kafka places a group) taken modulo the number of
 * registered brokers, sorted by id, and from that broker onwards the first one that is not fenced. Until
 * coordinator state is replicated, that broker alone holds the group's membership and committed offsets.
 */
public final class CoordinatorPlacement {
    private final BrokerIdentity broker;
    private final Supplier<ClusterImage> image;
    private final int partitions;

    private CoordinatorPlacement(BrokerIdentity broker, Supplier<ClusterImage> image, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("offsets topic partitions must be positive: " + partitions);
        }
        this.broker = broker;
        this.image = image;
        this.partitions = partitions;
    }

    /** A broker running alone: it coordinates every group. */
    public static CoordinatorPlacement alone(BrokerIdentity broker) {
        return new CoordinatorPlacement(broker, null, 1);
    }

    /** A broker of a cluster: coordinators are placed over the brokers of the current image. */
    public static CoordinatorPlacement inCluster(BrokerIdentity broker, Supplier<ClusterImage> image, int offsetsTopicPartitions) {
        return new CoordinatorPlacement(broker, image, offsetsTopicPartitions);
    }

    /** The offsets-topic partition of a coordinator key, as Kafka computes it. */
    public static int partitionFor(String key, int partitions) {
        return Utils.abs(key.hashCode()) % partitions;
    }

    /**
     * The coordinator of {@code partition} among {@code registered} brokers (in ascending id order): the broker at
     * {@code partition % count}, or the next one in order (wrapping) that is not fenced; empty when all are fenced.
     */
    public static Optional<BrokerRegistration> choose(Collection<BrokerRegistration> registered, int partition) {
        List<BrokerRegistration> brokers = new ArrayList<>(registered);
        brokers.sort((a, b) -> Integer.compare(a.id(), b.id()));
        int count = brokers.size();
        for (int i = 0; i < count; i++) {
            BrokerRegistration candidate = brokers.get((partition % count + i) % count);
            if (!candidate.fenced()) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The coordinator of {@code key}; empty when no broker is live. */
    public Optional<Node> coordinator(String key) {
        if (image == null) {
            return Optional.of(new Node(broker.nodeId(), broker.host(), broker.port()));
        }
        return choose(image.get().brokers().values(), partitionFor(key, partitions))
                .map(b -> new Node(b.id(), b.host(), b.port()));
    }

    /** Whether this broker coordinates {@code key} now. */
    public boolean isLocal(String key) {
        if (image == null) {
            return true;
        }
        Optional<BrokerRegistration> chosen = choose(image.get().brokers().values(), partitionFor(key, partitions));
        return chosen.isPresent() && chosen.get().id() == broker.nodeId();
    }
}
