package io.chronik.log;

import io.chronik.log.KeyedRecords.Rec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static io.chronik.log.KeyedRecords.batch;
import static io.chronik.log.KeyedRecords.read;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The log cleaner when the disk fails under it or the log changes under it: a failed write of the cleaned segment
 * only ends the round, a failed read of the partition's own files takes the partition offline (as any failed read of
 * them does), and a committed swap the log no longer matches is withdrawn.
 */
@Timeout(60)
class CleanerFailureTest extends LogTestSupport {
    private static final long HOUR = 3_600_000L;

    @TempDir
    Path dir;
    private LogManager manager;

    private void start(CleanerHook hook) throws IOException {
        StorageConfig cfg = new StorageConfig(dir, SMALL, false, 1, 1000, 3_600_000, 0,
                StorageConfig.DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                new LogCleanerConfig(0, Double.MAX_VALUE, 4 << 20, 15_000));
        manager = new LogManager(cfg, LogMetrics.NOOP, hook);
        manager.startup();
    }

    @AfterEach
    void healAndClose() {
        LogSegment.faults = LogSegment.Faults.NONE;
        if (manager != null) {
            manager.close();
        }
    }

    /** 40 updates of 4 keys in segments of 600 bytes, an hour old. */
    private Log dirtyLog(String topic) {
        Log log = createLog(manager, topic, Map.of("cleanup.policy", "compact", "segment.bytes", "600",
                "min.cleanable.dirty.ratio", "0.01"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 40; i++) {
            appendOk(log, batch(ts, "k" + (i % 4), "v" + i));
        }
        assertThat(log.segmentCount()).isGreaterThan(3);
        return log;
    }

    @Test
    void aFailedWriteOfTheCleanedSegmentOnlyEndsTheRound() throws Exception {
        start(CleanerHook.NONE);
        Log log = dirtyLog("full-disk");
        List<Rec> before = read(log);
        LogSegment.faults = new LogSegment.Faults() {
            @Override
            public void beforeWrite(Path file) throws IOException {
                if (file.getFileName().toString().endsWith(SegmentSwap.CLEANED_SUFFIX)) {
                    throw new IOException("No space left on device (injected)");
                }
            }
        };

        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isFalse();
        assertThat(log.isOffline()).isFalse();
        assertThat(manager.cleaner().manager().isUncleanable(log)).as("tried again after the backoff").isFalse();
        // Groups before the failing one may have been replaced (an emptied group writes nothing); the rest is intact.
        List<Rec> afterFailure = read(log);
        assertThat(before).containsAll(afterFailure);
        assertThat(afterFailure).as("the failed group kept").hasSizeGreaterThan(KeyedRecords.latest(before).size() + 4);
        assertThat(KeyedRecords.latest(afterFailure)).isEqualTo(KeyedRecords.latest(before));
        assertThat(files(log)).noneMatch(n -> n.endsWith(SegmentSwap.CLEANED_SUFFIX) || n.endsWith(SegmentSwap.SWAP_SUFFIX));
        assertThat(appendOk(log, batch(System.currentTimeMillis(), "k0", "after")).baseOffset()).isEqualTo(40);

        LogSegment.faults = LogSegment.Faults.NONE;
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        List<Rec> cleaned = read(log);
        assertThat(cleaned.size()).isLessThan(before.size());
        assertThat(KeyedRecords.latest(cleaned)).containsEntry("k0", "after").containsEntry("k3", "v39");
    }

    @Test
    void aFailedReadOfItsOwnFilesTakesThePartitionOffline() throws Exception {
        start(CleanerHook.NONE);
        Log bad = dirtyLog("bad-disk");
        Log good = dirtyLog("good-disk");
        LogSegment.faults = new LogSegment.Faults() {
            @Override
            public void beforeRead(Path file) throws IOException {
                if (file.startsWith(bad.dir())) {
                    throw new IOException("Input/output error (injected)");
                }
            }
        };

        // Equally dirty: whichever the cleaner takes first, both get their turn.
        manager.cleaner().cleanOnce(System.currentTimeMillis());
        manager.cleaner().cleanOnce(System.currentTimeMillis());
        assertThat(bad.isOffline()).isTrue();
        assertThat(append(bad, batch(System.currentTimeMillis(), "k0", "x")).error())
                .isEqualTo(LogError.KAFKA_STORAGE_ERROR);
        assertThat(files(bad)).noneMatch(n -> n.endsWith(SegmentSwap.CLEANED_SUFFIX) || n.endsWith(SegmentSwap.SWAP_SUFFIX));
        // The other partition is cleaned as usual; the offline one is left alone.
        assertThat(good.isOffline()).isFalse();
        assertThat(read(good)).hasSizeLessThan(40);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isFalse();
    }

    @Test
    void aCommittedSwapTheLogNoLongerMatchesIsWithdrawn() throws Exception {
        AtomicBoolean deleteOnce = new AtomicBoolean(true);
        start((step, log) -> {
            if (step == CleanerHook.Step.SWAP_COMMITTED && deleteOnce.getAndSet(false)) {
                // DeleteRecords removes the first segment between the commit and the swap on the lane.
                long secondBase = log.segmentsSnapshot().get(1).baseOffset();
                await(log.deleteRecordsBefore(secondBase));
            }
        });
        Log log = dirtyLog("moved");
        List<Rec> before = read(log);
        long secondBase = log.segmentsSnapshot().get(1).baseOffset();

        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isFalse();
        assertThat(log.isOffline()).isFalse();
        assertThat(log.logStartOffset()).isEqualTo(secondBase);
        assertThat(files(log)).noneMatch(n -> n.endsWith(SegmentSwap.CLEANED_SUFFIX) || n.endsWith(SegmentSwap.SWAP_SUFFIX));
        List<Rec> kept = before.stream().filter(r -> r.offset() >= secondBase).toList();
        assertThat(read(log)).isEqualTo(kept);

        // Nothing of the withdrawn swap comes back after a restart, and the next round cleans.
        manager.close();
        start(CleanerHook.NONE);
        Log reopened = manager.log("moved", 0).orElseThrow();
        assertThat(read(reopened)).isEqualTo(kept);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        assertThat(KeyedRecords.latest(read(reopened))).isEqualTo(KeyedRecords.latest(before));
        assertThat(read(reopened)).hasSizeLessThan(kept.size());
    }

    private static List<String> files(Log log) throws IOException {
        try (Stream<Path> list = Files.list(log.dir())) {
            return list.map(p -> p.getFileName().toString()).toList();
        }
    }
}
