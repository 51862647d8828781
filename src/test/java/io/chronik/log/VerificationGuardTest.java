package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The producer state's side of partition verification: which transactional appends a guard lets through. */
class VerificationGuardTest {
    private static final long PID = 7;

    private static List<ProducerStateManager.IdempotentBatch> txnBatch(long offset, int sequence) {
        return txnBatch(offset, (short) 0, sequence);
    }

    private static List<ProducerStateManager.IdempotentBatch> txnBatch(long offset, short epoch, int sequence) {
        return List.of(new ProducerStateManager.IdempotentBatch(PID, epoch, sequence, 0, offset, offset, 0L, true));
    }

    private static void marker(ProducerStateManager state, short epoch, long offset) {
        ProducerStateManager.MarkerCheck marker = state.checkMarker(
                new ProducerStateManager.Marker(PID, epoch, 0, true, offset, 0), 0);
        assertThat(marker.error()).isEqualTo(LogError.NONE);
        state.commitMarker(marker, 0);
    }

    @Test
    void aTransactionOpensOnlyWithTheGuardOfItsVerification() {
        ProducerStateManager state = new ProducerStateManager();
        VerificationGuard guard = state.startVerification(PID, (short) 0);
        assertThat(guard).isNotSameAs(VerificationGuard.SENTINEL);
        // Another verification of the same producer meanwhile shares the guard.
        assertThat(state.startVerification(PID, (short) 0)).isSameAs(guard);

        assertThat(state.check(txnBatch(0, 0), 0, true, new VerificationGuard((short) 0, false)).error()).isEqualTo(LogError.INVALID_TXN_STATE);
        assertThat(state.check(txnBatch(0, 0), 0, true, VerificationGuard.SENTINEL).error())
                .isEqualTo(LogError.INVALID_TXN_STATE);
        // Verification off: no guard asked for.
        assertThat(state.check(txnBatch(0, 0), 0, true, null).error()).isEqualTo(LogError.NONE);

        ProducerStateManager.Check ok = state.check(txnBatch(0, 0), 0, true, guard);
        assertThat(ok.error()).isEqualTo(LogError.NONE);
        state.commit(ok.updates());
        // Ongoing now: the next batches need no verification, and the guard is spent.
        assertThat(state.startVerification(PID, (short) 0)).isSameAs(VerificationGuard.SENTINEL);
        assertThat(state.check(txnBatch(1, 1), 0, false, VerificationGuard.SENTINEL).error()).isEqualTo(LogError.NONE);
    }

    @Test
    void aMarkerBetweenTheVerificationAndTheAppendDropsTheGuard() {
        ProducerStateManager state = new ProducerStateManager();
        VerificationGuard guard = state.startVerification(PID, (short) 0);
        // The coordinator aborts the transaction (say it timed out) and its marker lands before the verified append.
        ProducerStateManager.MarkerCheck marker = state.checkMarker(
                new ProducerStateManager.Marker(PID, (short) 0, 0, false, 0, 0), 0);
        state.commitMarker(marker, 0);
        ProducerStateManager.Check late = state.check(txnBatch(1, 0), 0, false, guard);
        assertThat(late.error()).isEqualTo(LogError.INVALID_TXN_STATE);
        assertThat(state.ongoingTransactions()).isEmpty();
    }

    @Test
    void withTransactionVersion2TheMarkerOfThePreviousTransactionKeepsTheGuardOfTheNext() {
        ProducerStateManager state = new ProducerStateManager();
        ProducerStateManager.Check first = state.check(txnBatch(0, (short) 0, 0), 0, true, null);
        state.commit(first.updates());
        // The producer committed (EndTxn v5 bumped it to epoch 1) and its next transaction's first batch is being
        // verified while the COMMIT marker, written at epoch 1, is still on its way.
        VerificationGuard guard = state.startVerification(PID, (short) 1, true);
        assertThat(guard).isNotSameAs(VerificationGuard.SENTINEL);
        marker(state, (short) 1, 1);
        ProducerStateManager.Check next = state.check(txnBatch(2, (short) 1, 0), 0, false, guard);
        assertThat(next.error()).isEqualTo(LogError.NONE);
        state.commit(next.updates());
        assertThat(state.ongoingTransactions()).hasSize(1);

        // A marker at a newer epoch (this transaction aborted) drops a guard taken for it.
        marker(state, (short) 2, 3);
        VerificationGuard stale = state.startVerification(PID, (short) 2, true);
        marker(state, (short) 3, 4);
        assertThat(state.check(txnBatch(5, (short) 2, 0), 0, false, stale).error()).isNotEqualTo(LogError.NONE);
        // Without transaction version 2 a marker at the guard's epoch ends its transaction and drops it.
        VerificationGuard classic = state.startVerification(PID, (short) 3, false);
        marker(state, (short) 3, 6);
        assertThat(state.check(txnBatch(7, (short) 3, 0), 0, false, classic).error()).isEqualTo(LogError.INVALID_TXN_STATE);
    }

    @Test
    void afterAnEpochBumpingMarkerTheProducerMustStartAgainAtSequenceZero() {
        ProducerStateManager state = new ProducerStateManager();
        state.commit(state.check(txnBatch(0, (short) 0, 0), 0, true, null).updates());
        marker(state, (short) 1, 1);
        // The first batch of the next transaction was refused (say CONCURRENT_TRANSACTIONS); a later one must not be
        // taken before it, or the retry of the first would be out of order for good.
        ProducerStateManager.Check later = state.check(txnBatch(2, (short) 1, 61), 0, false, null);
        assertThat(later.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(state.check(txnBatch(2, (short) 1, 0), 0, false, null).error()).isEqualTo(LogError.NONE);
    }
}
