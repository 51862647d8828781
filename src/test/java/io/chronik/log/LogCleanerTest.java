package io.chronik.log;

import io.chronik.log.KeyedRecords.Rec;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.chronik.log.KeyedRecords.batch;
import static io.chronik.log.KeyedRecords.read;
import static org.assertj.core.api.Assertions.assertThat;

/** The log cleaner on real partition logs, driven one round at a time with a chosen clock. */
@Timeout(60)
class LogCleanerTest extends ManualCleanerSupport {

    /** No cleaner threads: each test runs rounds itself with {@link LogCleaner#cleanOnce}. */
    private LogManager startManual() throws IOException {
        return startManual(0);
    }

    private static Map<String, String> compact(String... more) {
        Map<String, String> cfg = new HashMap<>(Map.of("cleanup.policy", "compact", "segment.bytes", "600",
                "min.cleanable.dirty.ratio", "0.01"));
        for (int i = 0; i < more.length; i += 2) {
            cfg.put(more[i], more[i + 1]);
        }
        return cfg;
    }

    @Test
    void keepsTheLatestRecordPerKeyAtItsOffsetAndLeavesTheActiveSegmentAlone() throws Exception {
        startManual();
        Log log = createLog(manager, "c", compact());
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 120; i++) {
            appendOk(log, batch(ts + i, "k" + (i % 7), "v" + i));
        }
        List<Rec> before = read(log);
        long activeBase = log.segmentsSnapshot().get(log.segmentCount() - 1).baseOffset();
        int segmentsBefore = log.segmentCount();
        assertThat(segmentsBefore).isGreaterThan(5);

        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();

