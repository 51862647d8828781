package io.chronik.txn;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.HashSet;
import java.util.Set;

/**
 * What the coordinator keeps of one transactional id, immutable: every change is a new value made by one of the
 * transition methods, which refuse a transition the current state does not allow ({@link IllegalStateException}).
 *
 * @param producerId         the producer id the transactional id uses now
 * @param lastProducerId     the one it used before (-1), kept when the epoch ran out and a new id was given
 * @param producerEpoch      the current epoch; a producer with an older one is fenced
 * @param lastProducerEpoch  the epoch before the last bump (-1 after a fence), so a retried InitProducerId is recognised
 * @param timeoutMs          the producer's transaction.timeout.ms
 * @param state              where the transaction is
 * @param partitions         the partitions of the open transaction
 * @param startTimestamp     when the open transaction began (-1 when none is open)
 * @param lastUpdateTimestamp when the id last changed
 * @param transactionVersion the transaction version of the client's last request that changed the transaction: 0 for
 *                           the classic protocol, 2 for KIP-890 part 2 (EndTxn v5, partitions added by leaders)
 * @param nextProducerId     the producer id the id moves to when the prepared transaction completes (transaction
 *                           version 2, epoch exhausted), or -1
 */
public record TransactionMetadata(long producerId, long lastProducerId, short producerEpoch, short lastProducerEpoch,
                                  int timeoutMs, TransactionState state, Set<TopicPartition> partitions,
                                  long startTimestamp, long lastUpdateTimestamp, byte transactionVersion,
                                  long nextProducerId) {
    /** The classic transaction protocol (the producer adds partitions, EndTxn keeps the epoch). */
    public static final byte TV_0 = 0;
    /** KIP-890 part 2: leaders add partitions, every EndTxn bumps the epoch. */
    public static final byte TV_2 = 2;

    public TransactionMetadata {
        partitions = Set.copyOf(partitions);
    }

    /** Metadata of the classic protocol. */
    public TransactionMetadata(long producerId, long lastProducerId, short producerEpoch, short lastProducerEpoch,
                               int timeoutMs, TransactionState state, Set<TopicPartition> partitions,
                               long startTimestamp, long lastUpdateTimestamp) {
        this(producerId, lastProducerId, producerEpoch, lastProducerEpoch, timeoutMs, state, partitions, startTimestamp,
                lastUpdateTimestamp, TV_0, RecordBatch.NO_PRODUCER_ID);
    }

    /** A transactional id seen for the first time, given producer id {@code producerId} and no epoch yet. */
    public static TransactionMetadata fresh(long producerId, int timeoutMs, long now) {
        return new TransactionMetadata(producerId, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH,
                RecordBatch.NO_PRODUCER_EPOCH, timeoutMs, TransactionState.EMPTY, Set.of(), -1, now);
    }

    /** An epoch this high cannot be bumped again: the id gets a new producer id instead (as Kafka). */
    public static boolean epochExhausted(short epoch) {
        return epoch >= Short.MAX_VALUE - 1;
    }

    private TransactionMetadata to(TransactionState next, long pid, long lastPid, short epoch, short lastEpoch, int timeout,
                                   Set<TopicPartition> parts, long start, long now) {
        if (!next.validPrevious().contains(state)) {
            throw new IllegalStateException("transaction cannot go from " + state.kafkaName() + " to " + next.kafkaName());
        }
        return new TransactionMetadata(pid, lastPid, epoch, lastEpoch, timeout, next, parts, start, now,
                transactionVersion, RecordBatch.NO_PRODUCER_ID);
    }

    /** InitProducerId: the next epoch of the same producer id, no transaction open. */
    public TransactionMetadata bumpEpoch(int timeout, long now) {
        if (epochExhausted(producerEpoch)) {
            throw new IllegalStateException("epoch " + producerEpoch + " is exhausted");
        }
        return to(TransactionState.EMPTY, producerId, lastProducerId, (short) (producerEpoch + 1), producerEpoch, timeout,
                Set.of(), -1, now);
    }

    /** InitProducerId retried after a bump whose answer was lost: the same id and epoch, no transaction open. */
    public TransactionMetadata keepEpoch(int timeout, long now) {
        return to(TransactionState.EMPTY, producerId, lastProducerId, producerEpoch, lastProducerEpoch, timeout, Set.of(), -1, now);
    }

    /** InitProducerId when the epoch is exhausted: a new producer id at epoch 0. */
    public TransactionMetadata rotateProducerId(long newProducerId, int timeout, long now) {
        return to(TransactionState.EMPTY, newProducerId, producerId, (short) 0, RecordBatch.NO_PRODUCER_EPOCH, timeout,
                Set.of(), -1, now);
    }

    /** AddPartitionsToTxn / AddOffsetsToTxn: the transaction is open (begun now if it was not) with these partitions too. */
    public TransactionMetadata addPartitions(Set<TopicPartition> added, long now) {
        return addPartitions(added, now, transactionVersion);
    }

    /** As {@link #addPartitions(Set, long)}, by a client of transaction version {@code version}. */
    public TransactionMetadata addPartitions(Set<TopicPartition> added, long now, byte version) {
        Set<TopicPartition> all = new HashSet<>(partitions);
        all.addAll(added);
        long start = state == TransactionState.ONGOING ? startTimestamp : now;
        return to(TransactionState.ONGOING, producerId, lastProducerId, producerEpoch, lastProducerEpoch, timeoutMs, all, start, now)
                .withVersion(version);
    }

    private TransactionMetadata withVersion(byte version) {
        return new TransactionMetadata(producerId, lastProducerId, producerEpoch, lastProducerEpoch, timeoutMs, state,
                partitions, startTimestamp, lastUpdateTimestamp, version, nextProducerId);
    }

    /**
     * EndTxn v5 (transaction version 2): PrepareCommit or PrepareAbort with the epoch bumped, the markers carrying the
     * new epoch, so the producer's next transaction starts fenced off from this one. From an idle state, an abort of
     * a transaction no partition joined (nothing to mark). {@code nextProducerId} >= 0 when the bumped epoch is
     * exhausted: the id moves to that producer id, epoch 0, when the transaction completes.
     */
    public TransactionMetadata prepareWithEpochBump(boolean commit, long nextProducerId, long now) {
        TransactionState next = commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
        boolean open = state == TransactionState.ONGOING;
        if (!(open || (!commit && state.idle()))) {
            throw new IllegalStateException("transaction cannot go from " + state.kafkaName() + " to " + next.kafkaName());
        }
        if (epochExhausted(producerEpoch) && nextProducerId < 0) {
            throw new IllegalStateException("epoch " + producerEpoch + " cannot be bumped without a new producer id");
        }
        short bumped = (short) (producerEpoch + 1);
        return new TransactionMetadata(producerId, lastProducerId, bumped, producerEpoch, timeoutMs, next,
                open ? partitions : Set.of(), open ? startTimestamp : now, now, TV_2, nextProducerId);
    }

    /** The producer id and epoch the client goes on with once this prepared transaction completes. */
    public long producerIdAfterCompletion() {
        return nextProducerId >= 0 ? nextProducerId : producerId;
    }

    public short producerEpochAfterCompletion() {
        return nextProducerId >= 0 ? 0 : producerEpoch;
    }

    /** EndTxn from the producer: PrepareCommit or PrepareAbort with the transaction's partitions. */
    public TransactionMetadata prepare(boolean commit, long now) {
        return to(commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT, producerId, lastProducerId,
                producerEpoch, lastProducerEpoch, timeoutMs, partitions, startTimestamp, now);
    }

    /**
     * The coordinator aborts the open transaction itself (it timed out, or a new producer with the same id arrived):
     * PrepareAbort with the epoch bumped, so the producer that opened it is fenced (unless the epoch is exhausted).
     */
    public TransactionMetadata prepareFencedAbort(long now) {
        if (state != TransactionState.ONGOING) {
            throw new IllegalStateException("no open transaction to abort in " + state.kafkaName());
        }
        short epoch = epochExhausted(producerEpoch) ? producerEpoch : (short) (producerEpoch + 1);
        return new TransactionMetadata(producerId, lastProducerId, epoch, RecordBatch.NO_PRODUCER_EPOCH, timeoutMs,
                TransactionState.PREPARE_ABORT, partitions, startTimestamp, now, transactionVersion,
                RecordBatch.NO_PRODUCER_ID);
    }

    /** Every marker is written: CompleteCommit or CompleteAbort, no partitions. */
    public TransactionMetadata complete(long now) {
        if (!state.preparing()) {
            throw new IllegalStateException("nothing to complete in " + state.kafkaName());
        }
        TransactionState next = state == TransactionState.PREPARE_COMMIT ? TransactionState.COMPLETE_COMMIT
                : TransactionState.COMPLETE_ABORT;
        if (nextProducerId >= 0) {
            // The epoch ran out: the id goes on with the new producer id; the old one and its last client epoch are
            // kept so a retried EndTxn is recognised.
            return new TransactionMetadata(nextProducerId, producerId, (short) 0, lastProducerEpoch, timeoutMs, next,
                    Set.of(), startTimestamp, now, transactionVersion, RecordBatch.NO_PRODUCER_ID);
        }
        return to(next, producerId, lastProducerId, producerEpoch, lastProducerEpoch, timeoutMs, Set.of(), startTimestamp, now);
    }

    /** The id expired: removed (written as a tombstone). */
    public TransactionMetadata dead(long now) {
        return to(TransactionState.DEAD, producerId, lastProducerId, producerEpoch, lastProducerEpoch, timeoutMs, Set.of(), -1, now);
    }

    /** The open transaction has run longer than its timeout. */
    public boolean timedOut(long now) {
        return state == TransactionState.ONGOING && startTimestamp >= 0 && now - startTimestamp > timeoutMs;
    }
}
