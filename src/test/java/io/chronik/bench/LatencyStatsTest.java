package io.chronik.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LatencyStatsTest {
    @Test
    void everySampleFromManyThreadsIsCounted() throws Exception {
        LatencyStats stats = new LatencyStats();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 1; i <= 50_000; i++) {
                    stats.record(i % 1000, 10);
                }
            });
            threads.add(thread);
            thread.start();
        }
        // Roll concurrently with the writers, as the reporter does.
        for (int i = 0; i < 20; i++) {
            stats.roll();
            Thread.sleep(1);
        }
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        stats.roll();
        assertThat(stats.total().getTotalCount()).isEqualTo(400_000);
        assertThat(stats.progress()).isEqualTo(400_000);
        assertThat(stats.bytes()).isEqualTo(4_000_000);
    }

    @Test
    void warmupSamplesAreDroppedButProgressAndErrorsAreKept() {
        LatencyStats stats = new LatencyStats();
        stats.record(5_000_000, 100);
        stats.error(new IllegalStateException("boom"));
        stats.startMeasuring();
        stats.record(2_000, 100);
        stats.roll();
        assertThat(stats.total().getTotalCount()).isEqualTo(1);
        assertThat(stats.percentileMillis(99)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(stats.bytes()).isEqualTo(100);
        assertThat(stats.progress()).isEqualTo(3);
        assertThat(stats.errors()).isEqualTo(1);
        assertThat(stats.firstError()).contains("boom");
    }

    @Test
    void payloadStampIsReadBackOnlyFromThisProcess() {
        byte[] payload = new byte[32];
        PayloadStamp.write(payload, 987_654_321L);
        assertThat(PayloadStamp.read(payload)).isEqualTo(987_654_321L);
        assertThat(PayloadStamp.read(new byte[32])).isEqualTo(PayloadStamp.NONE);
        assertThat(PayloadStamp.read(new byte[8])).isEqualTo(PayloadStamp.NONE);
        byte[] tiny = new byte[8];
        PayloadStamp.write(tiny, 1);
        assertThat(tiny).containsOnly(0);
    }

    @Test
    void jsonIsOneFlatObject() {
        ChronikBench bench = new ChronikBench();
        new picocli.CommandLine(bench).parseArgs("-t", "we\"ird", "-m", "round-trip");
        BenchOptions options = bench.options;
        String json = Reporter.json(options, List.of(
                new Reporter.Summary("produce", 10, 2560, 1.0, 10, 0.00256, 1, 2, 3, 4, 5, 0),
                new Reporter.Summary("consume", 9, 2304, 1.0, 9, 0.002304, 1, 2, 3, 4, 5, 0)), false, 0);
        java.util.Map<String, Object> parsed = tools.jackson.databind.json.JsonMapper.builder().build()
                .readValue(json, new tools.jackson.core.type.TypeReference<java.util.Map<String, Object>>() { });
        assertThat(parsed.values()).as("flat").noneMatch(v -> v instanceof java.util.Map || v instanceof List);
        assertThat(parsed).containsEntry("mode", "round-trip").containsEntry("topic", "we\"ird").containsEntry("stall", false)
                .containsEntry("exitCode", 0).containsEntry("produce_messages", 10).containsEntry("consume_messages", 9)
                .containsEntry("produce_p999Ms", 4.0).containsEntry("consume_errors", 0).containsEntry("consume_mbPerSec", 0.002);
    }
}
