package io.chronik.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StallDetectorTest {
    private static final long MS = 1_000_000L;
    private final StallDetector detector = new StallDetector(1000 * MS);

    @Test
    void noStallWhileAcknowledgementsFlow() {
        for (long t = 0, acks = 0; t <= 5000; t += 100, acks += 10) {
            assertThat(detector.check(t * MS, 500, acks)).isFalse();
        }
    }

    @Test
    void stallAfterAWholeSecondWithOutstandingWorkAndNoAcknowledgement() {
        assertThat(detector.check(0, 100, 42)).isFalse();
        assertThat(detector.check(500 * MS, 100, 42)).isFalse();
        assertThat(detector.check(999 * MS, 100, 42)).isFalse();
        assertThat(detector.check(1000 * MS, 100, 42)).isTrue();
        assertThat(detector.secondsWithoutProgress(1500 * MS)).isEqualTo(1.5);
    }

    @Test
    void noStallWhenNothingIsOutstanding() {
        for (long t = 0; t <= 5000; t += 100) {
            assertThat(detector.check(t * MS, 0, 7)).isFalse();
        }
    }

    @Test
    void progressResetsTheClock() {
        detector.check(0, 10, 1);
        detector.check(900 * MS, 10, 1);
        assertThat(detector.check(950 * MS, 10, 2)).isFalse();
        assertThat(detector.check(1900 * MS, 10, 2)).isFalse();
        assertThat(detector.check(1950 * MS, 10, 2)).isTrue();
    }
}
