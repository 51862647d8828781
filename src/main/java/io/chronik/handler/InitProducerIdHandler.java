package io.chronik.handler;

import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import io.chronik.txn.TransactionCoordinator;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.Set;

/**
 * InitProducerId. For idempotent producers: a fresh producer id, or (KIP-360) the same id with its epoch bumped
 * when the producer asks to recover. For transactional producers: the {@link TransactionCoordinator} of the id
 * answers (NOT_COORDINATOR on another broker); PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before version 4.
 */
public final class InitProducerIdHandler implements RequestHandler {
    private final LogManager logs;
    private final Scheduler io;
    /** In a cluster, ids come from blocks the controller allocates; alone, from the broker's own allocator. */
    private final java.util.function.Supplier<java.util.concurrent.CompletableFuture<Long>> clusterIds;
    private final TransactionCoordinator transactions;
    private final CoordinatorPlacement transactionPlacement;

    public InitProducerIdHandler(LogManager logs, Scheduler io) {
        this(logs, io, null);
    }

    public InitProducerIdHandler(LogManager logs, Scheduler io,
                                 java.util.function.Supplier<java.util.concurrent.CompletableFuture<Long>> clusterIds) {
        this(logs, io, clusterIds, null, null);
    }

    /** With the transaction coordinator and the placement of transactional ids (null: transactional ids refused). */
    public InitProducerIdHandler(LogManager logs, Scheduler io,
                                 java.util.function.Supplier<java.util.concurrent.CompletableFuture<Long>> clusterIds,
                                 TransactionCoordinator transactions, CoordinatorPlacement transactionPlacement) {
        this.logs = logs;
        this.io = io;
        this.clusterIds = clusterIds;
        this.transactions = transactions;
        this.transactionPlacement = transactionPlacement;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.INIT_PRODUCER_ID);
    }

    @Override
    public Mono<InitProducerIdResponseData> handle(KafkaRequest request) {
        InitProducerIdRequestData body = request.body();
        if (body.transactionalId() != null) {
            return transactional(body, request.version());
        }
        if (body.producerId() >= 0 && body.producerEpoch() >= 0 && body.producerEpoch() < Short.MAX_VALUE - 1) {
            return Mono.just(new InitProducerIdResponseData().setProducerId(body.producerId())
                    .setProducerEpoch((short) (body.producerEpoch() + 1)));
        }
        if (clusterIds != null) {
            return Mono.fromFuture(clusterIds.get()).map(id -> new InitProducerIdResponseData().setProducerId(id)
                    .setProducerEpoch((short) 0)).onErrorResume(e -> Mono.just(new InitProducerIdResponseData()
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.COORDINATOR_NOT_AVAILABLE.code())
                    .setProducerId(-1).setProducerEpoch((short) -1)));
        }
        return nextProducerId();
    }

    private Mono<InitProducerIdResponseData> transactional(InitProducerIdRequestData body, short version) {
        if (transactions == null) {
            return Mono.just(failed(Errors.TRANSACTIONAL_ID_NOT_FOUND));
        }
        if (!body.transactionalId().isEmpty() && !transactionPlacement.isLocal(body.transactionalId())) {
            return Mono.just(failed(Errors.NOT_COORDINATOR));
        }
        return Mono.fromFuture(transactions.initProducerId(body.transactionalId(), body.transactionTimeoutMs(),
                body.producerId(), body.producerEpoch()), true).map(result -> new InitProducerIdResponseData()
                .setErrorCode(TransactionHandler.forVersion(result.error(), version, 4).code())
                .setProducerId(result.producerId()).setProducerEpoch(result.producerEpoch()));
    }

    private static InitProducerIdResponseData failed(Errors error) {
        return new InitProducerIdResponseData().setErrorCode(error.code()).setProducerId(-1).setProducerEpoch((short) -1);
    }

    private Mono<InitProducerIdResponseData> nextProducerId() {
        // Allocating may persist a new block of ids.
        return Mono.fromCallable(() -> new InitProducerIdResponseData().setProducerId(logs.nextProducerId())
                .setProducerEpoch((short) 0)).subscribeOn(io);
    }
}
