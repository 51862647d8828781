package io.chronik.txn;

import io.chronik.txn.TransactionCoordinator.EndResult;
import io.chronik.txn.TransactionCoordinator.Located;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * EndTxn v5 (transaction version 2, KIP-890 part 2), decided for {@link TransactionCoordinator}: PrepareCommit/
 * PrepareAbort bump the producer epoch (a new producer id when the bumped epoch is exhausted, taken once the
 * transaction completes), the markers carry the bumped epoch, and the answer gives the producer id and epoch to go
 * on with. A retry with the epoch before the bump is answered as the first time; an abort with no transaction open
 * (no partition joined it) bumps the epoch. Written and completed like any change of the id
 * ({@link TransactionStateWriter}, {@link TransactionCompletion}).
 */
final class TransactionEndBumpingEpoch {
    private final Function<String, Located> locate;
    private final TransactionStateWriter writer;
    private final TransactionCompletion completion;
    private final BooleanSupplier tooManyCompleting;
    private final Supplier<CompletableFuture<Long>> producerIds;

    /**
     * @param locate            the id's shard and entry, or the error to answer
     * @param tooManyCompleting whether the transactions with markers in flight are at their bound
     * @param producerIds       a new producer id, for a producer whose bumped epoch is exhausted
     */
    TransactionEndBumpingEpoch(Function<String, Located> locate, TransactionStateWriter writer, TransactionCompletion completion,
                               BooleanSupplier tooManyCompleting, Supplier<CompletableFuture<Long>> producerIds) {
        this.locate = locate;
        this.writer = writer;
        this.completion = completion;
        this.tooManyCompleting = tooManyCompleting;
        this.producerIds = producerIds;
    }

    CompletableFuture<EndResult> end(String transactionalId, long producerId, short producerEpoch, boolean commit) {
        return end(transactionalId, producerId, producerEpoch, commit, null);
    }

    private CompletableFuture<EndResult> end(String transactionalId, long producerId, short producerEpoch,
                                             boolean commit, Long newProducerId) {
        Located located = locate.apply(transactionalId);
        if (located.error() != Errors.NONE) {
            return done(EndResult.failed(located.error()));
        }
        TransactionMetadata target;
        synchronized (located.entry()) {
            TransactionMetadata m = located.entry().current;
            if (!located.shard().served()) {
                return done(EndResult.failed(Errors.NOT_COORDINATOR));
            }
            if (m.state().preparing() && m.nextProducerId() == producerId) {
                return done(EndResult.failed(Errors.CONCURRENT_TRANSACTIONS)); // goes on with the new id once complete
            }
            // A retry whose first answer was lost: the epoch before the bump (and, after a rotation, the old id).
            boolean rotatedRetry = m.state().idle() && m.producerId() != producerId && m.lastProducerId() == producerId
                    && m.lastProducerEpoch() == producerEpoch;
            boolean bumpRetry = m.producerId() == producerId && m.producerEpoch() != producerEpoch
                    && m.lastProducerEpoch() >= 0 && m.lastProducerEpoch() == producerEpoch;
            boolean retry = (rotatedRetry || bumpRetry) && m.transactionVersion() == TransactionMetadata.TV_2;
            if (m.producerId() != producerId && !retry) {
                return done(EndResult.failed(Errors.INVALID_PRODUCER_ID_MAPPING));
            }
            if (m.producerEpoch() != producerEpoch && !retry) {
                return done(EndResult.failed(Errors.PRODUCER_FENCED));
            }
            if (located.entry().pending != null) {
                return done(EndResult.failed(Errors.CONCURRENT_TRANSACTIONS));
            }
            EndResult current = new EndResult(Errors.NONE, m.producerId(), m.producerEpoch());
            EndResult answer = switch (m.state()) {
                case ONGOING -> retry ? EndResult.failed(Errors.PRODUCER_FENCED)
                        : tooManyCompleting.getAsBoolean() ? EndResult.failed(Errors.CONCURRENT_TRANSACTIONS) : null;
                // With the bumped epoch (not a retry) the producer ends its next transaction while this one's markers are
                // still being written: it retries once they are.
                case PREPARE_COMMIT -> EndResult.failed(commit || !retry ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE);
                case PREPARE_ABORT -> EndResult.failed(!commit || !retry ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE);
                case COMPLETE_COMMIT -> commit ? (retry ? current : EndResult.failed(Errors.INVALID_TXN_STATE))
                        : (retry ? EndResult.failed(Errors.INVALID_TXN_STATE) : null);
                case COMPLETE_ABORT -> commit ? EndResult.failed(Errors.INVALID_TXN_STATE) : (retry ? current : null);
                case EMPTY -> commit || retry ? EndResult.failed(Errors.INVALID_TXN_STATE) : null;
                case PREPARE_EPOCH_FENCE, DEAD -> EndResult.failed(Errors.CONCURRENT_TRANSACTIONS);
            };
            if (answer != null) {
                return done(answer);
            }
            boolean rotate = TransactionMetadata.epochExhausted((short) (m.producerEpoch() + 1));
            if (rotate && newProducerId == null) {
                target = null;
            } else {
                target = m.prepareWithEpochBump(commit, rotate ? newProducerId : RecordBatch.NO_PRODUCER_ID, now());
                located.entry().pending = target;
            }
        }
        if (target == null) {
            return producerIds.get().thenCompose(id -> end(transactionalId, producerId, producerEpoch, commit, id))
                    .exceptionally(e -> EndResult.failed(Errors.COORDINATOR_NOT_AVAILABLE));
        }
        TransactionMetadata prepared = target;
        return writer.write(located.shard(), located.entry(), prepared).handle((v, e) -> {
            if (e != null) {
                return EndResult.failed(TransactionStateWriter.writeError(e));
            }
            completion.startMarkers(located.shard(), located.entry());
            return new EndResult(Errors.NONE, prepared.producerIdAfterCompletion(), prepared.producerEpochAfterCompletion());
        });
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
