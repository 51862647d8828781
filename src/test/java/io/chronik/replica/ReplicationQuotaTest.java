package io.chronik.replica;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The replication throttle's token bucket, on a clock of its own. */
class ReplicationQuotaTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void unlimitedUntilARateIsSetAndNeverExceeded() {
        ReplicationQuota quota = new ReplicationQuota(0);
        quota.record(Long.MAX_VALUE / 2, 0);
        assertThat(quota.unlimited()).isTrue();
        assertThat(quota.available(0)).isEqualTo(Long.MAX_VALUE);
        assertThat(quota.exceeded(0)).isFalse();
        assertThat(quota.nanosUntilAvailable(0)).isZero();
    }

    @Test
    void holdsOneSecondOfBytesGoesIntoDebtAndRefillsAtTheRate() {
        ReplicationQuota quota = new ReplicationQuota(0);
        quota.setRate(1000, 0);
        assertThat(quota.available(0)).isEqualTo(1000);
        quota.record(600, 0);
        assertThat(quota.available(0)).isEqualTo(400);
        // One fetch may overshoot: the bucket goes into debt and is exceeded until it is paid back.
        quota.record(1400, 0);
        assertThat(quota.exceeded(0)).isTrue();
        assertThat(quota.nanosUntilAvailable(0)).isBetween(SECOND, SECOND + SECOND / 100);
        assertThat(quota.exceeded(SECOND / 2)).isTrue();
        assertThat(quota.available(SECOND + SECOND / 2)).isEqualTo(500);
        // Idle time fills it to one second's worth, no more.
        assertThat(quota.available(100 * SECOND)).isEqualTo(1000);
    }

    @Test
    void overTimeTheBytesStayAtTheRatePlusOneBurst() {
        ReplicationQuota quota = new ReplicationQuota(0);
        quota.setRate(10_000, 0);
        long sent = 0;
        long now = 0;
        // A sender that takes whatever is available every 10 ms, in fetches of up to 3,000 bytes, for 10 s.
        while (now <= 10 * SECOND) {
            long allowed = quota.available(now);
            if (allowed > 0) {
                long bytes = 3000; // one whole fetch, which may overshoot what is available
                quota.record(bytes, now);
                sent += bytes;
            }
            now += SECOND / 100;
        }
        assertThat(sent).isBetween(90_000L, 10_000L * 10 + 10_000 + 3000);
    }

    @Test
    void aNewRateStartsWithAFullBucketAndTheSameRateChangesNothing() {
        ReplicationQuota quota = new ReplicationQuota(0);
        quota.setRate(100, 0);
        quota.record(500, 0);
        quota.setRate(100, 0);
        assertThat(quota.exceeded(0)).isTrue();
        quota.setRate(200, 0);
        assertThat(quota.available(0)).isEqualTo(200);
        quota.setRate(ReplicationQuota.UNLIMITED, 0);
        assertThat(quota.exceeded(0)).isFalse();
    }

    @Test
    void aThrottledFetchWaitsForAChunkOfATenthOfASecond() {
        ReplicationQuota quota = new ReplicationQuota(0);
        assertThat(quota.chunk(1 << 20)).isEqualTo(1);
        quota.setRate(100_000, 0);
        assertThat(quota.chunk(1 << 20)).isEqualTo(10_000);
        assertThat(quota.chunk(4096)).isEqualTo(4096);
        quota.record(100_000, 0);
        assertThat(quota.nanosUntil(10_000, 0)).isEqualTo(SECOND / 10);
        assertThat(quota.nanosUntil(10_000, SECOND / 10)).isZero();
        // Never more than the bucket holds.
        assertThat(quota.nanosUntil(Long.MAX_VALUE, SECOND / 10)).isEqualTo(SECOND * 9 / 10);
    }
}
