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

/** Transactions in a partition's log: producer state, last stable offset, markers, the txn index and recovery. */
@Timeout(60)
class TransactionStateTest extends LogTestSupport {
    @TempDir
    Path dir;

    static ByteBuffer txn(long producerId, short epoch, int sequence, int count) {
        return TestBatches.build(producerId, epoch, sequence, count, System.currentTimeMillis(), 8,
                RecordBatchHeader.TRANSACTIONAL);
    }

    static AppendResult marker(Log log, long producerId, short epoch, int coordinatorEpoch, boolean commit) {
        return await(log.appendMarker(producerId, epoch, coordinatorEpoch, commit, false));
    }

    /** Offsets 0-1 plain, 2-3 producer 5, 4 plain, 5 producer 6; then ABORT 5 at 6 and COMMIT 6 at 7. */
    private static void interleave(Log log) {
        appendOk(log, TestBatches.batch(2, System.currentTimeMillis()));
        appendOk(log, txn(5, (short) 0, 0, 2));
        appendOk(log, TestBatches.batch(1, System.currentTimeMillis()));
        appendOk(log, txn(6, (short) 3, 0, 1));
    }

    @Test
    void theLastStableOffsetIsTheFirstOffsetOfTheOldestOpenTransaction() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "lso", Map.of());
            interleave(log);
            assertThat(log.highWatermark()).isEqualTo(6);
            assertThat(log.lastStableOffset()).isEqualTo(2);
            ReadResult held = log.readCommitted(0, 1 << 20, true);
            assertThat(batches(held.slice())).extracting(b -> b.baseOffset()).containsExactly(0L);
            held.slice().release();
            assertThat(held.lastStableOffset()).isEqualTo(2);
            assertThat(log.readCommitted(2, 1 << 20, true).slice().isEmpty()).isTrue();

            AppendResult abort = marker(log, 5, (short) 0, 0, false);
            assertThat(abort.error()).isEqualTo(LogError.NONE);
            assertThat(abort.baseOffset()).isEqualTo(6);
            assertThat(log.lastStableOffset()).isEqualTo(5);
            assertThat(marker(log, 6, (short) 3, 0, true).baseOffset()).isEqualTo(7);
            assertThat(log.lastStableOffset()).isEqualTo(8).isEqualTo(log.logEndOffset());

            ReadResult all = log.readCommitted(0, 1 << 20, true);
            assertThat(all.lastStableOffset()).isEqualTo(8);
            assertThat(all.slice().size()).isEqualTo((int) log.sizeInBytes());
            assertThat(batches(all.slice())).hasSize(6);
            all.slice().release();
            assertThat(all.abortedTransactions()).containsExactly(new AbortedTxn(5, 2, 6, 5));
            // A read after the aborted transaction's marker has nothing to drop.
            ReadResult after = log.readCommitted(7, 1 << 20, true);
            after.slice().release();
            assertThat(after.abortedTransactions()).isEmpty();
            ReadResult middle = log.readCommitted(3, 1 << 20, true);
            middle.slice().release();
            assertThat(middle.abortedTransactions()).extracting(AbortedTxn::producerId).containsExactly(5L);
            assertThat(Files.exists(TransactionIndex.path(log.dir(), 0, ""))).isTrue();
        }
    }

    @Test
    void producerAndCoordinatorEpochsAreChecked() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "fence", Map.of());
            appendOk(log, txn(9, (short) 2, 0, 1));
            assertThat(append(log, TestBatches.idempotent(9, (short) 2, 1, 1)).error())
                    .isEqualTo(LogError.INVALID_TXN_STATE);
            assertThat(marker(log, 9, (short) 1, 0, true).error()).isEqualTo(LogError.INVALID_PRODUCER_EPOCH);
            assertThat(marker(log, 9, (short) 2, 4, true).error()).isEqualTo(LogError.NONE);
            assertThat(marker(log, 9, (short) 2, 3, false).error())
                    .isEqualTo(LogError.TRANSACTION_COORDINATOR_FENCED);
            // The transaction ended: the producer writes on, transactionally or not.
            appendOk(log, TestBatches.idempotent(9, (short) 2, 1, 1));
            assertThat(log.lastStableOffset()).isEqualTo(log.logEndOffset()).isEqualTo(3);
        }
    }

    @Test
    void openTransactionsAndAbortedOnesSurviveACleanRestart() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "clean", Map.of("segment.bytes", "300"));
            interleave(log);
            marker(log, 5, (short) 0, 0, false);
            assertThat(log.segmentCount()).isGreaterThan(1);
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("clean", 0).orElseThrow();
            assertThat(log.lastStableOffset()).isEqualTo(5);
            assertThat(committedAborts(log)).containsExactly(new AbortedTxn(5, 2, 6, 5));
            assertThat(marker(log, 6, (short) 3, 0, false).error()).isEqualTo(LogError.NONE);
            assertThat(log.lastStableOffset()).isEqualTo(8);
            assertThat(committedAborts(log)).extracting(AbortedTxn::producerId).containsExactly(5L, 6L);
        }
    }

    @Test
    void aCrashRebuildsTheTxnIndexAndTheOpenTransactionsFromTheLog() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "crash", Map.of());
        interleave(log);
        marker(log, 5, (short) 0, 0, false);
        crashed.halt();
        Files.deleteIfExists(TransactionIndex.path(log.dir(), 0, "")); // never fsynced before the crash
        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("crash", 0).orElseThrow();
            assertThat(recovered.lastStableOffset()).isEqualTo(5);
            assertThat(committedAborts(recovered)).containsExactly(new AbortedTxn(5, 2, 6, 5));
        }
    }

    @Test
    void aDamagedTxnIndexIsRebuiltFromTheWholeLog() throws Exception {
        Path indexFile;
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "damaged", Map.of("segment.bytes", "300"));
            interleave(log);
            marker(log, 5, (short) 0, 0, false);
            marker(log, 6, (short) 3, 0, true);
            for (int i = 0; i < 6; i++) {
                appendOk(log, TestBatches.batch(1, System.currentTimeMillis()));
            }
            assertThat(log.segmentCount()).isGreaterThan(2);
            indexFile = TransactionIndex.path(log.dir(), manager.log("damaged", 0).orElseThrow()
                    .segmentBaseOffsets().stream().filter(b -> b <= 6).max(Long::compare).orElseThrow(), "");
        }
        assertThat(indexFile).exists();
        byte[] bytes = Files.readAllBytes(indexFile);
        bytes[1] = 9; // an unknown entry version
        Files.write(indexFile, bytes);
        try (LogManager manager = start(dir)) {
            Log log = manager.log("damaged", 0).orElseThrow();
            assertThat(committedAborts(log)).containsExactly(new AbortedTxn(5, 2, 6, 5));
            assertThat(log.lastStableOffset()).isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void truncationBelowAMarkerReopensItsTransaction() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "trunc", Map.of());
            interleave(log);
            marker(log, 5, (short) 0, 0, false);
            await(log.becomeFollower(1));
            await(log.truncateTo(6));
            assertThat(log.logEndOffset()).isEqualTo(6);
            assertThat(log.producerState().ongoingTransactions()).isEqualTo(Map.of(5L, 2L, 6L, 5L));
            log.updateHighWatermark(6);
            assertThat(log.lastStableOffset()).isEqualTo(2);
            assertThat(Files.exists(TransactionIndex.path(log.dir(), 0, ""))).isFalse();
        }
    }

    @Test
    void followersTrackTransactionsAndIndexAbortsFromTheReplicatedBatches() throws Exception {
        try (LogManager manager = start(dir)) {
            Log leader = createLog(manager, "leader", Map.of());
            Log follower = createLog(manager, "follower", Map.of("segment.bytes", "300"));
            await(leader.becomeLeader(3));
            await(follower.becomeFollower(3));
            interleave(leader);
            assertThat(marker(leader, 5, (short) 0, 0, false).error()).isEqualTo(LogError.NONE);
            assertThat(await(follower.appendAsFollower(FollowerAppendTest.fetchAll(leader, 0), false)).error())
                    .isEqualTo(LogError.NONE);
            follower.updateHighWatermark(follower.logEndOffset());
            assertThat(follower.producerState().ongoingTransactions()).isEqualTo(Map.of(6L, 5L));
            assertThat(follower.lastStableOffset()).isEqualTo(5);
            assertThat(committedAborts(follower)).containsExactly(new AbortedTxn(5, 2, 6, 5));
            // The marker carries the leader's epoch, as every leader append.
            ReadResult markerRead = follower.read(6, 1 << 20, true);
            ByteBuffer markerBatch = bytes(markerRead.slice());
            markerRead.slice().release();
            assertThat(markerBatch.getInt(RecordBatchHeader.PARTITION_LEADER_EPOCH)).isEqualTo(3);
            assertThat(ControlBatches.readMarker(markerBatch, 0, markerBatch.limit()))
                    .isEqualTo(new ProducerStateManager.Marker(5, (short) 0, 0, false, 6,
                            markerBatch.getLong(RecordBatchHeader.MAX_TIMESTAMP)));

            // After a leadership change the follower, now leader, ends the open transaction itself.
            await(follower.becomeLeader(4));
            assertThat(marker(follower, 6, (short) 3, 0, true).baseOffset()).isEqualTo(7);
            // Stable only once the marker is replicated (below the high watermark), as in Kafka.
            assertThat(follower.lastStableOffset()).isEqualTo(5);
            follower.updateHighWatermark(8);
            assertThat(follower.lastStableOffset()).isEqualTo(8);
        }
    }

    @Test
    void theIndexKeepsKafkasEntryLayoutAndCollectsOverlappingTransactions() throws Exception {
        Path file = dir.resolve("00000000000000000000.txnindex");
        TransactionIndex index = TransactionIndex.create(file);
        index.append(new AbortedTxn(1, 0, 10, 11));
        index.append(new AbortedTxn(2, 5, 20, 21));
        index.append(new AbortedTxn(3, 30, 40, 41));
        index.flush();
        assertThat(Files.size(file)).isEqualTo(3 * 34);
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file));
        assertThat(raw.getShort(34)).isZero();
        assertThat(raw.getLong(36)).isEqualTo(2);
        assertThat(raw.getLong(44)).isEqualTo(5);
        assertThat(raw.getLong(52)).isEqualTo(20);
        assertThat(raw.getLong(60)).isEqualTo(21);
        TransactionIndex.Search search = index.collect(11, 25);
        assertThat(search.found()).extracting(AbortedTxn::producerId).containsExactly(2L);
        assertThat(search.complete()).isTrue(); // the third entry's LSO: later segments hold none overlapping
        TransactionIndex.Search open = index.collect(11, 45);
        assertThat(open.found()).extracting(AbortedTxn::producerId).containsExactly(2L, 3L);
        assertThat(open.complete()).isFalse();
        index.truncateTo(30);
        index.close();
        Files.write(file, new byte[] {0, 0, 1}, java.nio.file.StandardOpenOption.APPEND); // a torn entry
        TransactionIndex loaded = TransactionIndex.load(file);
        assertThat(loaded.entries()).extracting(AbortedTxn::producerId).containsExactly(1L, 2L);
        assertThat(Files.size(file)).isEqualTo(2 * 34);
        loaded.close();
    }

    /** Every aborted transaction a read_committed consumer is told of, reading the whole stable log. */
    private static List<AbortedTxn> committedAborts(Log log) {
        java.util.LinkedHashSet<AbortedTxn> aborted = new java.util.LinkedHashSet<>();
        long next = 0;
        for (int reads = 0; next < log.lastStableOffset() && reads < 100; reads++) {
            ReadResult read = log.readCommitted(next, 1 << 20, true);
            assertThat(read.error()).isEqualTo(LogError.NONE);
            aborted.addAll(read.abortedTransactions());
            List<ReadBatch> got = batches(read.slice());
            assertThat(got).isNotEmpty();
            next = got.get(got.size() - 1).lastOffset() + 1;
        }
        return List.copyOf(aborted);
    }
}
