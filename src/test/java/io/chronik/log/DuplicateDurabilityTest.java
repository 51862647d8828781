package io.chronik.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A retried acks=all batch is answered only when its original is on disk. The group committer here has a single
 * fsync thread, which a gate holds: an fsync submitted meanwhile stays pending until the gate opens.
 */
@Timeout(60)
class DuplicateDurabilityTest extends LogTestSupport {
    @TempDir
    Path dir;

    private final AtomicInteger fsyncs = new AtomicInteger();
    private final CountDownLatch gateEntered = new CountDownLatch(1);
    private final CountDownLatch gateOpen = new CountDownLatch(1);
    private GroupCommitter committer;
    private ExecutorService lane;
    private ProducerSnapshotWriter snapshots;
    private LogRecovery.Loaded loaded;
    private Log log;

    @BeforeEach
    void open() throws Exception {
        committer = new GroupCommitter(new LogMetrics() {
            @Override
            public void fsyncCompleted(long nanos, long records) {
                fsyncs.incrementAndGet();
            }
        }, 1, 16);
        lane = Executors.newSingleThreadExecutor();
        snapshots = new ProducerSnapshotWriter();
        Path logDir = dir.resolve("dup-0");
        loaded = LogRecovery.load(logDir, SMALL, true, System.currentTimeMillis());
        log = new Log("dup", 0, logDir, SMALL, loaded,
                new LogServices(storage(dir, SMALL, true), LogMetrics.NOOP, lane, committer, s -> { }, snapshots));
    }

    @AfterEach
    void close() throws Exception {
        gateOpen.countDown();
        lane.shutdown();
        assertThat(lane.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        committer.close();
        snapshots.close();
        log.close();
    }

    /** Occupies the committer's only fsync thread until {@code gateOpen}. */
    private void holdTheFsyncThread() throws InterruptedException {
        committer.submit(() -> {
            gateEntered.countDown();
            try {
                gateOpen.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0, () -> { }, e -> { });
        assertThat(gateEntered.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRetryOfABatchWhoseFsyncIsPendingIsAnsweredOnlyAfterThatFsync() throws Exception {
        holdTheFsyncThread();
        ByteBuffer batch = TestBatches.idempotent(9, (short) 0, 0, 2);
        CompletableFuture<AppendResult> original = log.append(batch.duplicate(), true);
        CompletableFuture<AppendResult> retry = log.append(batch.duplicate(), true);
        // acks=1 does not wait for durability: its retry is answered at once. Being queued after the two others on
        // the lane, its answer also shows that both were handled.
        AppendResult acksOne = append(log, batch.duplicate());
        assertThat(acksOne.error()).isEqualTo(LogError.NONE);
        assertThat(acksOne.baseOffset()).isZero();
        assertThat(acksOne.recordCount()).isZero();
        assertThat(original).isNotDone();
        assertThat(retry).as("the original is not fsynced yet").isNotDone();

        gateOpen.countDown();
        AppendResult first = await(original);
        AppendResult again = await(retry);
        assertThat(first.error()).isEqualTo(LogError.NONE);
        assertThat(first.recordCount()).isEqualTo(2);
        assertThat(again.error()).isEqualTo(LogError.NONE);
        assertThat(again.baseOffset()).isEqualTo(first.baseOffset());
        assertThat(again.recordCount()).isZero();
        assertThat(log.logEndOffset()).isEqualTo(2);

        // Once the original is on disk, a retry is answered without another fsync.
        int rounds = fsyncs.get();
        AppendResult late = await(log.append(batch.duplicate(), true));
        assertThat(late.error()).isEqualTo(LogError.NONE);
        assertThat(late.baseOffset()).isZero();
        assertThat(fsyncs.get()).isEqualTo(rounds);
    }

    @Test
    void aRetryOfABatchWhoseFsyncFailedIsNeverAcknowledged() throws Exception {
        holdTheFsyncThread();
        ByteBuffer batch = TestBatches.idempotent(4, (short) 0, 0, 3);
        CompletableFuture<AppendResult> original = log.append(batch.duplicate(), true);
        CompletableFuture<AppendResult> retry = log.append(batch.duplicate(), true);
        assertThat(append(log, TestBatches.batch(1, 1)).error()).isEqualTo(LogError.NONE); // both were handled
        // The disk goes away under the pending fsync.
        loaded.segments().lastEntry().getValue().close();
        gateOpen.countDown();

        assertThat(await(original).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
        assertThat(await(retry).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
        // A later retry is refused at once: its original may never have reached the disk.
        int rounds = fsyncs.get();
        assertThat(await(log.append(batch.duplicate(), true)).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
        assertThat(fsyncs.get()).isEqualTo(rounds);
    }
}
