package io.chronik.log;

import org.junit.jupiter.api.AfterEach;
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

    private final GroupCommitter committer = new GroupCommitter(new LogMetrics() { });

    @AfterEach
    void close() {
        committer.close();
    }

    /** A segment whose fsyncs count their starts and each wait for a permit. */
    private static final class GatedSegment implements GroupCommitter.Syncable {
        final AtomicInteger started = new AtomicInteger();
        final Semaphore permits = new Semaphore(0);
        final CountDownLatch firstStarted = new CountDownLatch(1);
        volatile IOException failure;
        volatile Thread lastThread;

        @Override
        public void forceLog() throws IOException {
            lastThread = Thread.currentThread();
            started.incrementAndGet();
            firstStarted.countDown();
            permits.acquireUninterruptibly();
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Completes with the number of fsyncs the segment had started when the waiter was called. */
    private CompletableFuture<Integer> submit(GatedSegment segment) {
        return submit(committer, segment);
    }

    private static CompletableFuture<Integer> submit(GroupCommitter committer, GatedSegment segment) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        committer.submit(segment, 1, () -> done.complete(segment.started.get()), done::completeExceptionally);
        return done;
    }

    /** Submits to a segment no fsync has started on yet, and returns once its first fsync is running. */
    private static CompletableFuture<Integer> submitAndAwaitFsync(GroupCommitter committer, GatedSegment segment)
            throws InterruptedException {
        CompletableFuture<Integer> done = submit(committer, segment);
        assertThat(segment.firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        return done;
    }

    @Test
    void anAppendArrivingDuringAnFsyncWaitsForTheNextOne() throws Exception {
        GatedSegment segment = new GatedSegment();
        CompletableFuture<Integer> first = submitAndAwaitFsync(committer, segment);
        // Written after the running fsync began: that fsync does not cover it.
        CompletableFuture<Integer> second = submit(segment);
        CompletableFuture<Integer> third = submit(segment);
        segment.permits.release();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(second).isNotDone();
        segment.permits.release();
        // One more fsync covers both appends that waited during the first.
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(segment.started.get()).isEqualTo(2);
    }

    @Test
    void segmentsAreFsyncedIndependently() throws Exception {
        GatedSegment slow = new GatedSegment();
        GatedSegment fast = new GatedSegment();
        CompletableFuture<Integer> waitingOnSlow = submitAndAwaitFsync(committer, slow);
        fast.permits.release();
        assertThat(submit(fast).get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(waitingOnSlow).isNotDone();
        slow.permits.release();
        assertThat(waitingOnSlow.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void aFailedFsyncFailsItsWaitersAndEveryLaterOneOnThatSegmentWithoutAnotherFsync() throws Exception {
        GatedSegment segment = new GatedSegment();
        segment.failure = new IOException("disk gone");
        CompletableFuture<Integer> failed = submitAndAwaitFsync(committer, segment);
        // Written while the failing fsync runs: it waits for the next fsync, which must not happen.
        CompletableFuture<Integer> waiting = submit(segment);
        segment.permits.release(10);
        assertThat(failed).failsWithin(10, TimeUnit.SECONDS).withThrowableThat().withRootCauseInstanceOf(IOException.class);
        assertThat(waiting).failsWithin(10, TimeUnit.SECONDS).withThrowableThat().withRootCauseInstanceOf(IOException.class);
        segment.failure = null; // the next fsync would "succeed": the kernel may have dropped the unwritten pages
        assertThat(submit(segment)).as("fails at once").isCompletedExceptionally();
        assertThat(segment.started.get()).as("never fsynced again").isEqualTo(1);

        GatedSegment other = new GatedSegment();
        other.permits.release();
        assertThat(submit(other).get(10, TimeUnit.SECONDS)).as("other segments are not affected").isEqualTo(1);
    }

    @Test
    void whenEveryThreadIsBusyAndTheQueueIsFullTheSubmitterFsyncsItself() throws Exception {
        GroupCommitter small = new GroupCommitter(new LogMetrics() { }, 1, 1);
        try {
            GatedSegment running = new GatedSegment();
            GatedSegment queued = new GatedSegment();
            GatedSegment overflow = new GatedSegment();
            CompletableFuture<Integer> first = submitAndAwaitFsync(small, running);
            CompletableFuture<Integer> second = submit(small, queued);
            overflow.permits.release();
            // The one thread is busy and the one queue slot is taken: the caller fsyncs, and is done on return.
            assertThat(submit(small, overflow)).isCompletedWithValue(1);
            assertThat(overflow.lastThread).isSameAs(Thread.currentThread());
            running.permits.release();
            queued.permits.release();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(queued.lastThread).isNotSameAs(Thread.currentThread());
        } finally {
            small.close();
        }
    }

    @Test
    void closeCompletesWhatWasSubmittedAndLaterSubmissionsSyncOnTheCallersThread() throws Exception {
        GatedSegment segment = new GatedSegment();
        CompletableFuture<Integer> pending = submitAndAwaitFsync(committer, segment);
        CompletableFuture<Integer> queued = submit(segment);
        segment.permits.release(3);
        committer.close();
        assertThat(pending).isCompletedWithValue(1);
        assertThat(queued).isCompletedWithValue(2);
        // After close the caller fsyncs itself: done when submit returns.
        assertThat(submit(segment)).isCompletedWithValue(3);
    }
}
