package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Idle idempotent producers are forgotten, and so are those whose last batch was deleted; snapshots follow. */
@Timeout(120)
class ProducerExpirationTest extends LogTestSupport {
    private static final long DAY = 24L * 3600 * 1000;

    @TempDir
    Path dir;

    /** Appends one single-record batch for each of {@code count} new producers, {@code perAppend} batches at a time. */
    private static void appendProducers(Log log, long firstProducerId, int count, int perAppend) {
        for (int i = 0; i < count; i += perAppend) {
            List<ByteBuffer> batches = new ArrayList<>();
            for (int j = i; j < Math.min(count, i + perAppend); j++) {
                batches.add(TestBatches.idempotent(firstProducerId + j, (short) 0, 0, 1));
            }
            appendOk(log, TestBatches.concat(batches.toArray(ByteBuffer[]::new)));
        }
    }

    /** Rolls the active segment: one plain batch larger than segment.bytes. Returns the new segment's base offset. */
    private static long roll(Log log) {
        long base = log.logEndOffset();
        appendOk(log, TestBatches.batch(1, System.currentTimeMillis(), 20_000));
        return base;
    }

    /** Waits until the snapshot at {@code offset} is written and the older ones beyond the kept few are deleted. */
    private static Path awaitSnapshot(Log log, long offset) throws Exception {
        Path file = ProducerSnapshots.path(log.dir(), offset);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(file) || ProducerSnapshots.list(log.dir()).size() > ProducerSnapshots.KEPT) {
            assertThat(System.nanoTime()).as("snapshot " + file + " written").isLessThan(deadline);
            Thread.sleep(10);
        }
        return file;
    }

    private static List<Long> snapshotSizes(Log log) throws IOException {
        List<Long> sizes = new ArrayList<>();
        for (long offset : ProducerSnapshots.list(log.dir())) {
            sizes.add(Files.size(ProducerSnapshots.path(log.dir(), offset)));
        }
        return sizes;
    }

    @Test
    void tenThousandShortLivedProducersAreForgottenAndTheSnapshotsShrinkAgain() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "many", Map.of("segment.bytes", "16384"));
            appendProducers(log, 1_000, 10_000, 100);
            assertThat(log.producerIdCount()).isEqualTo(10_000);

            Path full = awaitSnapshot(log, roll(log));
            // Every producer is in it: id, epoch, append time and its one batch.
            assertThat(Files.size(full)).isGreaterThan(10_000L * 50);
            assertThat(snapshotSizes(log)).hasSizeLessThanOrEqualTo(ProducerSnapshots.KEPT);

            // Not idle long enough yet: nobody is forgotten.
            assertThat(log.removeExpiredProducers(System.currentTimeMillis() + DAY / 2)).isZero();
            assertThat(log.removeExpiredProducers(System.currentTimeMillis() + DAY)).isEqualTo(10_000);
            assertThat(log.producerIdCount()).isZero();

            awaitSnapshot(log, roll(log));
            awaitSnapshot(log, roll(log));
            // The older, larger snapshots are deleted; what is kept holds no producer.
            assertThat(snapshotSizes(log)).hasSize(ProducerSnapshots.KEPT).allSatisfy(size -> assertThat(size).isLessThan(64));
        }
        try (LogManager manager = start(dir)) {
            assertThat(manager.log("many", 0).orElseThrow().producerIdCount()).isZero();
        }
    }

    @Test
    void theBrokerForgetsIdleProducersOnItsOwnAndSnapshotsAtCloseWithoutThem() throws Exception {
        StorageConfig config = new StorageConfig(dir, SMALL, false, 2, 1000, 3_600_000, 0, 50);
        try (LogManager manager = start(config)) {
            Log log = createLog(manager, "idle", Map.of("producer.id.expiration.ms", "300"));
            appendProducers(log, 1, 500, 50);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (log.producerIdCount() > 0) {
                assertThat(System.nanoTime()).as("producers forgotten").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("idle", 0).orElseThrow();
            assertThat(log.producerIdCount()).isZero();
            assertThat(snapshotSizes(log)).allSatisfy(size -> assertThat(size).isLessThan(64));
        }
    }

    @Test
    void aRetryFromAForgottenProducerIsAcceptedAsNewAsInKafka() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "retry", Map.of());
            ByteBuffer batch = TestBatches.idempotent(77, (short) 0, 0, 3);
            assertThat(appendOk(log, batch.duplicate()).baseOffset()).isZero();
            // Still known: the retry is recognised and not written again.
            assertThat(appendOk(log, batch.duplicate()).recordCount()).isZero();

            log.removeExpiredProducers(System.currentTimeMillis() + DAY);
            // Forgotten: the same batch is appended again (duplicate detection needs the state that expired), and
            // the producer is tracked again from there.
            AppendResult again = appendOk(log, batch.duplicate());
            assertThat(again.baseOffset()).isEqualTo(3);
            assertThat(again.recordCount()).isEqualTo(3);
            assertThat(log.producerIdCount()).isEqualTo(1);
            assertThat(append(log, TestBatches.idempotent(77, (short) 0, 7, 1)).error())
                    .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            appendOk(log, TestBatches.idempotent(77, (short) 0, 3, 1));

            // A forgotten producer that simply goes on is accepted at its next sequence.
            log.removeExpiredProducers(System.currentTimeMillis() + DAY);
            assertThat(appendOk(log, TestBatches.idempotent(77, (short) 0, 4, 1)).baseOffset()).isEqualTo(7);
        }
    }

    @Test
    void theExpirationIsATopicSettingCountedFromTheLastAppend() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "setting", Map.of("producer.id.expiration.ms", "60000"));
            long before = System.currentTimeMillis();
            appendOk(log, TestBatches.idempotent(5, (short) 0, 0, 1));
            // The record's own timestamp (a year old here) does not matter, the broker's clock does.
            appendOk(log, TestBatches.build(6, (short) 0, 0, 1, before - 365 * DAY, 8, (short) 0));
            assertThat(log.removeExpiredProducers(before + 30_000)).isZero();
            long appended = System.currentTimeMillis();
            long later = appended;
            while (later <= appended) {
                Thread.sleep(1);
                later = System.currentTimeMillis();
            }
            appendOk(log, TestBatches.idempotent(5, (short) 0, 1, 1)); // 5 appends again, 6 stays idle
            // One minute after 6's append, but not after 5's last one.
            assertThat(log.removeExpiredProducers(later + 59_999)).isEqualTo(1);
            assertThat(appendOk(log, TestBatches.idempotent(5, (short) 0, 1, 1)).recordCount()).isZero();
            assertThat(log.removeExpiredProducers(System.currentTimeMillis() + 60_000)).isEqualTo(1);
            appendOk(log, TestBatches.idempotent(5, (short) 0, 0, 1));

            manager.alterConfigs("setting", Map.of("producer.id.expiration.ms", "1000"), false);
            assertThat(log.removeExpiredProducers(System.currentTimeMillis() + 1_000)).isEqualTo(1);
        }
    }

    @Test
    void producersWhoseLastBatchIsDeletedAreForgottenAlsoAcrossACrash() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "head", Map.of("segment.bytes", "16384"));
        appendOk(log, TestBatches.idempotent(1, (short) 0, 0, 2)); // offsets 0-1
        appendOk(log, TestBatches.idempotent(2, (short) 0, 0, 2)); // offsets 2-3
        appendOk(log, TestBatches.idempotent(1, (short) 0, 2, 1)); // offset 4: producer 1 is still live
        appendOk(log, TestBatches.idempotent(3, (short) 0, 0, 1)); // offset 5
        awaitSnapshot(log, roll(log)); // a snapshot with all three
        assertThat(await(log.deleteRecordsBefore(5))).isEqualTo(5);
        assertThat(log.producerIdCount()).isEqualTo(1);
        crashed.halt();

        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("head", 0).orElseThrow();
            // The snapshot still names producers 1 and 2, whose batches are below the log start offset.
            assertThat(recovered.producerIdCount()).isEqualTo(1);
            assertThat(appendOk(recovered, TestBatches.idempotent(3, (short) 0, 0, 1)).recordCount()).isZero();
            // Retention deleting whole segments forgets the producers in them, too.
            roll(recovered);
            manager.alterConfigs("head", Map.of("segment.bytes", "16384", "retention.bytes", "0"), false);
            await(recovered.scheduleRetention());
            assertThat(recovered.logStartOffset()).isEqualTo(recovered.logEndOffset());
            assertThat(recovered.producerIdCount()).isZero();
        }
    }

    @Test
    void aSnapshotInTheFirstFormatStillLoads() throws Exception {
        Path logDir;
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "old", Map.of());
            appendOk(log, TestBatches.idempotent(31, (short) 2, 0, 3));
            logDir = log.dir();
        }
        // A snapshot at the log end in the format without append times, naming a producer only it knows (the
        // log is not replayed before its offset).
        ByteBuffer v1 = ByteBuffer.allocate(16 + 14 + 32 + 4);
        v1.putInt(0x43505331).putLong(3).putInt(1);
        v1.putLong(99).putShort((short) 5).putInt(1).putInt(0).putInt(2).putLong(0).putLong(2).putLong(1234);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(v1.array(), 0, v1.position());
        v1.putInt((int) crc.getValue());
        Files.write(ProducerSnapshots.path(logDir, 3), v1.array());
        try (LogManager manager = start(dir)) {
            Log log = manager.log("old", 0).orElseThrow();
            assertThat(log.producerIdCount()).isEqualTo(1);
            assertThat(append(log, TestBatches.idempotent(99, (short) 4, 0, 1)).error())
                    .isEqualTo(LogError.INVALID_PRODUCER_EPOCH);
            assertThat(appendOk(log, TestBatches.idempotent(99, (short) 5, 0, 3)).recordCount()).isZero();
        }
    }

    @Test
    void aRollDoesNotWaitForTheSnapshotToBeWritten() throws Exception {
        ExecutorService lane = Executors.newSingleThreadExecutor();
        GroupCommitter committer = new GroupCommitter(LogMetrics.NOOP, 1, 16);
        ProducerSnapshotWriter writer = new ProducerSnapshotWriter();
        CountDownLatch writerBlocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Path other = dir.resolve("other");
        LogConfig config = new LogConfig(16384, DAY, -1, -1, 1 << 20, 4096, false);
        Path logDir = dir.resolve("t-0");
        Log log = new Log("t", 0, logDir, config, LogRecovery.load(logDir, config, true, System.currentTimeMillis()),
                new LogServices(storage(dir, config, false), LogMetrics.NOOP, lane, committer, s -> { }, writer));
        try {
            // Occupy the writer's thread with another partition's snapshot that cannot finish yet.
            writer.schedule(other, 0, Map.of(), () -> {
                writerBlocked.countDown();
                awaitUninterruptibly(release);
                return false;
            });
            assertThat(writerBlocked.await(10, TimeUnit.SECONDS)).isTrue();
            appendProducers(log, 1, 100, 10);
            long first = roll(log);
            long second = roll(log);
            // Both rolls and the appends completed while no snapshot could be written.
            assertThat(ProducerSnapshots.list(logDir)).isEmpty();
            release.countDown();
            assertThat(Files.size(awaitSnapshot(log, second))).isGreaterThan(100L * 50);
            // The newer snapshot replaced the older one while it waited.
            assertThat(ProducerSnapshots.list(logDir)).containsExactly(second);
            assertThat(first).isLessThan(second);
        } finally {
            release.countDown();
            lane.shutdown();
            assertThat(lane.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            writer.close();
            committer.close();
            log.close();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
