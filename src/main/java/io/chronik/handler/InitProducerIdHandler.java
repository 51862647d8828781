package io.chronik.handler;

import io.chronik.log.LogManager;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.Set;

/**
 * InitProducerId for idempotent producers: a fresh producer id, or (KIP-360) the same id with its epoch bumped
 * when the producer asks to recover. Transactional ids are not supported yet.
 */
public final class InitProducerIdHandler implements RequestHandler {
    private final LogManager logs;
    private final Scheduler io;
    /** In a cluster, ids come from blocks the controller allocates; alone, from the broker's own allocator. */
    private final java.util.function.Supplier<java.util.concurrent.CompletableFuture<Long>> clusterIds;

    public InitProducerIdHandler(LogManager logs, Scheduler io) {
        this(logs, io, null);
    }

    public InitProducerIdHandler(LogManager logs, Scheduler io,
                                 java.util.function.Supplier<java.util.concurrent.CompletableFuture<Long>> clusterIds) {
        this.logs = logs;
        this.io = io;
        this.clusterIds = clusterIds;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.INIT_PRODUCER_ID);
    }

    @Override
    public Mono<InitProducerIdResponseData> handle(KafkaRequest request) {
        InitProducerIdRequestData body = request.body();
        if (body.transactionalId() != null) {
            return Mono.just(new InitProducerIdResponseData().setErrorCode(Errors.TRANSACTIONAL_ID_NOT_FOUND.code())
                    .setProducerId(-1).setProducerEpoch((short) -1));
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
        // Allocating may persist a new block of ids.
        return Mono.fromCallable(() -> new InitProducerIdResponseData().setProducerId(logs.nextProducerId())
                .setProducerEpoch((short) 0)).subscribeOn(io);
    }
}
