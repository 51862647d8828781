package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class ConcurrencyTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void readersRacingWithAppendsAndRollsOnlySeeWholeCommittedBatches() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "race", Map.of("segment.bytes", "4000", "index.interval.bytes", "200"));
            AtomicBoolean done = new AtomicBoolean();
            ExecutorService readers = Executors.newFixedThreadPool(2);
            List<Future<Long>> checks = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                checks.add(readers.submit(() -> {
                    long next = 0;
                    long batchesSeen = 0;
                    while (!done.get() || next < log.highWatermark()) {
                        ReadResult result = log.read(next, 1500, true);
                        assertThat(result.error()).isEqualTo(LogError.NONE);
                        for (ReadBatch b : batches(result.slice())) {
                            assertThat(b.crcOk()).isTrue();
                            assertThat(b.baseOffset()).isEqualTo(next);
                            assertThat(b.lastOffset()).isLessThan(result.highWatermark());
                            next = b.lastOffset() + 1;
                            batchesSeen++;
                        }
                    }
                    return batchesSeen;
                }));
            }
            List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                appends.add(log.append(TestBatches.batch(1 + i % 3, i, 30), false));
                if (appends.size() == 100) {
                    appends.forEach(f -> assertThat(await(f).error()).isEqualTo(LogError.NONE));
                    appends.clear();
                }
            }
            appends.forEach(f -> assertThat(await(f).error()).isEqualTo(LogError.NONE));
            done.set(true);
            for (Future<Long> check : checks) {
                assertThat(check.get()).isEqualTo(1000);
            }
            readers.shutdown();
            assertThat(log.segmentCount()).isGreaterThan(5);
        }
    }

    /** An append whose completion holds its lane until {@code release} is counted down. */
    private record HeldLane(CompletableFuture<AppendResult> append, CountDownLatch release) {
    }

    /** Appends one record to {@code log} and keeps its lane busy afterwards; returns once the lane is held. */
    private static HeldLane holdLane(Log log) throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The append signal completes on the lane thread: blocking in its callback holds the lane.
        log.onAppend().thenRun(() -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CompletableFuture<AppendResult> append = log.append(TestBatches.batch(1, 1), false);
        entered.await();
        return new HeldLane(append, release);
    }

    @Test
    void aFullLaneTakesTheAppendButTellsTheSubmitterToWait() throws Exception {
        StorageConfig config = new StorageConfig(dir, SMALL, false, 1, 1, 3_600_000, 0);
        try (LogManager manager = start(config)) {
            Log log = createLog(manager, "full", Map.of());
            HeldLane held = holdLane(log);
            CompletableFuture<AppendResult> queued = log.append(TestBatches.batch(1, 1), false);
            AppendBatch waiting = new AppendBatch();
            CompletableFuture<AppendResult> third = waiting.add(log, TestBatches.batch(1, 1), false);
            CompletableFuture<?> admitted = waiting.submit();
            assertThat(admitted).as("the submitter is told to wait").isNotNull();
            assertThat(admitted.isDone()).isFalse();
            assertThat(third.isDone()).isFalse();
            held.release().countDown();
            await(admitted);
            assertThat(await(held.append()).baseOffset()).isZero();
            assertThat(await(queued).baseOffset()).isEqualTo(1);
            assertThat(await(third).error()).isEqualTo(LogError.NONE);
            assertThat(await(third).baseOffset()).isEqualTo(2);
        }
    }

    @Test
    void aBatchQueuesOneTaskPerLaneAndWaitsWholeForAFullLane() throws Exception {
        StorageConfig config = new StorageConfig(dir, SMALL, false, 1, 1, 3_600_000, 0);
        try (LogManager manager = start(config)) {
            Log a = createLog(manager, "batch-a", Map.of());
            Log b = createLog(manager, "batch-b", Map.of());
            HeldLane held = holdLane(a);
            // Three appends on the one lane take the single queue slot together.
            AppendBatch queued = new AppendBatch();
            CompletableFuture<AppendResult> a1 = queued.add(a, TestBatches.batch(2, 2), false);
            CompletableFuture<AppendResult> b1 = queued.add(b, TestBatches.batch(3, 3), false);
            CompletableFuture<AppendResult> a2 = queued.add(a, TestBatches.batch(1, 4), false);
            assertThat(queued.submit()).isNull();
            AppendBatch waiting = new AppendBatch();
            CompletableFuture<AppendResult> w1 = waiting.add(a, TestBatches.batch(1, 5), false);
            CompletableFuture<AppendResult> w2 = waiting.add(b, TestBatches.batch(1, 6), false);
            CompletableFuture<?> admitted = waiting.submit();
            assertThat(admitted).isNotNull();
            held.release().countDown();
            await(admitted);
            assertThat(await(held.append()).baseOffset()).isZero();
            // Appended in the order they were added, the waiting batch after the queued one.
            assertThat(await(a1).baseOffset()).isEqualTo(1);
            assertThat(await(a2).baseOffset()).isEqualTo(3);
            assertThat(await(b1).baseOffset()).isZero();
            assertThat(await(b1).recordCount()).isEqualTo(3);
            assertThat(await(w1).baseOffset()).isEqualTo(4);
            assertThat(await(w2).baseOffset()).isEqualTo(3);
        }
    }

    @Test
    void anInterruptedReaderDoesNotBreakTheSegment() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "interrupt", Map.of());
            appendOk(log, TestBatches.batch(2, 1));
            Thread.currentThread().interrupt();
            try {
                log.read(0, 1000, true).slice().release();
            } finally {
                Thread.interrupted();
            }
            assertThat(appendOk(log, TestBatches.batch(1, 2)).baseOffset()).isEqualTo(2);
            assertThat(readAll(log, 0)).extracting(ReadBatch::baseOffset).containsExactly(0L, 2L);
        }
    }
}
