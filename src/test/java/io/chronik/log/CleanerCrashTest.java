package io.chronik.log;

import io.chronik.log.KeyedRecords.Rec;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.chronik.log.KeyedRecords.batch;
import static io.chronik.log.KeyedRecords.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A crash after each durable step of a cleaning: the broker stops there without any cleanup (threads halted, files
 * closed unflushed, delayed deletions dropped), restarts, and must serve either exactly the old records or exactly
 * the cleaned ones, then go on appending and cleaning.
 */
@Timeout(60)
class CleanerCrashTest extends LogTestSupport {
    private static final long DELETE_DELAY_MS = 600_000;

    @TempDir
    Path dir;

    /** Thrown by the hook after halting the manager: unwinds the cleaner like a dead process, without cleanup. */
    private static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated crash", null, false, false);
        }
    }

    private StorageConfig config() {
        // Replaced segments wait for file.delete.delay, as fetches may hold slices of them: a crash finds them there.
        return new StorageConfig(dir, SMALL, false, 1, 1000, 3_600_000, DELETE_DELAY_MS,
                StorageConfig.DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                new LogCleanerConfig(0, Double.MAX_VALUE, 4 << 20, 15_000));
    }

    @ParameterizedTest
    @EnumSource(CleanerHook.Step.class)
    void aCrashAtAnyStepLeavesTheOldOrTheCleanedSegments(CleanerHook.Step crashAt) throws Exception {
        AtomicReference<LogManager> running = new AtomicReference<>();
        LogManager crashing = new LogManager(config(), LogMetrics.NOOP, (step, log) -> {
            if (step == crashAt) {
                running.get().halt();
                throw new SimulatedCrash();
            }
        });
        running.set(crashing);
        crashing.startup();
        // segment.ms rolls a segment per batch (timestamps 2 s apart): one group of small segments to clean.
        Log log = createLog(crashing, "crash", Map.of("cleanup.policy", "compact", "segment.ms", "1000",
                "min.cleanable.dirty.ratio", "0.01"));
        long ts = System.currentTimeMillis() - 3_600_000;
        for (int i = 0; i < 8; i++) {
            appendOk(log, batch(ts + 2000L * i, "k0", "v" + i, "k1", i % 2 == 0 ? "v" + i : null,
                    "k2", i < 3 ? "early" + i : "late" + i, "k" + (3 + i), "once" + i));
        }
        List<Rec> before = read(log);
        long activeBase = log.segmentsSnapshot().get(log.segmentCount() - 1).baseOffset();
        List<Rec> cleaned = cleanedView(before, activeBase);
        assertThat(cleaned).hasSizeLessThan(before.size());

        assertThatThrownBy(() -> crashing.cleaner().cleanOnce(System.currentTimeMillis()))
                .isInstanceOf(SimulatedCrash.class);
        List<String> crashFiles = files();
        boolean committed = crashAt.compareTo(CleanerHook.Step.SWAP_COMMITTED) >= 0;
        if (crashAt.compareTo(CleanerHook.Step.REPLACED_RENAMED) >= 0) {
            // The replaced segments' files were renamed for deletion (they wait for file.delete.delay).
            assertThat(crashFiles).anyMatch(n -> n.endsWith(".log.deleted"));
        }
        if (crashAt.compareTo(CleanerHook.Step.RENAMED) >= 0) {
            // The cleaned segment took the name of the first segment it replaces.
            assertThat(crashFiles).contains("00000000000000000000.log", "00000000000000000000.log.deleted")
                    .noneMatch(n -> n.endsWith(".swap"));
        }
        if (crashAt == CleanerHook.Step.SWAP_COMMITTED || crashAt == CleanerHook.Step.REPLACED_RENAMED) {
            assertThat(crashFiles).contains("00000000000000000000.log.swap");
        }
        if (!committed) {
            assertThat(crashFiles).anyMatch(n -> n.endsWith(".log.cleaned"));
        }

        try (LogManager restarted = new LogManager(config(), LogMetrics.NOOP, CleanerHook.NONE)) {
            restarted.startup();
            Log recovered = restarted.log("crash", 0).orElseThrow();
            assertThat(read(recovered)).containsExactlyElementsOf(committed ? cleaned : before);
            assertThat(KeyedRecords.latest(read(recovered))).isEqualTo(KeyedRecords.latest(before));
            assertThat(files()).noneMatch(n -> n.endsWith(".cleaned") || n.endsWith(".swap") || n.endsWith(".deleted"));
            assertThat(recovered.logEndOffset()).isEqualTo(32);
            assertThat(appendOk(recovered, batch(ts + 20_000, "k0", "after")).baseOffset()).isEqualTo(32);
            // And the next cleaning brings it to the cleaned state, whatever the crash left.
            List<Rec> all = new ArrayList<>(before);
            all.add(new Rec(32, "k0", "after", ts + 20_000));
            long newActiveBase = recovered.segmentsSnapshot().get(recovered.segmentCount() - 1).baseOffset();
            assertThat(restarted.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
            assertThat(read(recovered)).containsExactlyElementsOf(cleanedView(all, newActiveBase));
        }
    }

    /** What a completed cleaning serves: below the active segment the last record of each key, then the rest. */
    private static List<Rec> cleanedView(List<Rec> before, long activeBase) {
        Map<String, Rec> last = new HashMap<>();
        before.stream().filter(r -> r.offset() < activeBase).forEach(r -> last.put(r.key(), r));
        List<Rec> view = new ArrayList<>(last.values());
        view.addAll(before.stream().filter(r -> r.offset() >= activeBase).toList());
        view.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        return view;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> list = Files.list(dir.resolve("crash-0"))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
