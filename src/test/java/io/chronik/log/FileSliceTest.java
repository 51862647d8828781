package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Slices hold the segment's open file: deletion never pulls the bytes from under a reader, nor swaps them. */
@Timeout(60)
class FileSliceTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void aSliceHeldAcrossItsSegmentsDeletionServesItsBytesUntilReleased() throws Exception {
        // file.delete.delay 0: the files go as soon as the segment is deleted.
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "held", Map.of("segment.bytes", "500"));
            for (int i = 0; i < 10; i++) {
                appendOk(log, TestBatches.batch(1, 1000 + i, 100));
            }
            assertThat(log.segmentCount()).isGreaterThan(2);
            Path first = segmentFile(log, 0);
            FileSlice slice = log.read(0, 100_000, true).slice();
            assertThat(log.sliceReferences()).isEqualTo(1);
            ByteBuffer before = bytes(slice);
            long secondBase = log.segmentBaseOffsets().get(1);
            assertThat(await(log.deleteRecordsBefore(secondBase))).isEqualTo(secondBase);
            awaitGone(first);
            awaitGone(first.resolveSibling(first.getFileName() + ".deleted"));
            assertThat(log.sliceReferences()).as("the deleted segment no longer counts").isZero();

            assertThat(slice.channel().isOpen()).as("held by the slice").isTrue();
            assertThat(bytes(slice)).isEqualTo(before);
            List<ReadBatch> read = parse(bytes(slice));
            assertThat(read.get(0).baseOffset()).isZero();
            assertThat(read.get(0).maxTimestamp()).isEqualTo(1000);
            slice.release();
            assertThat(slice.channel().isOpen()).as("closed by the last release").isFalse();
            slice.release(); // harmless
        }
    }

    @Test
    void aTransferredSliceIsNotReleasedByItsOldOwner() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "moved", Map.of());
            appendOk(log, TestBatches.batch(1, 1000));
            FileSlice slice = log.read(0, 100_000, true).slice();
            FileSlice moved = slice.transfer();
            assertThat(moved).isNotNull();
            assertThat(slice.transfer()).as("only once").isNull();
            slice.release();
            assertThat(log.sliceReferences()).isEqualTo(1);
            moved.release();
            assertThat(log.sliceReferences()).isZero();
            FileSlice released = log.read(0, 100_000, true).slice();
            released.release();
            assertThat(released.transfer()).as("nothing left to move").isNull();
        }
    }

    @Test
    void aTopicDeletedAndRecreatedUnderTheSameNameNeverServesOneInPlaceOfTheOther() throws Exception {
        try (LogManager manager = start(dir)) {
            Log old = createLog(manager, "again", Map.of());
            for (int i = 0; i < 3; i++) {
                appendOk(old, TestBatches.batch(2, 1000 + i, 50));
            }
            FileSlice oldSlice = old.read(0, 100_000, true).slice();
            manager.deleteTopic("again");
            Log fresh = createLog(manager, "again", Map.of());
            appendOk(fresh, TestBatches.batch(1, 5000, 10));

            // The old slice still reads the old topic's batches, although a new file now has the same name.
            List<ReadBatch> oldBatches = parse(bytes(oldSlice));
            assertThat(oldBatches).extracting(ReadBatch::maxTimestamp).containsExactly(1000L, 1001L, 1002L);
            assertThat(batches(fresh.read(0, 100_000, true).slice())).extracting(ReadBatch::maxTimestamp)
                    .containsExactly(5000L);
            assertThat(old.read(0, 100_000, true).error()).isEqualTo(LogError.UNKNOWN_TOPIC_OR_PARTITION);
            FileChannelState state = new FileChannelState(oldSlice);
            oldSlice.release();
            state.awaitClosed();
        }
    }

    private record FileChannelState(FileSlice slice) {
        void awaitClosed() throws InterruptedException {
            // The deleted topic's logs close after file.delete.delay (0 here), on the scheduler.
            for (int i = 0; i < 500 && slice.channel().isOpen(); i++) {
                Thread.sleep(10);
            }
            assertThat(slice.channel().isOpen()).isFalse();
        }
    }

    static void awaitGone(Path file) throws InterruptedException {
        for (int i = 0; i < 500 && Files.exists(file); i++) {
            Thread.sleep(10);
        }
        assertThat(file).doesNotExist();
    }
}
