package io.chronik.txn;

import io.chronik.client.BrokerClient;
import io.chronik.client.ClientSettings;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Writes a transaction's COMMIT or ABORT marker to every partition of it: one WriteTxnMarkers (v1) per partition
 * leader, over one {@link BrokerClient} per broker (this broker included, through its own listener). Partitions
 * that fail with a retriable error, or whose leader is unknown, are tried again after a backoff, looking their
 * leader up again; a partition of a topic that no longer exists is dropped. Stops (NOT_COORDINATOR) as soon as
 * this broker no longer coordinates the transaction.
 */
public final class TransactionMarkerSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionMarkerSender.class);
    static final short VERSION = 1;
    private static final long BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 1_000;

    /** Where partitions are led, from the cluster metadata (or this broker, alone). */
    public interface Brokers {
        Optional<Node> leaderOf(TopicPartition partition);

        boolean topicExists(String topic);
    }

    /** One transaction's markers: what to write and where. */
    public record Markers(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                          Set<TopicPartition> partitions) {
    }

    private final int brokerId;
    private final Brokers brokers;
    private final ScheduledExecutorService scheduler;
    private final Map<Integer, BrokerClient> clients = new ConcurrentHashMap<>();
    private final Map<Integer, String> endpoints = new ConcurrentHashMap<>();

    public TransactionMarkerSender(int brokerId, Brokers brokers, ScheduledExecutorService scheduler) {
        this.brokerId = brokerId;
        this.brokers = brokers;
        this.scheduler = scheduler;
    }

    /** Completes once every partition has its marker (or was dropped); runs until {@code stillCurrent} turns false. */
    public CompletableFuture<Void> send(Markers markers, BooleanSupplier stillCurrent) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Set<TopicPartition> remaining = ConcurrentHashMap.newKeySet();
        remaining.addAll(markers.partitions());
        scheduler.execute(() -> round(markers, remaining, stillCurrent, done, 0));
        return done;
    }

    private void round(Markers markers, Set<TopicPartition> remaining, BooleanSupplier stillCurrent,
                       CompletableFuture<Void> done, int attempt) {
        if (!stillCurrent.getAsBoolean()) {
            done.completeExceptionally(Errors.NOT_COORDINATOR.exception());
            return;
        }
        Map<Node, List<TopicPartition>> byLeader = new HashMap<>();
        for (TopicPartition tp : List.copyOf(remaining)) {
            Optional<Node> leader = brokers.leaderOf(tp);
            if (leader.isPresent()) {
                byLeader.computeIfAbsent(leader.get(), n -> new ArrayList<>()).add(tp);
            } else if (!brokers.topicExists(tp.topic())) {
                remaining.remove(tp);
            }
        }
        if (remaining.isEmpty()) {
            done.complete(null);
            return;
        }
        if (byLeader.isEmpty()) {
            retry(markers, remaining, stillCurrent, done, attempt);
            return;
        }
        AtomicInteger outstanding = new AtomicInteger(byLeader.size());
        byLeader.forEach((leader, partitions) -> client(leader)
                .<WriteTxnMarkersResponseData>send(ApiKeys.WRITE_TXN_MARKERS, VERSION, request(markers, partitions))
                .whenComplete((response, error) -> {
                    if (error != null) {
                        log.debug("WriteTxnMarkers to broker {} failed: {}", leader.id(), error.toString());
                    } else {
                        written(markers, response, remaining);
                    }
                    if (outstanding.decrementAndGet() == 0) {
                        scheduler.execute(() -> {
                            if (remaining.isEmpty()) {
                                done.complete(null);
                            } else {
                                retry(markers, remaining, stillCurrent, done, attempt);
                            }
                        });
                    }
                }));
    }

    private void retry(Markers markers, Set<TopicPartition> remaining, BooleanSupplier stillCurrent,
                       CompletableFuture<Void> done, int attempt) {
        long backoff = Math.min(MAX_BACKOFF_MS, BACKOFF_MS << Math.min(attempt, 4));
        scheduler.schedule(() -> round(markers, remaining, stillCurrent, done, attempt + 1), backoff, TimeUnit.MILLISECONDS);
    }

    /** Takes the partitions the leader wrote (or refused for good) out of {@code remaining}. */
    private void written(Markers markers, WriteTxnMarkersResponseData response, Set<TopicPartition> remaining) {
        for (var marker : response.markers()) {
            for (var topic : marker.topics()) {
                for (var partition : topic.partitions()) {
                    TopicPartition tp = new TopicPartition(topic.name(), partition.partitionIndex());
                    Errors error = Errors.forCode(partition.errorCode());
                    switch (error) {
                        case NONE -> remaining.remove(tp);
                        case UNKNOWN_TOPIC_OR_PARTITION -> {
                            if (!brokers.topicExists(tp.topic())) {
                                remaining.remove(tp);
                            }
                        }
                        // A newer producer epoch or coordinator already wrote to the partition: retrying cannot succeed.
                        case INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED -> {
                            log.warn("Marker of producer {} (epoch {}) for {} refused: {}", markers.producerId(),
                                    markers.producerEpoch(), tp, error);
                            remaining.remove(tp);
                        }
                        default -> log.debug("Marker for {} failed with {}; retrying", tp, error);
                    }
                }
            }
        }
    }

    private static WriteTxnMarkersRequestData request(Markers markers, List<TopicPartition> partitions) {
        Map<String, List<Integer>> byTopic = new HashMap<>();
        partitions.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
        WritableTxnMarker marker = new WritableTxnMarker().setProducerId(markers.producerId())
                .setProducerEpoch(markers.producerEpoch()).setCoordinatorEpoch(markers.coordinatorEpoch())
                .setTransactionResult(markers.commit());
        byTopic.forEach((topic, indexes) -> marker.topics().add(new WritableTxnMarkerTopic().setName(topic)
                .setPartitionIndexes(indexes)));
        return new WriteTxnMarkersRequestData().setMarkers(new ArrayList<>(List.of(marker)));
    }

    /** The client for a broker, remade when the broker's endpoint changed. */
    private BrokerClient client(Node node) {
        String endpoint = node.host() + ":" + node.port();
        synchronized (clients) {
            BrokerClient client = clients.get(node.id());
            if (client != null && endpoint.equals(endpoints.get(node.id()))) {
                return client;
            }
            if (client != null) {
                client.close();
            }
            ClientSettings settings = new ClientSettings("chronik-txn-markers-" + brokerId, 64, Duration.ofSeconds(5),
                    Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofSeconds(1));
            BrokerClient created = new BrokerClient(node.host(), node.port(), settings);
            clients.put(node.id(), created);
            endpoints.put(node.id(), endpoint);
            return created;
        }
    }

    @Override
    public void close() {
        synchronized (clients) {
            clients.values().forEach(BrokerClient::close);
            clients.clear();
        }
    }
}
