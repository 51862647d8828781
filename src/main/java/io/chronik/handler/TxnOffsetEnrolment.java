package io.chronik.handler;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * Transaction version 2's TxnOffsetCommit (v5): the producer sends no AddOffsetsToTxn, so the group's coordinator adds
 * the group's {@code __consumer_offsets} partition to the producer's transaction before it writes the offsets (through
 * the {@link TransactionVerifier}, as a partition leader does for Produce v12).
 */
public final class TxnOffsetEnrolment {
    private final TransactionVerifier verifier;
    private final IntSupplier offsetsTopicPartitions;

    public TxnOffsetEnrolment(TransactionVerifier verifier, IntSupplier offsetsTopicPartitions) {
        this.verifier = verifier;
        this.offsetsTopicPartitions = offsetsTopicPartitions;
    }

    /** NONE once the group's partition is in the transaction; else the error for TxnOffsetCommit. */
    public CompletableFuture<Errors> enrol(String transactionalId, long producerId, short producerEpoch, String groupId) {
        TopicPartition offsets = new TopicPartition(CoordinatorPlacement.OFFSETS_TOPIC,
                CoordinatorPlacement.partitionFor(groupId, offsetsTopicPartitions.getAsInt()));
        return verifier.verify(transactionalId, producerId, producerEpoch, Set.of(offsets), true)
                .thenApply(errors -> forTxnOffsetCommit(errors.getOrDefault(offsets, Errors.UNKNOWN_SERVER_ERROR)));
    }

    /**
     * The transaction coordinator's retriable errors as COORDINATOR_LOAD_IN_PROGRESS, which the producer retries
     * without looking the group's coordinator up again; the others as they are.
     */
    static Errors forTxnOffsetCommit(Errors error) {
        return switch (error) {
            case CONCURRENT_TRANSACTIONS, NETWORK_EXCEPTION, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
                 NOT_COORDINATOR, REQUEST_TIMED_OUT -> Errors.COORDINATOR_LOAD_IN_PROGRESS;
            default -> error;
        };
    }

    /** The transaction version a TxnOffsetCommit of {@code version} is sent under. */
    static boolean enrols(short version) {
        return version >= 5;
    }
}
