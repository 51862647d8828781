package io.chronik.log;

/**
 * Ties a transactional append to the check that allowed it. Before a partition leader asks the transaction
 * coordinator whether a producer's transaction includes the partition, it takes a guard from the partition's producer
 * state ({@link Log#startTransactionVerification}); a marker written meanwhile drops the guard, so the append that
 * follows the coordinator's answer cannot open a transaction the marker has just ended (with transaction version 2,
 * a marker at the guard's own epoch ended the transaction before and keeps it). Compared by identity.
 */
public final class VerificationGuard {
    /** The append needs no guard: the producer's transaction was already ongoing here (rechecked at the append). */
    public static final VerificationGuard SENTINEL = new VerificationGuard((short) -1, false);

    private final short epoch;
    private final boolean epochBumps;

    /**
     * @param epoch      the producer epoch of the batches verified
     * @param epochBumps whether the producer uses transaction version 2, whose markers carry the epoch its next
     *                   transaction uses: a marker at exactly that epoch ended the previous transaction and leaves the
     *                   guard in place (as Kafka does)
     */
    VerificationGuard(short epoch, boolean epochBumps) {
        this.epoch = epoch;
        this.epochBumps = epochBumps;
    }

    short epoch() {
        return epoch;
    }

    /** Whether a marker of the producer at {@code markerEpoch} ends the transaction this guard was taken for. */
    boolean droppedBy(short markerEpoch) {
        return !(epochBumps && markerEpoch == epoch);
    }
}
