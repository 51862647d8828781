package io.chronik.handler;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * The group's {@code __consumer_offsets} partition in the producer's transaction, checked or added before a
 * TxnOffsetCommit writes (through the {@link TransactionVerifier}, as a partition leader does for Produce).
 * Transaction version 2's TxnOffsetCommit (v5) comes without AddOffsetsToTxn, so the coordinator adds the partition;
 * older versions follow an AddOffsetsToTxn, and with verification on (KIP-890 part 1) the coordinator only checks that
 * the partition is in an ongoing transaction of that producer, so a late commit from a producer whose transaction
 * was already aborted is refused.
 */
public final class TxnOffsetEnrolment {
    private final TransactionVerifier verifier;
    private final IntSupplier offsetsTopicPartitions;
    private final boolean addsFromV5;
    private final boolean verifiesOlder;

    /**
     * @param addsFromV5    whether v5 adds the partition (transaction version 2 is advertised)
     * @param verifiesOlder whether v0-v4 are verified (chronik.transaction.partition-verification)
     */
    public TxnOffsetEnrolment(TransactionVerifier verifier, IntSupplier offsetsTopicPartitions, boolean addsFromV5,
                              boolean verifiesOlder) {
        this.verifier = verifier;
        this.offsetsTopicPartitions = offsetsTopicPartitions;
        this.addsFromV5 = addsFromV5;
        this.verifiesOlder = verifiesOlder;
    }

    /** Whether a TxnOffsetCommit of {@code version} goes through the transaction coordinator first. */
    boolean applies(short version) {
        return version >= 5 ? addsFromV5 : verifiesOlder;
    }

    /**
     * NONE once the group's partition is in the transaction (added for v5, checked before); else the error for
     * TxnOffsetCommit.
     */
    public CompletableFuture<Errors> enrol(short version, String transactionalId, long producerId, short producerEpoch,
                                           String groupId) {
        TopicPartition offsets = new TopicPartition(CoordinatorPlacement.OFFSETS_TOPIC,
                CoordinatorPlacement.partitionFor(groupId, offsetsTopicPartitions.getAsInt()));
        return verifier.verify(transactionalId, producerId, producerEpoch, Set.of(offsets), version >= 5 && addsFromV5)
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
}
