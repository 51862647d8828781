package io.chronik.log;

import io.chronik.log.KeyedRecords.Rec;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.chronik.log.KeyedRecords.batch;
import static io.chronik.log.KeyedRecords.read;
import static io.chronik.log.KeyedRecords.transactional;
import static org.assertj.core.api.Assertions.assertThat;

/** The log cleaner on transactional data: aborted records, committed ones, markers and the txn index. */
@Timeout(60)
class TransactionalCleaningTest extends ManualCleanerSupport {
    private static final long RETENTION = 60_000L;

    /** No cleaner threads; replaced segments wait a minute for their deletion, as in a broker. */
    private LogManager startManual() throws IOException {
        return startManual(60_000);
    }

    private Log compacted(String topic) {
        Map<String, String> cfg = new HashMap<>(Map.of("cleanup.policy", "compact", "segment.bytes", "600",
                "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", Long.toString(RETENTION)));
        return createLog(manager, topic, cfg);
    }

    private static void marker(Log log, long producerId, short epoch, boolean commit) {
        assertThat(await(log.appendMarker(producerId, epoch, 0, commit, false)).error()).isEqualTo(LogError.NONE);
    }

    private static void fillers(Log log, long ts, int count) {
        for (int i = 0; i < count; i++) {
            appendOk(log, batch(ts, "z" + (i % 3), "filler" + i)); // pushes what came before out of the active segment
        }
    }

    private static List<Long> markerOffsets(Log log) {
        return KeyedRecords.batches(log).stream().filter(MutableRecordBatch::isControlBatch)
                .map(MutableRecordBatch::baseOffset).toList();
    }

    private static MutableRecordBatch batchAt(Log log, long offset) {
        return KeyedRecords.batches(log).stream().filter(b -> b.baseOffset() == offset).findFirst().orElseThrow();
    }

    private static List<AbortedTxn> abortedOfCommittedRead(Log log) {
        ReadResult committed = log.readCommitted(0, 1 << 20, true);
        committed.slice().release();
        return committed.abortedTransactions();
    }

