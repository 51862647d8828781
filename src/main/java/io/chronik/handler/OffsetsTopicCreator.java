package io.chronik.handler;

import io.chronik.cluster.ClusterImage;

import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * Creates {@code __consumer_offsets} through the quorum the first time a group coordinator is looked for and the
 * topic is missing: {@code partitions} partitions, the cluster's default replication factor for the live brokers, and
 * cleanup.policy=compact (an {@link InternalTopicCreator}: not before that many brokers are live, one creation in
 * flight at a time, never blocking the caller).
 */
public final class OffsetsTopicCreator implements Runnable {
    private final InternalTopicCreator creator;

    public OffsetsTopicCreator(Supplier<TopicAdmin> admin, Supplier<ClusterImage> image, int partitions,
                               IntUnaryOperator replicationFactor) {
        this.creator = new InternalTopicCreator(admin, CoordinatorPlacement.OFFSETS_TOPIC,
                () -> image.get().topic(CoordinatorPlacement.OFFSETS_TOPIC).isPresent(),
                () -> image.get().liveBrokers().size(), partitions, replicationFactor,
                Map.of("cleanup.policy", "compact"), () -> { });
    }

    @Override
    public void run() {
        creator.run();
    }
}
