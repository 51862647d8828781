package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class RecoveryTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void tornTailIsCutAfterACrashAndAppendsContinueAtTheRightOffset() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "torn", Map.of());
        for (int i = 0; i < 5; i++) {
            appendOk(log, TestBatches.batch(2, 1000 + i));
        }
        crashed.halt();
        Path segment = segmentFile(log, 0);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(f.length() - 10);
        }
        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("torn", 0).orElseThrow();
            assertThat(recovered.logEndOffset()).isEqualTo(8);
            assertThat(appendOk(recovered, TestBatches.batch(1, 2000)).baseOffset()).isEqualTo(8);
            List<ReadBatch> all = readAll(recovered, 0);
            assertThat(all).extracting(ReadBatch::baseOffset).containsExactly(0L, 2L, 4L, 6L, 8L);
            assertThat(all).allMatch(ReadBatch::crcOk);
        }
    }

    @Test
    void corruptBatchAtTheEndIsCutAfterACrash() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "garbage", Map.of());
        for (int i = 0; i < 3; i++) {
            appendOk(log, TestBatches.batch(1, 1000 + i));
        }
        long size = log.sizeInBytes();
        crashed.halt();
        Path segment = segmentFile(log, 0);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            // Flip a record byte of the last batch: its length still fits but its CRC no longer matches.
            f.seek(size - 3);
            int b = f.read();
            f.seek(size - 3);
            f.write(b ^ 0xff);
            // And zeros after it, as a crash during preallocation or a torn page leaves.
            f.seek(size);
            f.write(new byte[100]);
        }
        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("garbage", 0).orElseThrow();
            assertThat(recovered.logEndOffset()).isEqualTo(2);
            assertThat(appendOk(recovered, TestBatches.batch(1, 5)).baseOffset()).isEqualTo(2);
        }
    }

    @Test
    void damagedOrMissingIndexesAreRebuiltFromTheLog() throws Exception {
        Log log;
        byte[] index;
        byte[] timeIndex;
        try (LogManager manager = start(dir)) {
            log = createLog(manager, "idx", Map.of("index.interval.bytes", "1", "segment.bytes", "3000"));
            for (int i = 0; i < 60; i++) {
                appendOk(log, TestBatches.batch(1, 1000 + i, 20));
            }
            assertThat(log.segmentCount()).isGreaterThan(1);
        }
        Path indexFile = log.dir().resolve(LogSegment.fileName(0, ".index"));
        Path timeIndexFile = log.dir().resolve(LogSegment.fileName(0, ".timeindex"));
        index = Files.readAllBytes(indexFile);
        timeIndex = Files.readAllBytes(timeIndexFile);
        assertThat(index.length).isGreaterThan(8);
        // Garbage entries pointing at wrong offsets, and a missing time index.
        ByteBuffer garbage = ByteBuffer.allocate(index.length);
        for (int i = 0; i < index.length / 8; i++) {
            garbage.putInt(i * 3).putInt(i * 10);
        }
        Files.write(indexFile, garbage.array());
        Files.delete(timeIndexFile);
        try (LogManager manager = start(dir)) {
            Log reopened = manager.log("idx", 0).orElseThrow();
            for (long offset = 0; offset < 60; offset++) {
                assertThat(batches(reopened.read(offset, 1, true).slice()).get(0).baseOffset()).isEqualTo(offset);
            }
            assertThat(reopened.offsetForTimestamp(1030).offset()).isEqualTo(30);
            assertThat(Files.readAllBytes(indexFile)).isEqualTo(index);
            assertThat(Files.readAllBytes(timeIndexFile)).isEqualTo(timeIndex);
        }
        // A truncated index (half an entry) is rebuilt too.
        Files.write(indexFile, java.util.Arrays.copyOf(index, index.length - 3));
        try (LogManager manager = start(dir)) {
            Log reopened = manager.log("idx", 0).orElseThrow();
            assertThat(batches(reopened.read(17, 1, true).slice()).get(0).baseOffset()).isEqualTo(17);
            assertThat(Files.readAllBytes(indexFile)).isEqualTo(index);
        }
    }

    @Test
    void cleanShutdownMarkerIsWrittenByCloseAndRemovedAtStartup() throws Exception {
        Path marker = dir.resolve(LogManager.CLEAN_SHUTDOWN_MARKER);
        LogManager manager = start(dir);
        assertThat(marker).doesNotExist();
        manager.close();
        manager.close();
        assertThat(marker).exists();
        LogManager again = start(dir);
        assertThat(marker).doesNotExist();
        assertThat(again.isReady()).isTrue();
        again.close();
    }
}
