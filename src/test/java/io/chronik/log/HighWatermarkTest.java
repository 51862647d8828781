package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The high watermark apart from the log end once a log has a role: reads, lookups, retention, checkpoint. */
class HighWatermarkTest extends LogTestSupport {
    @TempDir
    Path dir;

    /** Three batches of two records (offsets 0..5) with timestamps 1000, 2000, 3000. */
    private static void fill(Log log) {
        for (int i = 0; i < 3; i++) {
            appendOk(log, TestBatches.batch(2, 1000L * (i + 1)));
        }
    }

    @Test
    void withoutARoleTheHighWatermarkIsTheLogEnd() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "single", Map.of());
            fill(log);
            assertThat(log.hasRole()).isFalse();
            assertThat(log.highWatermark()).isEqualTo(log.logEndOffset()).isEqualTo(6);
            log.updateHighWatermark(2); // ignored: no role
            assertThat(log.highWatermark()).isEqualTo(6);
            assertThat(log.read(0, 1 << 20, true).highWatermark()).isEqualTo(6);
            assertThat(batches(log.read(0, 1 << 20, true).slice())).hasSize(3);
            assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(4, 3000));
        }
        assertThat(dir.resolve(HighWatermarkCheckpoint.FILE)).doesNotExist(); // nothing to checkpoint on a single node
    }

    @Test
    void consumerReadsAndTimestampLookupsStopAtTheHighWatermark() throws Exception {
        try (LogManager manager = start(storage(dir, SMALL, true))) {
            Log log = createLog(manager, "hw", Map.of());
            await(log.becomeLeader(1));
            fill(log);
            assertThat(log.highWatermark()).isZero(); // a first role without a checkpoint starts at the log start
            assertThat(log.logEndOffset()).isEqualTo(6);

            ReadResult consumer = log.read(0, 1 << 20, true);
            assertThat(consumer.error()).isEqualTo(LogError.NONE);
            assertThat(consumer.slice().isEmpty()).isTrue();
            assertThat(consumer.highWatermark()).isZero();
            assertThat(consumer.logEndOffset()).isEqualTo(6);
            ReadResult follower = log.read(0, 1 << 20, true, false);
            assertThat(follower.highWatermark()).isZero();
            assertThat(batches(follower.slice())).hasSize(3);
            // Between the high watermark and the log end a consumer's read is empty, not out of range.
            assertThat(log.read(5, 1 << 20, true).error()).isEqualTo(LogError.NONE);
            assertThat(log.read(6, 1 << 20, true).error()).isEqualTo(LogError.NONE);
            assertThat(log.read(7, 1 << 20, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
            assertThat(log.offsetForTimestamp(1000)).isEqualTo(new OffsetAndTimestamp(-1, -1));
            assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(-1, -1));
            assertThatThrownBy(() -> log.deleteRecordsBefore(2).join()).isInstanceOf(CompletionException.class);

            CompletableFuture<Void> woken = log.onAppend();
            log.updateHighWatermark(4);
            assertThat(woken).isDone(); // waiting fetches see the move
            assertThat(log.highWatermark()).isEqualTo(4);
            assertThat(batches(log.read(0, 1 << 20, true).slice())).extracting(ReadBatch::baseOffset)
                    .containsExactly(0L, 2L);
            assertThat(log.read(4, 1 << 20, true).slice().isEmpty()).isTrue();
            assertThat(log.offsetForTimestamp(2000)).isEqualTo(new OffsetAndTimestamp(2, 2000));
            assertThat(log.offsetForTimestamp(2500)).isEqualTo(new OffsetAndTimestamp(-1, -1));
            assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(-1, -1)); // its record is past the HW

            log.updateHighWatermark(3); // never backward
            assertThat(log.highWatermark()).isEqualTo(4);
            log.updateHighWatermark(5); // inside a batch: reads stop before that batch
            assertThat(batches(log.read(0, 1 << 20, true).slice())).hasSize(2);
            log.updateHighWatermark(100); // capped at the log end
            assertThat(log.highWatermark()).isEqualTo(6);
            assertThat(batches(log.read(0, 1 << 20, true).slice())).hasSize(3);
            assertThat(log.offsetForTimestamp(2500)).isEqualTo(new OffsetAndTimestamp(4, 3000));
            assertThat(log.maxTimestamp()).isEqualTo(new OffsetAndTimestamp(4, 3000));

            AppendResult durable = await(log.append(TestBatches.batch(1, 4000), true));
            assertThat(durable.lastOffset()).isEqualTo(6);
            assertThat(log.durableEndOffset()).isEqualTo(7);
            assertThat(log.highWatermark()).isEqualTo(6); // a leader append does not move it

            Log replica = createLog(manager, "durable", Map.of());
            await(replica.becomeFollower(1));
            await(replica.appendAsFollower(batchAt(0), false));
            await(replica.appendAsFollower(batchAt(2), true));
            assertThat(replica.durableEndOffset()).isEqualTo(4); // awaitFsync waited for an fsync covering both
        }
    }

    @Test
    void retentionKeepsWhatIsAboveTheHighWatermark() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "ret", Map.of("segment.bytes", "100", "retention.bytes", "0"));
            await(log.becomeFollower(1));
            for (long offset = 0; offset < 6; offset += 2) {
                assertThat(await(log.appendAsFollower(batchAt(offset), false)).error()).isEqualTo(LogError.NONE);
            }
            assertThat(log.segmentCount()).isEqualTo(3);
            log.updateHighWatermark(2);
            log.enforceRetention(); // on the test thread: the lane is idle
            assertThat(log.logStartOffset()).isEqualTo(2);
            assertThat(log.segmentBaseOffsets()).containsExactly(2L, 4L);
        }
    }

    private static java.nio.ByteBuffer batchAt(long offset) {
        java.nio.ByteBuffer b = TestBatches.batch(2, 1000, 40);
        b.putLong(RecordBatchHeader.BASE_OFFSET, offset);
        return b;
    }

    @Test
    void theCheckpointKeepsTheHighWatermarksOfLogsWithARole() throws Exception {
        Path file = dir.resolve(HighWatermarkCheckpoint.FILE);
        try (LogManager manager = start(dir)) {
            Log led = createLog(manager, "led", Map.of());
            Log single = createLog(manager, "single", Map.of());
            fill(single);
            await(led.becomeLeader(1));
            fill(led);
            led.updateHighWatermark(4);
            manager.checkpointHighWatermarks();
            assertThat(Files.readAllLines(file, StandardCharsets.UTF_8)).containsExactly("0", "1", "led 0 4");
            led.updateHighWatermark(6);
        } // close writes the latest
        assertThat(Files.readAllLines(file, StandardCharsets.UTF_8)).containsExactly("0", "1", "led 0 6");
        Files.writeString(file, "0\n2\nled 0 2\nsingle 0 100\n");
        try (LogManager manager = start(dir)) {
            Log led = manager.log("led", 0).orElseThrow();
            Log single = manager.log("single", 0).orElseThrow();
            assertThat(led.highWatermark()).isEqualTo(6); // no role yet: the log end
            await(led.becomeFollower(2));
            assertThat(led.highWatermark()).isEqualTo(2);
            await(single.becomeLeader(1));
            assertThat(single.highWatermark()).isEqualTo(6); // min(checkpoint, log end)
            manager.checkpointHighWatermarks();
            assertThat(Files.readAllLines(file, StandardCharsets.UTF_8)).containsExactlyInAnyOrder("0", "2",
                    "led 0 2", "single 0 6");
        }
    }
}
