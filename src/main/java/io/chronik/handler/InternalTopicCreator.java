package io.chronik.handler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * Creates an internal topic (a coordinator's: {@code __consumer_offsets}, {@code __transaction_state}) the first time
 * its coordinator is looked for and the topic is missing: {@code partitions} partitions, {@code replicationFactor}
 * (of the live brokers) replicas and the given configs (compacted). As in Kafka, it is not created while fewer brokers are live than that
 * factor (lookups answer COORDINATOR_NOT_AVAILABLE and clients retry), so the topic never starts out less replicated
 * than configured. At most one creation is in flight per broker; another broker's concurrent creation
 * (TOPIC_ALREADY_EXISTS) is fine. Never blocks the caller; {@code created} runs once the topic exists.
 */
public final class InternalTopicCreator implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(InternalTopicCreator.class);

    private final Supplier<TopicAdmin> admin;
    private final String topic;
    private final BooleanSupplier exists;
    private final IntSupplier liveBrokers;
    private final int partitions;
    private final IntUnaryOperator replicationFactor;
    private final Map<String, String> configs;
    private final Runnable created;
    private final AtomicBoolean inFlight = new AtomicBoolean();

    public InternalTopicCreator(Supplier<TopicAdmin> admin, String topic, BooleanSupplier exists, IntSupplier liveBrokers,
                                int partitions, IntUnaryOperator replicationFactor, Map<String, String> configs,
                                Runnable created) {
        this.admin = admin;
        this.topic = topic;
        this.exists = exists;
        this.liveBrokers = liveBrokers;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.configs = Map.copyOf(configs);
        this.created = created;
    }

    @Override
    public void run() {
        int live = liveBrokers.getAsInt();
        int wanted = replicationFactor.applyAsInt(live);
        if (exists.getAsBoolean() || live < wanted || !inFlight.compareAndSet(false, true)) {
            return;
        }
        short factor = (short) wanted;
        admin.get().createTopic(topic, partitions, factor, Map.of(), configs, false)
                .subscribe(done -> log.info("Created {} with {} partitions, replication factor {}", topic, partitions, factor),
                        e -> {
                            inFlight.set(false);
                            log.debug("Creating {}: {}", topic, e.toString());
                            if (exists.getAsBoolean()) {
                                created.run();
                            }
                        },
                        () -> {
                            inFlight.set(false);
                            created.run();
                        });
    }
}
