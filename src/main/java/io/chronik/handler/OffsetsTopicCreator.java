package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Creates {@code __consumer_offsets} through the quorum the first time a coordinator is looked for and the topic is
 * missing: {@code partitions} partitions, the cluster's default replication factor, and cleanup.policy=compact. As in
 * Kafka, it is not created while fewer brokers are live than that factor (coordinator lookups answer
 * COORDINATOR_NOT_AVAILABLE and clients retry), so group offsets never start out less replicated than configured.
 * At most one creation is in flight per broker; another broker's concurrent creation (TOPIC_ALREADY_EXISTS) is fine.
 * Never blocks the caller.
 */
public final class OffsetsTopicCreator implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopicCreator.class);

    private final Supplier<TopicAdmin> admin;
    private final Supplier<ClusterImage> image;
    private final int partitions;
    private final int defaultReplicationFactor;
    private final AtomicBoolean inFlight = new AtomicBoolean();

    public OffsetsTopicCreator(Supplier<TopicAdmin> admin, Supplier<ClusterImage> image, int partitions,
                               int defaultReplicationFactor) {
        this.admin = admin;
        this.image = image;
        this.partitions = partitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    @Override
    public void run() {
        ClusterImage current = image.get();
        if (current.topic(CoordinatorPlacement.OFFSETS_TOPIC).isPresent()) {
            return;
        }
        int live = (int) current.brokers().values().stream().filter(b -> !b.fenced()).count();
        if (live < defaultReplicationFactor || !inFlight.compareAndSet(false, true)) {
            return;
        }
        short factor = (short) defaultReplicationFactor;
        admin.get().createTopic(CoordinatorPlacement.OFFSETS_TOPIC, partitions, factor, Map.of(),
                        Map.of("cleanup.policy", "compact"), false)
                .subscribe(created -> log.info("Created {} with {} partitions, replication factor {}",
                                CoordinatorPlacement.OFFSETS_TOPIC, partitions, factor),
                        e -> {
                            inFlight.set(false);
                            log.debug("Creating {}: {}", CoordinatorPlacement.OFFSETS_TOPIC, e.toString());
                        },
                        () -> inFlight.set(false));
    }
}
