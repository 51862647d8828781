package io.chronik.handler;

import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import io.chronik.txn.TransactionCoordinator;
import io.chronik.txn.TransactionMetadata;
import io.chronik.txn.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The producer's side of the transaction protocol at the coordinator (AddPartitionsToTxn v0-3 from producers, v4-5
 * from partition leaders verifying or adding partitions, AddOffsetsToTxn, EndTxn, v5 bumping the epoch) and its administration (DescribeTransactions, ListTransactions). A request for an id another broker
 * coordinates answers NOT_COORDINATOR. PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH to versions older than
 * KIP-588's, as Kafka does.
 */
public final class TransactionHandler implements RequestHandler {
    private final TransactionCoordinator coordinator;
    private final CoordinatorPlacement placement;
    private final Predicate<TopicPartition> partitionExists;
    private final IntSupplier offsetsTopicPartitions;

    /**
     * @param partitionExists         whether a partition a producer adds exists
     * @param offsetsTopicPartitions  the partitions of {@code __consumer_offsets}, to find a group's (AddOffsetsToTxn)
     */
    public TransactionHandler(TransactionCoordinator coordinator, CoordinatorPlacement placement,
                              Predicate<TopicPartition> partitionExists, IntSupplier offsetsTopicPartitions) {
        this.coordinator = coordinator;
        this.placement = placement;
        this.partitionExists = partitionExists;
        this.offsetsTopicPartitions = offsetsTopicPartitions;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.ADD_PARTITIONS_TO_TXN, Api.ADD_OFFSETS_TO_TXN, Api.END_TXN, Api.DESCRIBE_TRANSACTIONS,
                Api.LIST_TRANSACTIONS);
    }

    @Override
    public Mono<? extends ApiMessage> handle(KafkaRequest request) {
        return switch (request.api()) {
            case ADD_PARTITIONS_TO_TXN -> addPartitions(request.body(), request.version());
            case ADD_OFFSETS_TO_TXN -> addOffsets(request.body(), request.version());
            case END_TXN -> endTxn(request.body(), request.version());
            case DESCRIBE_TRANSACTIONS -> Mono.just(describe(request.body()));
            case LIST_TRANSACTIONS -> Mono.just(list(request.body()));
            default -> Mono.error(new IllegalArgumentException("not a transaction API: " + request.api()));
        };
    }

    /** PRODUCER_FENCED exists from {@code since} on; older versions get INVALID_PRODUCER_EPOCH. */
    static Errors forVersion(Errors error, short version, int since) {
        return error == Errors.PRODUCER_FENCED && version < since ? Errors.INVALID_PRODUCER_EPOCH : error;
    }

    private Mono<AddPartitionsToTxnResponseData> addPartitions(AddPartitionsToTxnRequestData body, short version) {
        if (version >= 4) {
            return addPartitionsBatched(body);
        }
        return addPartitions(body.v3AndBelowTransactionalId(), body.v3AndBelowProducerId(), body.v3AndBelowProducerEpoch(),
                body.v3AndBelowTopics(), false, version).map(errors -> {
                    AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
                    response.resultsByTopicV3AndBelow().addAll(topicResults(errors));
                    return response;
                });
    }

    /**
     * v4+, the brokers' form: many transactions in one request, each added or, with VerifyOnly, only checked (a
     * partition leader's verification); each answered on its own.
     */
    private Mono<AddPartitionsToTxnResponseData> addPartitionsBatched(AddPartitionsToTxnRequestData body) {
        List<Mono<AddPartitionsToTxnResult>> results = new ArrayList<>();
        for (var txn : body.transactions()) {
            results.add(addPartitions(txn.transactionalId(), txn.producerId(), txn.producerEpoch(), txn.topics(),
                    txn.verifyOnly(), (short) 4).map(errors -> {
                        AddPartitionsToTxnResult result = new AddPartitionsToTxnResult()
                                .setTransactionalId(txn.transactionalId());
                        result.topicResults().addAll(topicResults(errors));
                        return result;
                    }));
        }
        return Mono.zip(results, all -> {
            AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData().setErrorCode(Errors.NONE.code());
            for (Object result : all) {
                response.resultsByTransaction().add((AddPartitionsToTxnResult) result);
            }
            return response;
        }).defaultIfEmpty(new AddPartitionsToTxnResponseData().setErrorCode(Errors.NONE.code()));
    }

    /** One transaction's partitions added (or checked, {@code verifyOnly}): per partition its error. */
    private Mono<Map<TopicPartition, Errors>> addPartitions(String id, long producerId, short producerEpoch,
                                                            Iterable<AddPartitionsToTxnTopic> topics, boolean verifyOnly,
                                                            short version) {
        Map<TopicPartition, Errors> errors = new java.util.LinkedHashMap<>();
        Set<TopicPartition> partitions = new HashSet<>();
        boolean unknown = false;
        for (var topic : topics) {
            for (int index : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), index);
                partitions.add(tp);
                if (!partitionExists.test(tp)) {
                    errors.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                    unknown = true;
                }
            }
        }
        if (unknown) {
            partitions.forEach(tp -> errors.putIfAbsent(tp, Errors.OPERATION_NOT_ATTEMPTED));
            return Mono.just(errors);
        }
        if (!placement.isLocal(id)) {
            return Mono.just(all(partitions, Errors.NOT_COORDINATOR));
        }
        if (verifyOnly) {
            return Mono.just(coordinator.verifyPartitions(id, producerId, producerEpoch, partitions));
        }
        // v4+ without VerifyOnly: a partition leader (or group coordinator) adding a partition for a producer of
        // transaction version 2.
        byte transactionVersion = version >= 4 ? TransactionMetadata.TV_2 : TransactionMetadata.TV_0;
        return Mono.fromFuture(coordinator.addPartitions(id, producerId, producerEpoch, partitions, transactionVersion), true)
                .map(error -> all(partitions, forVersion(error, version, 2)));
    }

    private static Map<TopicPartition, Errors> all(Set<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new java.util.LinkedHashMap<>();
        partitions.forEach(tp -> errors.put(tp, error));
        return errors;
    }

    private static List<AddPartitionsToTxnTopicResult> topicResults(Map<TopicPartition, Errors> errors) {
        Map<String, AddPartitionsToTxnTopicResult> byTopic = new TreeMap<>();
        errors.forEach((tp, error) -> byTopic.computeIfAbsent(tp.topic(), t -> new AddPartitionsToTxnTopicResult().setName(t))
                .resultsByPartition().add(new AddPartitionsToTxnPartitionResult().setPartitionIndex(tp.partition())
                        .setPartitionErrorCode(error.code())));
        return new ArrayList<>(byTopic.values());
    }

    private Mono<AddOffsetsToTxnResponseData> addOffsets(AddOffsetsToTxnRequestData body, short version) {
        if (!placement.isLocal(body.transactionalId())) {
            return Mono.just(new AddOffsetsToTxnResponseData().setErrorCode(Errors.NOT_COORDINATOR.code()));
        }
        int partition = CoordinatorPlacement.partitionFor(body.groupId(), offsetsTopicPartitions.getAsInt());
        TopicPartition offsets = new TopicPartition(CoordinatorPlacement.OFFSETS_TOPIC, partition);
        return Mono.fromFuture(coordinator.addPartitions(body.transactionalId(), body.producerId(), body.producerEpoch(),
                Set.of(offsets)), true).map(error -> new AddOffsetsToTxnResponseData()
                .setErrorCode(forVersion(error, version, 2).code()));
    }

    private Mono<EndTxnResponseData> endTxn(EndTxnRequestData body, short version) {
        if (!placement.isLocal(body.transactionalId())) {
            return Mono.just(new EndTxnResponseData().setErrorCode(Errors.NOT_COORDINATOR.code()));
        }
        if (version >= 5) {
            // Transaction version 2: the epoch is bumped by every EndTxn; the answer carries the producer id and epoch.
            return Mono.fromFuture(coordinator.endTransactionBumpingEpoch(body.transactionalId(), body.producerId(),
                    body.producerEpoch(), body.committed()), true).map(result -> new EndTxnResponseData()
                    .setErrorCode(result.error().code()).setProducerId(result.producerId())
                    .setProducerEpoch(result.producerEpoch()));
        }
        return Mono.fromFuture(coordinator.endTransaction(body.transactionalId(), body.producerId(), body.producerEpoch(),
                body.committed()), true).map(error -> new EndTxnResponseData().setErrorCode(forVersion(error, version, 2).code()));
    }

    private DescribeTransactionsResponseData describe(DescribeTransactionsRequestData body) {
        DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
        for (String id : body.transactionalIds()) {
            var state = new DescribeTransactionsResponseData.TransactionState().setTransactionalId(id)
                    .setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1).setTransactionStartTimeMs(-1);
            response.transactionStates().add(state);
            Errors available = placement.isLocal(id) ? coordinator.availability(id) : Errors.NOT_COORDINATOR;
            if (available != Errors.NONE) {
                state.setErrorCode(available.code());
                continue;
            }
            TransactionMetadata m = coordinator.describe(id).orElse(null);
            if (m == null || m.state() == TransactionState.DEAD) {
                state.setErrorCode(Errors.TRANSACTIONAL_ID_NOT_FOUND.code());
                continue;
            }
            state.setTransactionState(m.state().kafkaName()).setTransactionTimeoutMs(m.timeoutMs())
                    .setTransactionStartTimeMs(m.startTimestamp()).setProducerId(m.producerId())
                    .setProducerEpoch(m.producerEpoch());
            Map<String, List<Integer>> byTopic = new TreeMap<>();
            m.partitions().forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
            byTopic.forEach((topic, partitions) -> state.topics().add(
                    new DescribeTransactionsResponseData.TopicData().setTopic(topic).setPartitions(partitions)));
        }
        return response;
    }

    private ListTransactionsResponseData list(ListTransactionsRequestData body) {
        ListTransactionsResponseData response = new ListTransactionsResponseData();
        if (coordinator.loading()) {
            return response.setErrorCode(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        }
        Set<TransactionState> states = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String name : body.stateFilters()) {
            TransactionState state = TransactionState.ofKafkaName(name);
            if (state == null) {
                unknown.add(name);
            } else {
                states.add(state);
            }
        }
        response.setUnknownStateFilters(unknown);
        Set<Long> producers = new HashSet<>(body.producerIdFilters());
        long now = System.currentTimeMillis();
        Pattern idPattern = body.transactionalIdPattern() == null || body.transactionalIdPattern().isEmpty() ? null
                : Pattern.compile(body.transactionalIdPattern());
        for (TransactionCoordinator.Listed listed : coordinator.list()) {
            TransactionMetadata m = listed.metadata();
            if (m.state() == TransactionState.DEAD
                    || (!body.stateFilters().isEmpty() && !states.contains(m.state()))
                    || (!producers.isEmpty() && !producers.contains(m.producerId()))
                    || (body.durationFilter() >= 0 && now - m.startTimestamp() < body.durationFilter())
                    || (idPattern != null && !idPattern.matcher(listed.transactionalId()).matches())) {
                continue;
            }
            response.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                    .setTransactionalId(listed.transactionalId()).setProducerId(m.producerId())
                    .setTransactionState(m.state().kafkaName()));
        }
        return response;
    }
}
