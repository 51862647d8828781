package io.chronik.handler;

import io.chronik.client.BrokerClient;
import io.chronik.client.ClientSettings;
import io.chronik.txn.TransactionCoordinator;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A partition leader's questions to transaction coordinators (KIP-890): is this partition in the producer's
 * transaction (AddPartitionsToTxn v4, VerifyOnly), or, for producers of transaction version 2, add it. The local
 * coordinator is called directly; another broker's is asked over a {@link BrokerClient}, one request in flight per
 * coordinator broker, the questions that arrive meanwhile sent together in the next. At most {@link #MAX_WAITING}
 * questions wait for remote coordinators; beyond, they are answered COORDINATOR_NOT_AVAILABLE at once.
 */
public final class TransactionVerifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionVerifier.class);
    static final int MAX_WAITING = 4_096;
    static final short VERSION = 4;

    private final int brokerId;
    private final CoordinatorPlacement placement;
    private final TransactionCoordinator local;
    private final Map<Integer, Coordinator> coordinators = new HashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();

    public TransactionVerifier(int brokerId, CoordinatorPlacement placement, TransactionCoordinator local) {
        this.brokerId = brokerId;
        this.placement = placement;
        this.local = local;
    }

    /**
     * The coordinator's answer for each of {@code partitions} of the producer's transaction: checked only, or added
     * when {@code add}. Errors are the coordinator's (NETWORK_EXCEPTION when it could not be reached); Produce maps
     * them for its version.
     */
    public CompletableFuture<Map<TopicPartition, Errors>> verify(String transactionalId, long producerId,
                                                                 short producerEpoch, Set<TopicPartition> partitions,
                                                                 boolean add) {
        if (placement.isLocal(transactionalId)) {
            if (!add) {
                return CompletableFuture.completedFuture(
                        local.verifyPartitions(transactionalId, producerId, producerEpoch, partitions));
            }
            return local.addPartitions(transactionalId, producerId, producerEpoch, partitions,
                            io.chronik.txn.TransactionMetadata.TV_2).thenApply(error -> all(partitions, error));
        }
        Optional<Node> node = placement.coordinator(transactionalId);
        if (node.isEmpty()) {
            return CompletableFuture.completedFuture(all(partitions, Errors.COORDINATOR_NOT_AVAILABLE));
        }
        if (node.get().id() == brokerId) {
            return CompletableFuture.completedFuture(all(partitions, Errors.NOT_COORDINATOR));
        }
        if (waiting.incrementAndGet() > MAX_WAITING) {
            waiting.decrementAndGet();
            return CompletableFuture.completedFuture(all(partitions, Errors.COORDINATOR_NOT_AVAILABLE));
        }
        Question question = new Question(transactionalId, producerId, producerEpoch, !add, partitions,
                new CompletableFuture<>());
        question.answer.whenComplete((r, e) -> waiting.decrementAndGet());
        coordinator(node.get()).ask(question);
        return question.answer;
    }

    static Map<TopicPartition, Errors> all(Set<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        partitions.forEach(tp -> errors.put(tp, error));
        return errors;
    }

    private record Question(String transactionalId, long producerId, short producerEpoch, boolean verifyOnly,
                            Set<TopicPartition> partitions, CompletableFuture<Map<TopicPartition, Errors>> answer) {
    }

    private Coordinator coordinator(Node node) {
        synchronized (coordinators) {
            Coordinator current = coordinators.get(node.id());
            if (current != null && current.host.equals(node.host()) && current.port == node.port()) {
                return current;
            }
            if (current != null) {
                current.client.close();
            }
            Coordinator created = new Coordinator(node.id(), node.host(), node.port());
            coordinators.put(node.id(), created);
            return created;
        }
    }

    /** The questions for one coordinator broker: one request in flight, the rest queued for the next. */
    private final class Coordinator {
        final String host;
        final int port;
        final BrokerClient client;
        private final List<Question> queued = new ArrayList<>();
        private boolean inFlight;

        Coordinator(int id, String host, int port) {
            this.host = host;
            this.port = port;
            this.client = new BrokerClient(host, port, new ClientSettings("chronik-txn-verification-" + brokerId, 4,
                    Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofSeconds(1)));
        }

        void ask(Question question) {
            synchronized (this) {
                queued.add(question);
                if (inFlight) {
                    return;
                }
                inFlight = true;
            }
            sendNext();
        }

        /** Sends the queued questions, one transaction per id (the others of an id wait for the next request). */
        private void sendNext() {
            Map<String, List<Question>> batch = new LinkedHashMap<>();
            synchronized (this) {
                for (Iterator<Question> it = queued.iterator(); it.hasNext(); ) {
                    Question q = it.next();
                    List<Question> same = batch.get(q.transactionalId());
                    if (same == null) {
                        batch.put(q.transactionalId(), new ArrayList<>(List.of(q)));
                        it.remove();
                    } else if (same.get(0).producerId() == q.producerId() && same.get(0).producerEpoch() == q.producerEpoch()
                            && same.get(0).verifyOnly() == q.verifyOnly()) {
                        same.add(q);
                        it.remove();
                    }
                }
                if (batch.isEmpty()) {
                    inFlight = false;
                    return;
                }
            }
            AddPartitionsToTxnRequestData request = new AddPartitionsToTxnRequestData();
            batch.forEach((id, questions) -> {
                Question first = questions.get(0);
                Map<String, List<Integer>> byTopic = new HashMap<>();
                Set<TopicPartition> partitions = new HashSet<>();
                questions.forEach(q -> partitions.addAll(q.partitions()));
                partitions.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
                AddPartitionsToTxnTransaction txn = new AddPartitionsToTxnTransaction().setTransactionalId(id)
                        .setProducerId(first.producerId()).setProducerEpoch(first.producerEpoch())
                        .setVerifyOnly(first.verifyOnly());
                byTopic.forEach((topic, indexes) -> txn.topics().add(new AddPartitionsToTxnTopic().setName(topic)
                        .setPartitions(indexes)));
                request.transactions().add(txn);
            });
            client.<AddPartitionsToTxnResponseData>send(ApiKeys.ADD_PARTITIONS_TO_TXN, VERSION, request)
                    .whenComplete((response, error) -> {
                        if (error != null) {
                            log.debug("Transaction verification with broker at {}:{} failed: {}", host, port, error.toString());
                        }
                        batch.forEach((id, questions) -> questions.forEach(q -> q.answer().complete(
                                error != null ? all(q.partitions(), Errors.NETWORK_EXCEPTION) : answer(response, q))));
                        sendNext();
                    });
        }
    }

    private static Map<TopicPartition, Errors> answer(AddPartitionsToTxnResponseData response, Question q) {
        Errors top = Errors.forCode(response.errorCode());
        if (top != Errors.NONE) {
            return all(q.partitions(), top);
        }
        Map<TopicPartition, Errors> errors = all(q.partitions(), Errors.UNKNOWN_SERVER_ERROR);
        var result = response.resultsByTransaction().find(q.transactionalId());
        if (result != null) {
            result.topicResults().forEach(topic -> topic.resultsByPartition().forEach(p -> {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                if (errors.containsKey(tp)) {
                    errors.put(tp, Errors.forCode(p.partitionErrorCode()));
                }
            }));
        }
        return errors;
    }

    @Override
    public void close() {
        synchronized (coordinators) {
            coordinators.values().forEach(c -> c.client.close());
            coordinators.clear();
        }
    }
}
