package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deletion is rename first, remove later: a crash between the steps (simulated with {@link LogManager#halt()} and
 * by leaving files as a crash would) never brings deleted data back nor leaves a half-deleted partition.
 */
@Timeout(60)
class DeletionCrashTest extends LogTestSupport {
    @TempDir
    Path dir;

    /** Deleted files stay renamed for an hour: a crash always comes between the rename and the removal. */
    private StorageConfig slowDelete() {
        return new StorageConfig(dir, SMALL, false, 2, 1000, 3_600_000, 3_600_000);
    }

    @Test
    void segmentsRenamedForDeletionBeforeACrashStayDeleted() throws Exception {
        LogManager crashed = start(slowDelete());
        int batchSize = TestBatches.batch(1, 1, 100).remaining();
        Log log = createLog(crashed, "retained", Map.of("segment.bytes", Integer.toString(batchSize),
                "retention.bytes", Integer.toString(3 * batchSize)));
        for (int i = 0; i < 8; i++) {
            appendOk(log, TestBatches.batch(1, 1000 + i, 100));
        }
        await(log.scheduleRetention());
        assertThat(log.logStartOffset()).isEqualTo(5);
        Path dataDir = log.dir();
        assertThat(names(dataDir)).contains(LogSegment.fileName(0, ".log.deleted"),
                LogSegment.fileName(0, ".index.deleted"), LogSegment.fileName(0, ".timeindex.deleted"))
                .doesNotContain(LogSegment.fileName(0, ".log"), LogSegment.fileName(0, ".index"));
        crashed.halt();

        try (LogManager manager = start(slowDelete())) {
            Log recovered = manager.log("retained", 0).orElseThrow();
            assertThat(names(dataDir)).noneMatch(n -> n.endsWith(".deleted"));
            assertThat(recovered.logStartOffset()).as("the deleted segments did not come back").isEqualTo(5);
            assertThat(recovered.logEndOffset()).isEqualTo(8);
            assertThat(readAll(recovered, 5)).extracting(ReadBatch::baseOffset).containsExactly(5L, 6L, 7L);
            assertThat(recovered.read(4, 1000, true).error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE);
        }
    }

    @Test
    void aSegmentWhoseRenameACrashInterruptedIsGoneWithAllItsFiles() throws Exception {
        LogManager crashed = start(slowDelete());
        Log log = createLog(crashed, "half", Map.of("segment.bytes", "500"));
        for (int i = 0; i < 10; i++) {
            appendOk(log, TestBatches.batch(1, 1000 + i, 100));
        }
        long second = log.segmentBaseOffsets().get(1);
        crashed.halt();
        // The crash came after the .log was renamed, before its indexes were.
        Path segment = LogSegment.logPath(log.dir(), 0);
        Files.move(segment, segment.resolveSibling(segment.getFileName() + ".deleted"));

        try (LogManager manager = start(slowDelete())) {
            Log recovered = manager.log("half", 0).orElseThrow();
            assertThat(names(log.dir())).noneMatch(n -> n.startsWith(LogSegment.fileName(0, "")));
            assertThat(recovered.logStartOffset()).isEqualTo(second);
            assertThat(recovered.logEndOffset()).isEqualTo(10);
            assertThat(readAll(recovered, second)).hasSize((int) (10 - second));
        }
    }

    @Test
    void aTopicDeletedBeforeACrashIsNeitherResurrectedNorHalfThere() throws Exception {
        LogManager crashed = start(slowDelete());
        crashed.createTopic("gone", 2, Map.of(), false);
        Log kept = createLog(crashed, "kept", Map.of());
        for (int p = 0; p < 2; p++) {
            appendOk(crashed.log("gone", p).orElseThrow(), TestBatches.batch(3, 1000));
        }
        appendOk(kept, TestBatches.batch(2, 1000));
        crashed.deleteTopic("gone");
        assertThat(names(dir)).doesNotContain("gone-0", "gone-1");
        assertThat(names(dir).stream().filter(n -> n.matches("gone-[01]\\.[0-9a-f]{32}-delete"))).hasSize(2);
        crashed.halt();

        try (LogManager manager = start(slowDelete())) {
            assertThat(names(dir)).noneMatch(n -> n.endsWith("-delete")).doesNotContain("gone-0", "gone-1");
            assertThat(manager.topic("gone")).isEmpty();
            assertThat(manager.log("kept", 0).orElseThrow().logEndOffset()).isEqualTo(2);
            // Created again under the same name, it starts empty.
            Log again = createLog(manager, "gone", Map.of());
            assertThat(again.logEndOffset()).isZero();
            assertThat(appendOk(again, TestBatches.batch(1, 2000)).baseOffset()).isZero();
        }
    }

    @Test
    void leftoversOfInterruptedTopicDeletionsAreRemovedAtStartup() throws Exception {
        LogManager crashed = start(slowDelete());
        crashed.createTopic("a", 1, Map.of(), false);
        crashed.createTopic("b", 1, Map.of(), false);
        Log kept = createLog(crashed, "kept", Map.of());
        appendOk(crashed.log("a", 0).orElseThrow(), TestBatches.batch(3, 1000));
        appendOk(crashed.log("b", 0).orElseThrow(), TestBatches.batch(3, 1000));
        appendOk(kept, TestBatches.batch(2, 1000));
        crashed.halt();
        // "a": its metadata was removed, then the crash came before its directory was renamed.
        Files.delete(dir.resolve(TopicMetadataStore.DIR).resolve("a.properties"));
        // "b": renamed, and the crash came in the middle of removing its files.
        Files.delete(dir.resolve(TopicMetadataStore.DIR).resolve("b.properties"));
        Path renamed = dir.resolve(LogManager.deleteDirName("b", 0));
        Files.move(dir.resolve("b-0"), renamed);
        Files.delete(renamed.resolve(LogSegment.fileName(0, ".index")));

        try (LogManager manager = start(slowDelete())) {
            assertThat(names(dir)).doesNotContain("a-0", "b-0", renamed.getFileName().toString());
            assertThat(manager.topics()).extracting(TopicInfo::name).containsExactly("kept");
            assertThat(readAll(manager.log("kept", 0).orElseThrow(), 0)).hasSize(1);
        }
    }

    @Test
    void deleteDirectoryNamesFitInAFileNameForTheLongestTopics() {
        String longest = "t".repeat(249);
        String name = LogManager.deleteDirName(longest, 12345);
        assertThat(name).hasSizeLessThanOrEqualTo(255).endsWith("-delete").matches(".*-12345\\.[0-9a-f]{32}-delete");
        assertThat(LogManager.deleteDirName("short", 0)).matches("short-0\\.[0-9a-f]{32}-delete");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
