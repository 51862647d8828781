package io.chronik.log;

/**
 * Ties a transactional append to the check that allowed it. Before a partition leader asks the transaction
 * coordinator whether a producer's transaction includes the partition, it takes a guard from the partition's producer
 * state ({@link Log#startTransactionVerification}); a marker written meanwhile drops the guard, so the append that
 * follows the coordinator's answer cannot open a transaction the marker has just ended. Compared by identity.
 */
public final class VerificationGuard {
    /** The append needs no guard: the producer's transaction was already ongoing here (rechecked at the append). */
    public static final VerificationGuard SENTINEL = new VerificationGuard();

    VerificationGuard() {
    }
}
