package io.chronik.txn;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a transactional id at its coordinator, with Kafka's names (as DescribeTransactions and
 * ListTransactions show them) and the states each may be entered from.
 */
public enum TransactionState {
    EMPTY(0, "Empty"),
    ONGOING(1, "Ongoing"),
    PREPARE_COMMIT(2, "PrepareCommit"),
    PREPARE_ABORT(3, "PrepareAbort"),
    COMPLETE_COMMIT(4, "CompleteCommit"),
    COMPLETE_ABORT(5, "CompleteAbort"),
    DEAD(6, "Dead"),
    PREPARE_EPOCH_FENCE(7, "PrepareEpochFence");

    /** The byte written for this state in the record value; never reused. */
    final byte id;
    private final String kafkaName;

    TransactionState(int id, String kafkaName) {
        this.id = (byte) id;
        this.kafkaName = kafkaName;
    }

    public String kafkaName() {
        return kafkaName;
    }

    /** The states a transition into this one may start from. */
    public Set<TransactionState> validPrevious() {
        return switch (this) {
            case EMPTY -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case ONGOING -> EnumSet.of(ONGOING, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_COMMIT -> EnumSet.of(ONGOING);
            // From an idle state: transaction version 2 aborts a transaction no partition joined (bumping the epoch).
            case PREPARE_ABORT -> EnumSet.of(ONGOING, PREPARE_EPOCH_FENCE, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case COMPLETE_COMMIT -> EnumSet.of(PREPARE_COMMIT);
            case COMPLETE_ABORT -> EnumSet.of(PREPARE_ABORT);
            case DEAD -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_EPOCH_FENCE -> EnumSet.of(ONGOING);
        };
    }

    /** Markers are being written (or are to be written) for the transaction. */
    public boolean preparing() {
        return this == PREPARE_COMMIT || this == PREPARE_ABORT;
    }

    /** No transaction is open: a new one may start, the producer may be given a new epoch, the id may expire. */
    public boolean idle() {
        return this == EMPTY || this == COMPLETE_COMMIT || this == COMPLETE_ABORT;
    }

    static TransactionState ofId(byte id) {
        for (TransactionState state : values()) {
            if (state.id == id) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown transaction state " + id);
    }

    /** The state named {@code name} as Kafka names it, or null. */
    public static TransactionState ofKafkaName(String name) {
        for (TransactionState state : values()) {
            if (state.kafkaName.equals(name)) {
                return state;
            }
        }
        return null;
    }
}
