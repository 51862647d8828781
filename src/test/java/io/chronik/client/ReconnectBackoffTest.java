package io.chronik.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ReconnectBackoffTest {
    static long nextMs(ReconnectBackoff backoff) {
        return TimeUnit.NANOSECONDS.toMillis(backoff.nextDelayNanos());
    }

    @Test
    void doublesPerFailureUpToTheMaximumWithTwentyPercentJitterAndStartsOverAfterASuccess() {
        for (int run = 0; run < 100; run++) {
            ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(400));
            assertThat(nextMs(backoff)).isBetween(39L, 60L);
            assertThat(nextMs(backoff)).isBetween(79L, 120L);
            assertThat(nextMs(backoff)).isBetween(159L, 240L);
            assertThat(nextMs(backoff)).isBetween(319L, 400L);
            for (int i = 0; i < 100; i++) {
                assertThat(nextMs(backoff)).isBetween(319L, 400L);
            }
            backoff.reset();
            assertThat(nextMs(backoff)).isBetween(39L, 60L);
        }
    }
}
