package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The producer state's side of partition verification: which transactional appends a guard lets through. */
class VerificationGuardTest {
    private static final long PID = 7;

    private static List<ProducerStateManager.IdempotentBatch> txnBatch(long offset, int sequence) {
        return List.of(new ProducerStateManager.IdempotentBatch(PID, (short) 0, sequence, 0, offset, offset, 0L, true));
    }

    @Test
    void aTransactionOpensOnlyWithTheGuardOfItsVerification() {
        ProducerStateManager state = new ProducerStateManager();
        VerificationGuard guard = state.startVerification(PID, (short) 0);
        assertThat(guard).isNotSameAs(VerificationGuard.SENTINEL);
        // Another verification of the same producer meanwhile shares the guard.
        assertThat(state.startVerification(PID, (short) 0)).isSameAs(guard);

        assertThat(state.check(txnBatch(0, 0), 0, true, new VerificationGuard()).error()).isEqualTo(LogError.INVALID_TXN_STATE);
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
}
