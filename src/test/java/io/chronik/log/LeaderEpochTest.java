package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/** Leader epochs: stamped by leader appends, kept in the leader-epoch cache, answered as OffsetsForLeaderEpoch. */
class LeaderEpochTest extends LogTestSupport {
    @TempDir
    Path dir;

    private static LeaderEpochCache.Entry entry(int epoch, long offset) {
        return new LeaderEpochCache.Entry(epoch, offset);
    }

    /** The partitionLeaderEpoch of every batch from the log start to the log end. */
    static List<Integer> stampedEpochs(Log log) {
        List<Integer> epochs = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            ReadResult r = log.read(next, 1 << 20, true, false);
            ByteBuffer buf = bytes(r.slice());
            r.slice().release();
            int at = 0;
            while (at < buf.limit()) {
                epochs.add(buf.getInt(at + RecordBatchHeader.PARTITION_LEADER_EPOCH));
                next = RecordBatchHeader.baseOffset(buf, at) + RecordBatchHeader.lastOffsetDelta(buf, at) + 1;
                at += (int) RecordBatchHeader.totalSize(buf, at);
            }
        }
        return epochs;
    }

    @Test
    void leaderAppendsStampTheEpochAndTheCacheIsReloadedOrRebuiltAfterARestart() throws Exception {
        Path cacheFile;
        List<LeaderEpochCache.Entry> expected = List.of(entry(0, 0), entry(3, 2), entry(5, 6));
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "epochs", Map.of("segment.bytes", "300"));
            assertThat(log.leaderEpoch()).isZero();
            assertThat(log.latestEpoch()).isEmpty();
            appendOk(log, TestBatches.batch(2, 1000));
            assertThat(log.latestEpoch()).isEqualTo(OptionalInt.of(0));
            await(log.becomeLeader(3));
            assertThat(log.leaderEpoch()).isEqualTo(3);
            appendOk(log, TestBatches.batch(2, 1000));
            appendOk(log, TestBatches.batch(2, 1000));
            await(log.becomeLeader(3)); // the same epoch again changes nothing
            await(log.becomeLeader(5));
            AppendResult last = appendOk(log, TestBatches.batch(3, 1000));
            assertThat(last.baseOffset()).isEqualTo(6);
            assertThat(last.lastOffset()).isEqualTo(8);
            assertThat(stampedEpochs(log)).containsExactly(0, 3, 3, 5);
            assertThat(log.epochEntries()).isEqualTo(expected);
            assertThat(log.segmentCount()).isGreaterThan(1); // the rebuild below reads several segments
            cacheFile = log.dir().resolve(LeaderEpochCache.FILE);
            assertThat(Files.readAllLines(cacheFile, StandardCharsets.UTF_8)).containsExactly("0", "3", "0 0", "3 2", "5 6");
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("epochs", 0).orElseThrow();
            assertThat(log.epochEntries()).isEqualTo(expected);
            assertThat(log.latestEpoch()).isEqualTo(OptionalInt.of(5));
            assertThat(log.leaderEpoch()).isZero(); // the role and its epoch come from the cluster, not the disk
        }
        Files.delete(cacheFile);
        try (LogManager manager = start(dir)) {
            Log log = manager.log("epochs", 0).orElseThrow();
            assertThat(log.epochEntries()).isEqualTo(expected);
            assertThat(cacheFile).exists();
        }
        Files.writeString(cacheFile, "0\n5\n0 0\n"); // damaged: fewer entries than announced
        try (LogManager manager = start(dir)) {
            assertThat(manager.log("epochs", 0).orElseThrow().epochEntries()).isEqualTo(expected);
        }
    }

    @Test
    void endOffsetForEpochAnswersAsOffsetsForLeaderEpoch() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.empty(dir);
        assertThat(cache.endOffsetFor(0, 10)).isEqualTo(EpochEndOffset.UNDEFINED);
        cache.assign(2, 6);
        cache.assign(4, 8);
        long logEnd = 11;
        assertThat(cache.endOffsetFor(4, logEnd)).isEqualTo(new EpochEndOffset(4, 11)); // latest: the log end
        assertThat(cache.endOffsetFor(2, logEnd)).isEqualTo(new EpochEndOffset(2, 8));
        assertThat(cache.endOffsetFor(3, logEnd)).isEqualTo(new EpochEndOffset(2, 8)); // unknown: the one below
        assertThat(cache.endOffsetFor(1, logEnd)).isEqualTo(new EpochEndOffset(1, 6)); // below all: first start
        assertThat(cache.endOffsetFor(5, logEnd)).isEqualTo(EpochEndOffset.UNDEFINED); // newer than any
        assertThat(cache.endOffsetFor(-1, logEnd)).isEqualTo(EpochEndOffset.UNDEFINED);
        // Older or equal epochs are not assigned; a newer one at an earlier offset replaces what starts after it.
        assertThat(cache.assign(3, 9)).isFalse();
        assertThat(cache.assign(4, 9)).isFalse();
        assertThat(cache.assign(5, 7)).isTrue();
        assertThat(cache.entries()).containsExactly(entry(2, 6), entry(5, 7));
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(entry(2, 6), entry(5, 7));

        cache.assign(6, 10);
        cache.truncateFromEnd(10);
        assertThat(cache.entries()).containsExactly(entry(2, 6), entry(5, 7));
        assertThat(cache.latestEpoch()).isEqualTo(OptionalInt.of(5));
        cache.truncateFromStart(8);
        assertThat(cache.entries()).containsExactly(entry(5, 8));
        cache.truncateFromStart(6); // below the first entry: nothing changes
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(entry(5, 8));
        cache.truncateFromEnd(8);
        assertThat(cache.entries()).isEmpty();
        assertThat(cache.latestEpoch()).isEmpty();
        assertThat(Files.readAllLines(dir.resolve(LeaderEpochCache.FILE))).containsExactly("0", "0");
    }

    @Test
    void endOffsetForEpochOfALogAndTheCacheFollowingTheLogStart() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "eo", Map.of("segment.bytes", "200"));
            await(log.becomeLeader(1));
            appendOk(log, TestBatches.batch(2, 1000));
            appendOk(log, TestBatches.batch(2, 1000));
            await(log.becomeLeader(4));
            appendOk(log, TestBatches.batch(2, 1000));
            log.updateHighWatermark(log.logEndOffset());
            assertThat(log.endOffsetForEpoch(1)).isEqualTo(new EpochEndOffset(1, 4));
            assertThat(log.endOffsetForEpoch(2)).isEqualTo(new EpochEndOffset(1, 4));
            assertThat(log.endOffsetForEpoch(4)).isEqualTo(new EpochEndOffset(4, 6));
            assertThat(log.endOffsetForEpoch(0)).isEqualTo(new EpochEndOffset(0, 0));
            assertThat(log.endOffsetForEpoch(7)).isEqualTo(EpochEndOffset.UNDEFINED);
            // The log start passes the first epoch's start: its entry moves with it (DeleteRecords).
            await(log.deleteRecordsBefore(5));
            assertThat(log.epochEntries()).containsExactly(entry(4, 5));
        }
    }
}
