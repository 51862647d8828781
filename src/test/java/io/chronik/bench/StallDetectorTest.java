package io.chronik.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class StallDetectorTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong clock = new AtomicLong(123_456 * MS);
    private final StallDetector detector = new StallDetector(Duration.ofSeconds(1), clock::get);

    private boolean tickAt(long millis, long outstanding, long acks) {
        clock.set(123_456 * MS + millis * MS);
        return detector.tick(outstanding, acks);
    }

    @Test
    void noStallWhileAcknowledgementsFlow() {
        for (long t = 0, acks = 0; t <= 10_000; t += 50, acks += 3) {
            assertThat(tickAt(t, 500, acks)).as("at %d ms", t).isFalse();
        }
    }

    @Test
    void stallAfterAWholeSecondWithOutstandingWorkAndNoAcknowledgement() {
        assertThat(tickAt(0, 100, 42)).isFalse();
        assertThat(tickAt(500, 100, 42)).isFalse();
        assertThat(tickAt(999, 100, 42)).isFalse();
        assertThat(tickAt(1000, 100, 42)).isTrue();
        clock.set(123_456 * MS + 1500 * MS);
        assertThat(detector.secondsWithoutProgress()).isEqualTo(1.5);
    }

    @Test
    void noStallWhenNothingIsOutstanding() {
        for (long t = 0; t <= 5000; t += 100) {
            assertThat(tickAt(t, 0, 7)).isFalse();
        }
    }

    /** Ticks every 50 ms as the bench does; returns the time of the first STALL, or -1. */
    private long firstStall(long fromMillis, long toMillis, long outstanding, long acks) {
        for (long t = fromMillis; t <= toMillis; t += 50) {
            if (tickAt(t, outstanding, acks)) {
                return t;
            }
        }
        return -1;
    }

    @Test
    void idleTimeBeforeWorkIsOutstandingDoesNotCount() {
        assertThat(firstStall(0, 5000, 0, 7)).isEqualTo(-1);
        assertThat(firstStall(5050, 5950, 3, 7)).isEqualTo(-1);
        assertThat(firstStall(6000, 7000, 3, 7)).as("one second after the last idle tick at 5000").isEqualTo(6000);
    }

    @Test
    void aPauseOfTheBenchItselfIsNotAStall() {
        assertThat(tickAt(0, 10, 1)).isFalse();
        assertThat(tickAt(50, 10, 1)).isFalse();
        // No tick for two seconds (a GC pause): callbacks could not run either, so this proves nothing yet.
        assertThat(tickAt(2050, 10, 1)).isFalse();
        assertThat(tickAt(2500, 10, 1)).isFalse();
        assertThat(tickAt(2950, 10, 1)).isFalse();
        assertThat(tickAt(3050, 10, 1)).as("a whole watched second without progress").isTrue();
    }

    @Test
    void progressResetsTheClock() {
        assertThat(firstStall(0, 900, 10, 1)).isEqualTo(-1);
        assertThat(firstStall(950, 1900, 10, 2)).isEqualTo(-1);
        assertThat(firstStall(1950, 3000, 10, 2)).isEqualTo(1950);
    }
}
