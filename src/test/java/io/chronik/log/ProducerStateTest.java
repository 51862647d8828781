package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class ProducerStateTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void duplicateReturnsTheOriginalOffsetAndIsNotWrittenAgain() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "idem", Map.of());
            appendOk(log, TestBatches.batch(2, 1));
            AppendResult first = appendOk(log, TestBatches.idempotent(42, (short) 0, 0, 3));
            assertThat(first.baseOffset()).isEqualTo(2);
            appendOk(log, TestBatches.idempotent(42, (short) 0, 3, 2));
            AppendResult retry = appendOk(log, TestBatches.idempotent(42, (short) 0, 0, 3));
            assertThat(retry.baseOffset()).isEqualTo(2);
            assertThat(retry.recordCount()).isZero();
            assertThat(log.logEndOffset()).isEqualTo(7);
            assertThat(readAll(log, 0)).hasSize(3);
        }
    }

    @Test
    void sequenceGapAndOldEpochAreRejected() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "seq", Map.of());
            appendOk(log, TestBatches.idempotent(7, (short) 3, 0, 2));
            assertThat(append(log, TestBatches.idempotent(7, (short) 3, 5, 1)).error())
                    .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            assertThat(append(log, TestBatches.idempotent(7, (short) 2, 2, 1)).error())
                    .isEqualTo(LogError.INVALID_PRODUCER_EPOCH);
            // A bumped epoch must restart at sequence 0.
            assertThat(append(log, TestBatches.idempotent(7, (short) 4, 2, 1)).error())
                    .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            appendOk(log, TestBatches.idempotent(7, (short) 4, 0, 1));
            // An unknown producer is accepted at any sequence (KIP-360).
            appendOk(log, TestBatches.idempotent(8, (short) 0, 17, 1));
            appendOk(log, TestBatches.idempotent(8, (short) 0, 18, 1));
            assertThat(log.logEndOffset()).isEqualTo(5);
        }
    }

    @Test
    void aPartitionThatNeverHeldARecordTakesOnlySequenceZeroFromAnUnknownProducer() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "fresh", Map.of());
            // The second of two produces in flight, the first having been refused before the partition was ready.
            AppendResult second = append(log, TestBatches.idempotent(4, (short) 0, 3, 2));
            assertThat(second.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            assertThat(second.message()).contains("never held a record");
            assertThat(log.logEndOffset()).isZero();
            // The retries arrive in order and are taken.
            appendOk(log, TestBatches.idempotent(4, (short) 0, 0, 3));
            assertThat(appendOk(log, TestBatches.idempotent(4, (short) 0, 3, 2)).baseOffset()).isEqualTo(3);
            // Once the partition has held records, an unknown producer starts anywhere (KIP-360), even if they are gone.
            log.deleteRecordsBefore(5).get();
            assertThat(log.logStartOffset()).isEqualTo(5);
            assertThat(appendOk(log, TestBatches.idempotent(6, (short) 0, 41, 1)).baseOffset()).isEqualTo(5);
        }
    }

    @Test
    void aProducerRefusedBeforeThisReplicaLedMustStartAtSequenceZeroIfStillUnknown() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "refused", Map.of());
            appendOk(log, TestBatches.idempotent(1, (short) 0, 0, 2)); // another producer's records: not a fresh log
            // Producer 11's first request was refused NOT_LEADER_OR_FOLLOWER; its next, pipelined, arrives once leading.
            log.refusedBeforeLeading(TestBatches.idempotent(11, (short) 0, 0, 3));
            AppendResult second = append(log, TestBatches.idempotent(11, (short) 0, 3, 2));
            assertThat(second.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            assertThat(second.message()).contains("refused moments ago");
            // Retried in order, both are taken.
            assertThat(appendOk(log, TestBatches.idempotent(11, (short) 0, 0, 3)).baseOffset()).isEqualTo(2);
            assertThat(appendOk(log, TestBatches.idempotent(11, (short) 0, 3, 2)).baseOffset()).isEqualTo(5);
            // A producer that was never refused keeps KIP-360's rule on a partition that holds records.
            assertThat(appendOk(log, TestBatches.idempotent(12, (short) 0, 40, 1)).baseOffset()).isEqualTo(7);
        }
    }

    @Test
    void sequenceWrapsAroundIntMax() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "wrap", Map.of());
            appendOk(log, TestBatches.idempotent(1, (short) 0, 0, 1)); // the partition has held a record
            appendOk(log, TestBatches.idempotent(9, (short) 0, Integer.MAX_VALUE - 1, 2));
            appendOk(log, TestBatches.idempotent(9, (short) 0, 0, 1));
            assertThat(log.logEndOffset()).isEqualTo(4);
        }
    }

    @Test
    void onlyTheLastFiveBatchesAreRecognisedAsDuplicates() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "five", Map.of());
            for (int seq = 0; seq < 7; seq++) {
                appendOk(log, TestBatches.idempotent(5, (short) 0, seq, 1));
            }
            assertThat(appendOk(log, TestBatches.idempotent(5, (short) 0, 2, 1)).baseOffset()).isEqualTo(2);
            assertThat(append(log, TestBatches.idempotent(5, (short) 0, 1, 1)).error())
                    .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
        }
    }

    @Test
    void producerStateSurvivesACleanRestart() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "restart", Map.of("segment.bytes", "300"));
            for (int seq = 0; seq < 10; seq++) {
                appendOk(log, TestBatches.idempotent(11, (short) 1, seq * 2, 2));
            }
            assertThat(log.segmentCount()).isGreaterThan(1);
        }
        try (LogManager manager = start(dir)) {
            Log log = manager.log("restart", 0).orElseThrow();
            assertThat(log.logEndOffset()).isEqualTo(20);
            AppendResult retry = appendOk(log, TestBatches.idempotent(11, (short) 1, 18, 2));
            assertThat(retry.baseOffset()).isEqualTo(18);
            assertThat(retry.recordCount()).isZero();
            assertThat(append(log, TestBatches.idempotent(11, (short) 1, 30, 1)).error())
                    .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            assertThat(appendOk(log, TestBatches.idempotent(11, (short) 1, 20, 1)).baseOffset()).isEqualTo(20);
        }
    }

    @Test
    void producerStateSurvivesACrash() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "crash", Map.of("segment.bytes", "300"));
        for (int seq = 0; seq < 10; seq++) {
            appendOk(log, TestBatches.idempotent(12, (short) 0, seq, 1));
        }
        // A restart wrote a snapshot at close; appends after it must be replayed from the log after the crash.
        crashed.close();
        crashed = start(dir);
        log = crashed.log("crash", 0).orElseThrow();
        for (int seq = 10; seq < 15; seq++) {
            appendOk(log, TestBatches.idempotent(12, (short) 0, seq, 1));
        }
        appendOk(log, TestBatches.idempotent(13, (short) 0, 0, 1));
        crashed.halt();

        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("crash", 0).orElseThrow();
            assertThat(recovered.logEndOffset()).isEqualTo(16);
            assertThat(appendOk(recovered, TestBatches.idempotent(12, (short) 0, 14, 1)).baseOffset()).isEqualTo(14);
            assertThat(appendOk(recovered, TestBatches.idempotent(13, (short) 0, 0, 1)).baseOffset()).isEqualTo(15);
            assertThat(append(recovered, TestBatches.idempotent(12, (short) 0, 16, 1)).error())
                    .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
            assertThat(appendOk(recovered, TestBatches.idempotent(12, (short) 0, 15, 1)).baseOffset()).isEqualTo(16);
        }
    }

    @Test
    void producerStateIsRebuiltFromTheLogWithoutAnySnapshot() throws Exception {
        LogManager crashed = start(dir);
        Log log = createLog(crashed, "nosnap", Map.of());
        for (int seq = 0; seq < 3; seq++) {
            appendOk(log, TestBatches.idempotent(21, (short) 2, seq, 1));
        }
        crashed.halt();
        try (var files = java.nio.file.Files.list(log.dir())) {
            assertThat(files.filter(p -> p.toString().endsWith(".snapshot"))).isEmpty();
        }
        try (LogManager manager = start(dir)) {
            Log recovered = manager.log("nosnap", 0).orElseThrow();
            assertThat(appendOk(recovered, TestBatches.idempotent(21, (short) 2, 1, 1)).baseOffset()).isEqualTo(1);
            assertThat(append(recovered, TestBatches.idempotent(21, (short) 1, 3, 1)).error())
                    .isEqualTo(LogError.INVALID_PRODUCER_EPOCH);
        }
    }
}
