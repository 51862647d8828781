package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class GroupCommitterTest {

    /** A segment whose fsyncs count their starts and each wait for a permit. */
    private static final class GatedSegment implements GroupCommitter.Syncable {
        final AtomicInteger started = new AtomicInteger();
        final Semaphore permits = new Semaphore(0);
        final CountDownLatch firstStarted = new CountDownLatch(1);
        volatile IOException failure;

        @Override
        public void forceLog() throws IOException {
            started.incrementAndGet();
            firstStarted.countDown();
            permits.acquireUninterruptibly();
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Completes with the number of fsyncs the segment had started when the waiter was called. */
    private static CompletableFuture<Integer> submit(GroupCommitter committer, GatedSegment segment) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        committer.submit(segment, 1, () -> done.complete(segment.started.get()), done::completeExceptionally);
        return done;
    }

    @Test
    void anAppendArrivingDuringAnFsyncWaitsForTheNextOne() throws Exception {
        GroupCommitter committer = new GroupCommitter(new LogMetrics() { });
        try {
            GatedSegment segment = new GatedSegment();
            CompletableFuture<Integer> first = submit(committer, segment);
            assertThat(segment.firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            // Written after the running fsync began: that fsync does not cover it.
            CompletableFuture<Integer> second = submit(committer, segment);
            CompletableFuture<Integer> third = submit(committer, segment);
            segment.permits.release();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(second).isNotDone();
            segment.permits.release();
            // One more fsync covers both appends that waited during the first.
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(segment.started.get()).isEqualTo(2);
        } finally {
            committer.close();
        }
    }

    @Test
    void segmentsAreFsyncedIndependently() throws Exception {
        GroupCommitter committer = new GroupCommitter(new LogMetrics() { });
        try {
            GatedSegment slow = new GatedSegment();
            GatedSegment fast = new GatedSegment();
            CompletableFuture<Integer> waitingOnSlow = submit(committer, slow);
            assertThat(slow.firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            fast.permits.release();
            assertThat(submit(committer, fast).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(waitingOnSlow).isNotDone();
            slow.permits.release();
            assertThat(waitingOnSlow.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        } finally {
            committer.close();
        }
    }

    @Test
    void aFailedFsyncFailsItsWaitersAndTheNextFsyncIsTriedAgain() throws Exception {
        GroupCommitter committer = new GroupCommitter(new LogMetrics() { });
        try {
            GatedSegment segment = new GatedSegment();
            segment.failure = new IOException("disk gone");
            segment.permits.release();
            CompletableFuture<Integer> failed = submit(committer, segment);
            assertThat(failed).failsWithin(10, TimeUnit.SECONDS).withThrowableThat().withRootCauseInstanceOf(IOException.class);
            segment.failure = null;
            segment.permits.release();
            assertThat(submit(committer, segment).get(10, TimeUnit.SECONDS)).isEqualTo(2);
        } finally {
            committer.close();
        }
    }

    @Test
    void closeCompletesWhatWasSubmittedAndLaterSubmissionsSyncOnTheCallersThread() throws Exception {
        GroupCommitter committer = new GroupCommitter(new LogMetrics() { });
        GatedSegment segment = new GatedSegment();
        CompletableFuture<Integer> pending = submit(committer, segment);
        assertThat(segment.firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Integer> queued = submit(committer, segment);
        segment.permits.release(3);
        committer.close();
        assertThat(pending).isCompletedWithValue(1);
        assertThat(queued).isCompletedWithValue(2);
        // After close the caller fsyncs itself: done when submit returns.
        assertThat(submit(committer, segment)).isCompletedWithValue(3);
    }
}
