package io.chronik.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A failed write or fsync takes its partition offline until a restart; other partitions keep working. */
@Timeout(60)
class OfflinePartitionTest extends LogTestSupport {
    @TempDir
    Path dir;

    @AfterEach
    void healTheDisk() {
        LogSegment.faults = LogSegment.Faults.NONE;
    }

    /** Fails the first {@code times} writes (or fsyncs) of files under {@code partitionDir}. */
    static LogSegment.Faults failing(Path partitionDir, boolean writes, int times) {
        AtomicInteger left = new AtomicInteger(times);
        return new LogSegment.Faults() {
            @Override
            public void beforeWrite(Path file) throws IOException {
                if (writes) {
                    fail(file);
                }
            }

            @Override
            public void beforeSync(Path file) throws IOException {
                if (!writes) {
                    fail(file);
                }
            }

            private void fail(Path file) throws IOException {
                if (file.startsWith(partitionDir) && left.getAndDecrement() > 0) {
                    throw new IOException("Input/output error (injected)");
                }
            }
        };
    }

    @Test
    void aFailedWriteTakesThePartitionOfflineForEveryRequestUntilARestart() throws Exception {
        try (LogManager manager = start(dir)) {
            Log bad = createLog(manager, "bad", Map.of());
            Log good = createLog(manager, "good", Map.of());
            appendOk(bad, TestBatches.batch(2, 1000));
            LogSegment.faults = failing(bad.dir(), true, 1);

            assertThat(append(bad, TestBatches.batch(1, 1001)).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(bad.isOffline()).isTrue();
            // The disk answers again, but the partition stays offline: nothing after the failure is trusted.
            assertThat(append(bad, TestBatches.batch(1, 1002)).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(bad.read(0, 1000, true).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThatThrownBy(() -> bad.offsetForTimestamp(0)).isInstanceOf(LogException.class)
                    .extracting(e -> ((LogException) e).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThatThrownBy(() -> bad.deleteRecordsBefore(1).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(LogException.class)
                    .extracting(e -> ((LogException) e).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(bad.onAppend()).as("long polls are woken to see the error").isNotNull();

            assertThat(appendOk(good, TestBatches.batch(1, 1000)).baseOffset()).isZero();
            assertThat(batches(good.read(0, 1000, true).slice())).hasSize(1);
        }
        assertThat(dir.resolve(LogManager.CLEAN_SHUTDOWN_MARKER)).as("an offline partition is recovered at the next start")
                .doesNotExist();
        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("bad", 0).orElseThrow();
            assertThat(recovered.isOffline()).isFalse();
            assertThat(recovered.logEndOffset()).as("nothing of the failed append").isEqualTo(2);
            assertThat(appendOk(recovered, TestBatches.batch(1, 1003)).baseOffset()).isEqualTo(2);
            assertThat(readAll(recovered, 0)).extracting(ReadBatch::baseOffset).containsExactly(0L, 2L);
        }
    }

    @Test
    void aFailedFsyncIsNeverFollowedByAnAcknowledgedAppendToThatFile() throws Exception {
        try (LogManager manager = start(storage(dir, SMALL, true))) {
            Log bad = createLog(manager, "bad", Map.of());
            Log good = createLog(manager, "good", Map.of());
            assertThat(await(bad.append(TestBatches.batch(1, 1000), true)).error()).isEqualTo(LogError.NONE);
            // Only the next fsync fails; any later one would succeed.
            LogSegment.faults = failing(bad.dir(), false, 1);

            assertThat(await(bad.append(TestBatches.batch(1, 1001), true)).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(bad.isOffline()).isTrue();
            assertThat(await(bad.append(TestBatches.batch(1, 1002), true)).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(await(bad.append(TestBatches.batch(1, 1003), false)).error()).as("acks=1 too")
                    .isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(bad.read(0, 1000, true).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(await(good.append(TestBatches.batch(1, 1000), true)).error()).isEqualTo(LogError.NONE);
        }
        try (LogManager manager = start(storage(dir, SMALL, true))) {
            Log recovered = manager.log("bad", 0).orElseThrow();
            assertThat(recovered.isOffline()).isFalse();
            assertThat(await(recovered.append(TestBatches.batch(1, 1004), true)).error()).isEqualTo(LogError.NONE);
        }
    }

    @Test
    void aFailedFsyncAtRollTakesThePartitionOffline() throws Exception {
        try (LogManager manager = start(dir)) {
            Log bad = createLog(manager, "roll", Map.of("segment.bytes", "200"));
            appendOk(bad, TestBatches.batch(1, 1000, 100));
            LogSegment.faults = failing(bad.dir(), false, 1);
            // The next append rolls: the old segment is fsynced as it stops being active.
            assertThat(append(bad, TestBatches.batch(1, 1001, 100)).error()).isEqualTo(LogError.KAFKA_STORAGE_ERROR);
            assertThat(bad.isOffline()).isTrue();
            assertThat(bad.logEndOffset()).isEqualTo(1);
        }
    }
}
