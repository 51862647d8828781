package io.chronik.cluster;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AppliedIndexWaitersTest {

    @Test
    void aWaiterCompletesOnceItsIndexIsApplied() {
        AppliedIndexWaiters waiters = new AppliedIndexWaiters();
        CompletableFuture<Void> at5 = waiters.await(5);
        CompletableFuture<Void> at9 = waiters.await(9);
        waiters.applied(3);
        assertThat(at5).isNotDone();
        waiters.applied(5);
        assertThat(at5).isCompleted();
        assertThat(at9).isNotDone();
        // Already applied: at once; a lower index reported later changes nothing.
        assertThat(waiters.await(4)).isCompleted();
        waiters.applied(2);
        assertThat(at9).isNotDone();
        waiters.applied(12);
        assertThat(at9).isCompleted();
    }

    @Test
    void aTimedOutWaiterIsForgotten() throws Exception {
        AppliedIndexWaiters waiters = new AppliedIndexWaiters();
        CompletableFuture<Void> late = waiters.await(7).orTimeout(10, TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
        // Nothing is left waiting, so a silent quorum accumulates nothing.
        java.lang.reflect.Field field = AppliedIndexWaiters.class.getDeclaredField("waiting");
        field.setAccessible(true);
        assertThat((java.util.Map<?, ?>) field.get(waiters)).isEmpty();
        waiters.applied(7);
        assertThat(late).isCompletedExceptionally();
    }
}