        List<Rec> after = read(log);
        // Below the active segment: the last record of each key there, at its original offset and timestamp.
        Map<String, Rec> lastBelowActive = new HashMap<>();
        before.stream().filter(r -> r.offset() < activeBase).forEach(r -> lastBelowActive.put(r.key(), r));
        List<Rec> expected = new ArrayList<>(lastBelowActive.values());
        expected.addAll(before.stream().filter(r -> r.offset() >= activeBase).toList());
        expected.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        assertThat(after).containsExactlyElementsOf(expected);
        assertThat(KeyedRecords.latest(after)).isEqualTo(KeyedRecords.latest(before));
        assertThat(log.logEndOffset()).isEqualTo(120);
        assertThat(manager.cleaner().manager().checkpoint(log)).isEqualTo(activeBase);
        // A second round finds nothing new to do; appends go on at the log end.
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isFalse();
        assertThat(appendOk(log, batch(ts, "k0", "new")).baseOffset()).isEqualTo(120);
    }

    @Test
    void aSmallDedupeBufferCleansALargeDirtyPartInSeveralRounds() throws Exception {
        StorageConfig cfg = new StorageConfig(dir, SMALL, false, 1, 1000, 3_600_000, 0,
                StorageConfig.DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                new LogCleanerConfig(0, Double.MAX_VALUE, OffsetMap.BYTES_PER_SLOT * 101, 15_000));
        manager = new LogManager(cfg, LogMetrics.NOOP, CleanerHook.NONE);
        manager.startup();
        Log log = createLog(manager, "bounded", compact("segment.bytes", "3000"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < 300; k++) {
                appendOk(log, batch(ts, "k" + k, "v" + round));
            }
        }
        appendOk(log, batch(ts, "end", "end"));
        long activeBase = log.segmentsSnapshot().get(log.segmentCount() - 1).baseOffset();
        // 101 slots hold at most 90 keys: the first round stops where the map is full.
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        assertThat(manager.cleaner().manager().checkpoint(log)).isLessThan(activeBase).isLessThan(150);
        int rounds = 1;
        while (manager.cleaner().cleanOnce(System.currentTimeMillis())) {
            assertThat(++rounds).isLessThan(50);
        }
        assertThat(rounds).isGreaterThan(5);
        List<Rec> after = read(log);
        assertThat(after.stream().filter(r -> r.offset() < activeBase).map(Rec::key)).doesNotHaveDuplicates();
        Map<String, String> latest = KeyedRecords.latest(after);
        for (int k = 0; k < 300; k++) {
            assertThat(latest).containsEntry("k" + k, "v1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"600000", "0"})
    void appendsAndReadsGoOnWhileTheCleanerReplacesSegments(String fileDeleteDelayMs) throws Exception {
        // Replaced files stay for file.delete.delay (renamed .deleted), and reads hold their channels; with no delay
        // a read that finds its segment closed looks its offset up again.
        StorageConfig cfg = new StorageConfig(dir, SMALL, false, 1, 1000, 3_600_000, 600_000,
                StorageConfig.DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                new LogCleanerConfig(0, Double.MAX_VALUE, 4 << 20, 15_000));
        manager = new LogManager(cfg, LogMetrics.NOOP, CleanerHook.NONE);
        manager.startup();
        Log log = createLog(manager, "busy", compact("segment.bytes", "1200", "file.delete.delay.ms", fileDeleteDelayMs));
        long ts = System.currentTimeMillis() - HOUR;
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger passes = new AtomicInteger();
        // Values carry a global sequence: in offset order it must only grow, whatever was cleaned away.
        Thread reader = new Thread(() -> {
            try {
                while (!done.get()) {
                    long lastSeq = -1;
                    long lastOffset = -1;
                    for (Rec r : read(log)) {
                        long seq = Long.parseLong(r.value().substring(r.value().indexOf(':') + 1));
                        assertThat(r.offset()).isGreaterThan(lastOffset);
                        assertThat(seq).isGreaterThan(lastSeq);
                        assertThat(r.value()).startsWith(r.key() + ":");
                        lastOffset = r.offset();
                        lastSeq = seq;
                    }
                    passes.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "reader");
        reader.start();
        int seq = 0;
        for (int round = 0; round < 15; round++) {
            for (int i = 0; i < 60; i++, seq++) {
                appendOk(log, batch(ts, "k" + (seq % 9), "k" + (seq % 9) + ":" + seq));
            }
            manager.cleaner().cleanOnce(System.currentTimeMillis());
        }
        done.set(true);
        reader.join(30_000);
        assertThat(failure.get()).isNull();
        assertThat(passes.get()).isPositive();
        Map<String, String> latest = KeyedRecords.latest(read(log));
        for (int k = 0; k < 9; k++) {
            int last = seq - 1 - Math.floorMod(seq - 1 - k, 9);
            assertThat(latest).containsEntry("k" + k, "k" + k + ":" + last);
        }
    }

    @Test
    void tombstonesSurviveDeleteRetentionMsAfterTheirFirstCleaningAndGoAfterwards() throws Exception {
        startManual();
        Log log = createLog(manager, "t", compact("delete.retention.ms", "60000"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 30; i++) {
            appendOk(log, batch(ts, "a" + (i % 3), "v" + i, "b" + (i % 3), "w" + i));
        }
        appendOk(log, batch(ts, "a0", null, "a1", null)); // delete a0 and a1
        for (int i = 0; i < 30; i++) {
            appendOk(log, batch(ts, "z", "filler" + i)); // pushes the tombstones out of the active segment
        }
        long now = System.currentTimeMillis();
        assertThat(manager.cleaner().cleanOnce(now)).isTrue();
        Map<String, String> latest = KeyedRecords.latest(read(log));
        assertThat(latest).containsEntry("a0", null).containsEntry("a1", null).containsEntry("a2", "v29")
                .containsEntry("b0", "w27").containsEntry("z", "filler29");

        // Not yet: delete.retention.ms counts from the first cleaning.
        assertThat(manager.cleaner().cleanOnce(now + 30_000)).isFalse();
        assertThat(KeyedRecords.latest(read(log))).containsKey("a0");

        // Afterwards the tombstones are removed without any new dirty data.
        assertThat(manager.cleaner().cleanOnce(now + 60_001)).isTrue();
        List<Rec> after = read(log);
        assertThat(after).noneMatch(r -> r.key().equals("a0") || r.key().equals("a1"));
        assertThat(KeyedRecords.latest(after)).containsEntry("a2", "v29").containsEntry("b1", "w28")
                .containsEntry("z", "filler29");
        assertThat(manager.cleaner().cleanOnce(now + 120_000)).isFalse();
    }

    @Test
    void minCleanableDirtyRatioDecidesWhenALogIsCleaned() throws Exception {
        startManual();
        Log log = createLog(manager, "ratio", compact("min.cleanable.dirty.ratio", "0.6"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 40; i++) {
            appendOk(log, batch(ts, "k" + i, "v" + i)); // all distinct
        }
        appendOk(log, batch(ts, "x", "x")); // starts a new active segment eventually
        // Never cleaned: everything but the active segment is dirty (ratio 1).
        LogToClean state = LogToClean.of(log, null, Long.MAX_VALUE, System.currentTimeMillis());
        assertThat(state.cleanableRatio()).isEqualTo(1.0);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        long cleanedTo = manager.cleaner().manager().checkpoint(log);

        // A little new dirty data against a large clean part: below 0.6, not cleaned.
        for (int i = 0; i < 10; i++) {
            appendOk(log, batch(ts, "k" + i, "again" + i));
        }
        LogToClean low = LogToClean.of(log, cleanedTo, Long.MAX_VALUE, System.currentTimeMillis());
        assertThat(low.cleanableRatio()).isGreaterThan(0).isLessThan(0.6);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isFalse();
        // Lower the threshold: now it is.
        manager.alterConfigs("ratio", compact("min.cleanable.dirty.ratio", "0.1"), false);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        assertThat(KeyedRecords.latest(read(log))).containsEntry("k3", "again3").containsEntry("k30", "v30");
    }

    @Test
    void minCompactionLagKeepsYoungRecordsAndMaxCompactionLagForcesOldOnes() throws Exception {
        startManual();
        long now = System.currentTimeMillis();
        Log young = createLog(manager, "young", compact("min.compaction.lag.ms", Long.toString(HOUR)));
        for (int i = 0; i < 40; i++) {
            appendOk(young, batch(now, "k" + (i % 2), "v" + i));
        }
        assertThat(manager.cleaner().cleanOnce(now)).as("records younger than min.compaction.lag.ms").isFalse();
        assertThat(manager.cleaner().cleanOnce(now + 2 * HOUR)).isTrue();
        assertThat(read(young).stream().filter(r -> r.key().equals("k0")).count()).isLessThan(20);

        // A ratio that is never reached, but a record older than max.compaction.lag.ms forces a cleaning.
        Log old = createLog(manager, "old", compact("min.cleanable.dirty.ratio", "1.0",
                "max.compaction.lag.ms", "60000"));
        for (int i = 0; i < 40; i++) {
            appendOk(old, batch(now - HOUR, "k" + (i % 2), "v" + i));
        }
        int before = read(old).size();
        assertThat(manager.cleaner().cleanOnce(now)).isTrue();
        assertThat(read(old).size()).isLessThan(before);
    }

    @Test
    void smallSegmentsAreGroupedUpToSegmentBytes() throws Exception {
        startManual();
        Log log = createLog(manager, "g", compact("segment.bytes", "2000"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 200; i++) {
            appendOk(log, batch(ts, "k" + (i % 10), "value-" + i));
        }
        int before = log.segmentCount();
        assertThat(before).isGreaterThan(5);
        // Groups are formed by the size of the segments read (as in Kafka): full segments are cleaned one by one...
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        assertThat(log.segmentCount()).isEqualTo(before);
        long firstRoundEnd = manager.cleaner().manager().checkpoint(log);
        // ...and the next round joins the small cleaned segments into one.
        for (int i = 200; i < 230; i++) {
            appendOk(log, batch(ts, "k" + (i % 10), "value-" + i));
        }
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        assertThat(log.segmentsSnapshot().get(0).baseOffset()).isZero();
        assertThat(log.segmentsSnapshot().get(1).baseOffset()).isGreaterThanOrEqualTo(firstRoundEnd);
        assertThat(log.segmentCount()).isLessThan(before);
        assertThat(log.segmentsSnapshot()).allMatch(s -> s.size() <= 2000);
        try (Stream<Path> files = Files.list(log.dir())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".cleaned") || n.endsWith(".swap"));
        }
    }

    @Test
    void groupsAlsoFitOneIndexOfSegmentIndexBytes() throws Exception {
        startManual();
        // An index entry for every batch, and indexes of 120 bytes (15 offset or 10 time entries): segments roll
        // when an index is full, long before segment.bytes.
        Log log = createLog(manager, "ix", compact("segment.bytes", "1000000", "index.interval.bytes", "0",
                "segment.index.bytes", "120"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 100; i++) {
            appendOk(log, batch(ts + i, "k" + (i % 10), "value-" + i));
        }
        List<LogSegment> segments = log.segmentsSnapshot();
        int inactive = segments.size() - 1;
        assertThat(inactive).isGreaterThan(3);
        assertThat(Cleaner.groupBySize(segments, inactive, 1_000_000, Integer.MAX_VALUE)).as("by bytes alone").hasSize(1);
        List<List<LogSegment>> groups = Cleaner.groupBySize(segments, inactive, 1_000_000, 120);
        assertThat(groups).hasSizeGreaterThan(1);
        for (List<LogSegment> group : groups) {
            assertThat(group.stream().mapToLong(s -> s.offsetIndex().entries() * (long) OffsetIndex.ENTRY_SIZE).sum())
                    .isLessThanOrEqualTo(120);
            assertThat(group.stream().mapToLong(s -> s.timeIndex().entries() * (long) TimeIndex.ENTRY_SIZE).sum())
                    .isLessThanOrEqualTo(120);
        }
        List<Rec> before = read(log);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        assertThat(KeyedRecords.latest(read(log))).isEqualTo(KeyedRecords.latest(before));
        for (LogSegment s : log.segmentsSnapshot()) {
            assertThat(s.offsetIndex().entries() * OffsetIndex.ENTRY_SIZE).isLessThanOrEqualTo(120);
            assertThat(s.timeIndex().entries() * TimeIndex.ENTRY_SIZE).isLessThanOrEqualTo(120);
        }
    }

    @Test
    void compressedBatchesAreRewrittenWithTheirOwnCodec() throws Exception {
        startManual();
        Log log = createLog(manager, "z", compact("segment.bytes", "1500"));
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 40; i++) {
            Compression codec = i % 2 == 0 ? Compression.gzip().build() : Compression.zstd().build();
            appendOk(log, batch(codec, ts + i, "a", "a" + i, "b" + i, "b" + i, "c", "c" + i));
        }
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        List<MutableRecordBatch> batches = KeyedRecords.batches(log);
        assertThat(batches).allMatch(b -> b.compressionType() == CompressionType.GZIP
                || b.compressionType() == CompressionType.ZSTD);
        // Each batch keeps its codec: gzip ones were even (base offsets 0, 6, 12, ...).
        for (MutableRecordBatch b : batches) {
            assertThat(b.compressionType()).isEqualTo(b.baseOffset() / 3 % 2 == 0 ? CompressionType.GZIP
                    : CompressionType.ZSTD);
            assertThat(b.lastOffset() - b.baseOffset()).as("last offset kept").isEqualTo(2);
        }
        Map<String, String> latest = KeyedRecords.latest(read(log));
        assertThat(latest).containsEntry("a", "a39").containsEntry("c", "c39").containsEntry("b0", "b0");
    }

    @Test
    void theLastBatchOfAnIdempotentProducerIsKeptSoItsSequenceSurvivesARestart() throws Exception {
        startManual();
        Log log = createLog(manager, "idem", compact());
        long ts = System.currentTimeMillis() - HOUR;
        appendOk(log, KeyedRecords.idempotent(7, (short) 0, 0, ts, "p", "1", "p", "2"));
        appendOk(log, KeyedRecords.idempotent(7, (short) 0, 2, ts, "p", "3", "p", "4", "p", "5"));
        for (int i = 0; i < 40; i++) {
            appendOk(log, batch(ts, "p", "plain" + i)); // supersedes every record of producer 7
        }
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        List<MutableRecordBatch> batches = KeyedRecords.batches(log);
        MutableRecordBatch kept = batches.stream().filter(b -> b.producerId() == 7).findFirst().orElseThrow();
        assertThat(batches.stream().filter(b -> b.producerId() == 7)).hasSize(1);
        assertThat(kept.baseOffset()).isEqualTo(2);
        assertThat(kept.lastOffset()).isEqualTo(4);
        assertThat(kept.baseSequence()).isEqualTo(2);
        assertThat(kept.lastSequence()).isEqualTo(4);
        assertThat(kept.countOrNull()).isZero();
        assertThat(read(log)).noneMatch(r -> r.value().equals("5"));

        // Rebuilt from the log alone (no snapshots), the producer's state still ends at sequence 4.
        manager.close();
        try (Stream<Path> files = Files.list(dir.resolve("idem-0"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".snapshot")).toList()) {
                Files.delete(p);
            }
        }
        startManual();
        Log reopened = manager.log("idem", 0).orElseThrow();
        ProducerStateManager.ProducerEntry entry = reopened.producerState().entry(7);
        assertThat(entry.batches().get(entry.batches().size() - 1).lastSeq()).isEqualTo(4);
        // A retry of that batch is answered as a duplicate; the next sequence is accepted.
        AppendResult retry = appendOk(reopened, KeyedRecords.idempotent(7, (short) 0, 2, ts, "p", "3", "p", "4", "p", "5"));
        assertThat(retry.baseOffset()).isEqualTo(2);
        assertThat(appendOk(reopened, KeyedRecords.idempotent(7, (short) 0, 5, ts, "p", "6")).baseOffset()).isEqualTo(45);
        AppendResult gap = append(reopened, KeyedRecords.idempotent(7, (short) 0, 9, ts, "p", "7"));
        assertThat(gap.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
    }

    @Test
    void compactedTopicsRefuseRecordsWithoutKey() throws Exception {
        startManual();
        Log compacted = createLog(manager, "keys", compact());
        AppendResult refused = append(compacted, batch(System.currentTimeMillis(), "k", "v", null, "no key"));
        assertThat(refused.error()).isEqualTo(LogError.INVALID_RECORD);
        assertThat(refused.message()).isEqualTo("Compacted topic cannot accept message without key in topic partition keys-0.");
        assertThat(compacted.logEndOffset()).isZero();
        Log plain = createLog(manager, "plain", Map.of());
        appendOk(plain, batch(System.currentTimeMillis(), null, "no key"));
        appendOk(compacted, batch(Compression.gzip().build(), System.currentTimeMillis(), "k", "v"));
        assertThat(append(compacted, batch(Compression.gzip().build(), System.currentTimeMillis(), "k", "v", null, "x"))
                .error()).isEqualTo(LogError.INVALID_RECORD);
    }

    @Test
    void retentionDeletesOnlyWhenThePolicyIncludesDelete() throws Exception {
        startManual();
        long old = System.currentTimeMillis() - 48 * HOUR;
        Log compactOnly = createLog(manager, "kept", compact("retention.ms", "1000", "retention.bytes", "10"));
        Log both = createLog(manager, "both", compact("cleanup.policy", "compact,delete", "retention.ms", "1000"));
        for (int i = 0; i < 20; i++) {
            appendOk(compactOnly, batch(old, "k" + i, "v"));
            appendOk(both, batch(old, "k" + i, "v"));
        }
        await(compactOnly.scheduleRetention());
        await(both.scheduleRetention());
        assertThat(compactOnly.logStartOffset()).isZero();
        assertThat(read(compactOnly)).hasSize(20);
        assertThat(both.logStartOffset()).isEqualTo(20);
        assertThat(both.sizeInBytes()).isZero();
    }

    @Test
    void theCheckpointSurvivesARestartAndADeletedTopicLeavesIt() throws Exception {
        startManual();
        Log log = createLog(manager, "cp", compact());
        long ts = System.currentTimeMillis() - HOUR;
        for (int i = 0; i < 60; i++) {
            appendOk(log, batch(ts, "k" + (i % 4), "v" + i));
        }
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isTrue();
        long end = manager.cleaner().manager().checkpoint(log);
        assertThat(end).isPositive();
        manager.close();
        assertThat(Files.readString(dir.resolve(CleanerCheckpoint.FILE))).isEqualTo("0\n1\ncp 0 " + end + "\n");

        startManual();
        Log reopened = manager.log("cp", 0).orElseThrow();
        assertThat(manager.cleaner().manager().checkpoint(reopened)).isEqualTo(end);
        assertThat(manager.cleaner().cleanOnce(System.currentTimeMillis())).isFalse();
        manager.deleteTopic("cp");
        assertThat(Files.readString(dir.resolve(CleanerCheckpoint.FILE))).isEqualTo("0\n0\n");
    }
}
