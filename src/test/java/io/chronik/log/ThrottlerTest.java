package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ThrottlerTest {
    @Test
    void keepsTheRateAtItsLimit() {
        Throttler throttler = new Throttler(1_000_000); // 1 MB/s
        long start = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            throttler.maybeThrottle(10_000, () -> false); // 300 KB in all
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(elapsedMs).isGreaterThanOrEqualTo(250);
        assertThat(throttler.throttledNanos()).isPositive();
    }

    @Test
    void unlimitedNeverSleepsAndAStopRequestEndsASleep() {
        Throttler unlimited = new Throttler(Double.MAX_VALUE);
        long start = System.nanoTime();
        unlimited.maybeThrottle(1L << 40, () -> false);
        assertThat(unlimited.throttledNanos()).isZero();

        Throttler slow = new Throttler(1000); // would sleep about 1000 s for 1 MB
        slow.maybeThrottle(1 << 20, () -> true);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
    }
}