    /** Removes the producer snapshots, so the next start replays the whole (cleaned) log into producer state. */
    private void restartWithoutSnapshots(String topic) throws IOException {
        manager.close();
        try (Stream<Path> files = Files.list(dir.resolve(topic + "-0"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".snapshot")).toList()) {
                Files.delete(p);
            }
        }
        startManual();
    }

    @Test
    void abortedRecordsGoWithoutShadowingCommittedOnesAndCommittedOnesAreCompactedByKey() throws Exception {
        startManual();
        Log log = compacted("t");
        long ts = System.currentTimeMillis() - HOUR;
        appendOk(log, batch(ts, "k", "old"));                                                     // 0
        appendOk(log, transactional(77, (short) 0, 0, ts, "k", "committed", "j", "j1"));          // 1, 2
        marker(log, 77, (short) 0, true);                                                         // 3
        appendOk(log, transactional(78, (short) 0, 0, ts, "k", "aborted", "n", "aborted-n"));     // 4, 5
        marker(log, 78, (short) 0, false);                                                        // 6
        appendOk(log, transactional(77, (short) 0, 2, ts, "j", "j2"));                            // 7
        marker(log, 77, (short) 0, true);                                                         // 8
        appendOk(log, transactional(78, (short) 0, 2, ts, "m", "m1"));                            // 9
        marker(log, 78, (short) 0, true);                                                         // 10
        fillers(log, ts, 40);
        assertThat(abortedOfCommittedRead(log)).hasSize(1);
        AbortedTxn abort = abortedOfCommittedRead(log).get(0);
        assertThat(abort.firstOffset()).isEqualTo(4);
        assertThat(abort.lastOffset()).isEqualTo(6);

        long now = System.currentTimeMillis();
        assertThat(manager.cleaner().cleanOnce(now)).isTrue();
        List<Rec> after = read(log);
        // The aborted record did not make "committed" go; committed transactional records were compacted by key.
        assertThat(KeyedRecords.latest(after)).containsEntry("k", "committed").containsEntry("j", "j2")
                .containsEntry("m", "m1").doesNotContainKey("n");
        assertThat(after).extracting(Rec::value).doesNotContain("old", "j1", "aborted", "aborted-n");
        // Left below the fillers: "committed", "j2", "m1" and the markers (a control record each).
        assertThat(after).filteredOn(r -> r.offset() < 11).extracting(Rec::offset)
                .containsExactly(1L, 3L, 6L, 7L, 8L, 9L, 10L);
        // Every marker stays this time; the abort's data is gone, so its marker now has a delete horizon.
        assertThat(markerOffsets(log)).containsExactly(3L, 6L, 8L, 10L);
        assertThat(batchAt(log, 6).deleteHorizonMs()).hasValue(now + RETENTION);
        assertThat(batchAt(log, 3).deleteHorizonMs()).isEmpty();
        assertThat(abortedOfCommittedRead(log)).containsExactly(abort);

        // Not before the horizon.
        assertThat(manager.cleaner().cleanOnce(now + RETENTION / 2)).isFalse();
        assertThat(markerOffsets(log)).contains(6L);

        // Past it, the abort marker goes and with it its txn index entry; markers of kept data stay.
        assertThat(manager.cleaner().cleanOnce(now + RETENTION + 1)).isTrue();
        assertThat(markerOffsets(log)).containsExactly(3L, 8L, 10L);
        assertThat(abortedOfCommittedRead(log)).isEmpty();
        List<Rec> withoutAbortMarker = after.stream().filter(r -> r.offset() != 6).toList();
        assertThat(read(log)).isEqualTo(withoutAbortMarker);

        // Rebuilt from the cleaned log alone: no transaction is left open, nothing is indexed as aborted.
        restartWithoutSnapshots("t");
        Log reopened = manager.log("t", 0).orElseThrow();
        assertThat(reopened.producerState().ongoingTransactions()).isEmpty();
        assertThat(reopened.lastStableOffset()).isEqualTo(reopened.highWatermark());
        assertThat(abortedOfCommittedRead(reopened)).isEmpty();
        assertThat(read(reopened)).isEqualTo(withoutAbortMarker);
    }

    @Test
    void aCommitMarkerGoesOnlyOnceItsTransactionHasNoDataLeftAndItsHorizonPassed() throws Exception {
        startManual();
        Log log = compacted("c");
        long ts = System.currentTimeMillis() - HOUR;
        appendOk(log, transactional(77, (short) 0, 0, ts, "k", "c1"));   // 0
        marker(log, 77, (short) 0, true);                                 // 1
        appendOk(log, batch(ts, "k", "plain"));                           // 2
        appendOk(log, transactional(77, (short) 0, 1, ts, "j", "c2"));   // 3
        marker(log, 77, (short) 0, true);                                 // 4
        fillers(log, ts, 40);

        long now = System.currentTimeMillis();
        assertThat(manager.cleaner().cleanOnce(now)).isTrue();
        assertThat(read(log)).extracting(Rec::value).doesNotContain("c1").contains("plain", "c2");
        assertThat(markerOffsets(log)).containsExactly(1L, 4L);
        assertThat(batchAt(log, 1).deleteHorizonMs()).hasValue(now + RETENTION);

        assertThat(manager.cleaner().cleanOnce(now + RETENTION + 1)).isTrue();
        assertThat(markerOffsets(log)).containsExactly(4L);
        assertThat(KeyedRecords.latest(read(log))).containsEntry("k", "plain").containsEntry("j", "c2");

        restartWithoutSnapshots("c");
        Log reopened = manager.log("c", 0).orElseThrow();
        assertThat(reopened.producerState().ongoingTransactions()).isEmpty();
        assertThat(reopened.lastStableOffset()).isEqualTo(reopened.highWatermark());
        // The producer goes on at its next sequence.
        appendOk(reopened, transactional(77, (short) 0, 2, ts, "j", "c3"));
        assertThat(reopened.producerState().ongoingTransactions()).hasSize(1);
    }

    @Test
    void theLastBatchOfAProducerKeepsItsMarkerAndTheMarkerOfAnEpochBumpStays() throws Exception {
        startManual();
        Log log = compacted("e");
        long ts = System.currentTimeMillis() - HOUR;
        appendOk(log, transactional(77, (short) 0, 0, ts, "k", "a"));    // 0: last data batch of producer 77
        marker(log, 77, (short) 0, false);                               // 1
        appendOk(log, transactional(79, (short) 0, 0, ts, "k", "b"));    // 2
        marker(log, 79, (short) 1, false);                               // 3: the coordinator bumped the epoch
        fillers(log, ts, 40);

        long now = System.currentTimeMillis();
        assertThat(manager.cleaner().cleanOnce(now)).isTrue();
        assertThat(manager.cleaner().cleanOnce(now + 3 * RETENTION)).isFalse();
        List<MutableRecordBatch> batches = KeyedRecords.batches(log);
        // Producer 77's batch stays as an empty header (its sequence), so its abort marker and entry stay too.
        MutableRecordBatch header = batchAt(log, 0);
        assertThat(header.countOrNull()).isZero();
        assertThat(header.isTransactional()).isTrue();
        // Producer 79's aborted batch goes; its marker keeps the producer's new epoch.
        assertThat(batches).noneMatch(b -> b.baseOffset() == 2);
        assertThat(markerOffsets(log)).containsExactly(1L, 3L);
        assertThat(batchAt(log, 3).deleteHorizonMs()).isEmpty();
        assertThat(read(log)).extracting(Rec::key).doesNotContain("k");
        assertThat(abortedOfCommittedRead(log)).extracting(AbortedTxn::lastOffset).containsExactly(1L, 3L);

        restartWithoutSnapshots("e");
        Log reopened = manager.log("e", 0).orElseThrow();
        assertThat(reopened.producerState().ongoingTransactions()).isEmpty();
        assertThat(markerOffsets(reopened)).containsExactly(1L, 3L);
        assertThat(abortedOfCommittedRead(reopened)).extracting(AbortedTxn::lastOffset).containsExactly(1L, 3L);
    }

    @Test
    void anOpenTransactionBoundsTheCleaningAtTheLastStableOffset() throws Exception {
        startManual();
        Log log = compacted("o");
        long ts = System.currentTimeMillis() - HOUR;
        appendOk(log, batch(ts, "k", "committed"));                       // 0
        appendOk(log, transactional(80, (short) 0, 0, ts, "k", "open"));  // 1: not decided yet
        fillers(log, ts, 40);
        appendOk(log, batch(ts, "k", "later"));
        fillers(log, ts, 40);
        assertThat(log.lastStableOffset()).isEqualTo(1);

        long now = System.currentTimeMillis();
        manager.cleaner().cleanOnce(now);
        // Nothing at or past the open transaction was cleaned, nor mapped: "committed" is not yet superseded.
        assertThat(read(log)).extracting(Rec::value).contains("committed", "open", "later", "filler0");

        marker(log, 80, (short) 0, false);
        appendOk(log, batch(ts, "roll", "r"));
        fillers(log, ts, 20);
        assertThat(manager.cleaner().cleanOnce(now)).isTrue();
        List<Rec> after = read(log);
        assertThat(after).extracting(Rec::value).doesNotContain("committed", "open").contains("later");
        assertThat(KeyedRecords.latest(after)).containsEntry("k", "later");
    }
}
