package io.chronik.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** Progress lines while running and the final summary (text and JSON). */
final class Reporter {
    private final PrintStream out;
    private final BenchOptions options;
    private long lastProduced;
    private long lastConsumed;
    private double lastSeconds;

    Reporter(PrintStream out, BenchOptions options) {
        this.out = out;
        this.options = options;
    }

    void progress(double seconds, boolean measuring, LatencyStats produced, long outstanding, LatencyStats consumed, long lag) {
        double dt = Math.max(0.001, seconds - lastSeconds);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%6.1fs]%s", seconds, measuring ? "" : " warmup"));
        if (produced != null) {
            Histogram h = produced.rollInterval();
            long n = produced.messages();
            line.append(String.format(Locale.ROOT, " produce %,.0f msg/s %.1f MB/s p99 %.2f ms errors %d outstanding %d",
                    (n - lastProduced) / dt, (n - lastProduced) * (double) options.messageSize / dt / 1e6,
                    ChronikBench.millis(h, 99), produced.errors(), outstanding));
            lastProduced = n;
        }
        if (consumed != null) {
            Histogram h = consumed.rollInterval();
            long n = consumed.messages();
            line.append(String.format(Locale.ROOT, " | consume %,.0f msg/s p99 %.2f ms lag %d",
                    (n - lastConsumed) / dt, ChronikBench.millis(h, 99), lag));
            lastConsumed = n;
        }
        lastSeconds = seconds;
        out.println(line);
    }

    Summary summary(String side, LatencyStats stats, double seconds) {
        Histogram h = stats.total();
        Summary s = new Summary(stats.messages(), stats.bytes(), stats.messages() / seconds, stats.bytes() / seconds / 1e6,
                ChronikBench.millis(h, 50), ChronikBench.millis(h, 90), ChronikBench.millis(h, 99), ChronikBench.millis(h, 99.9),
                h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0, stats.errors());
        out.printf(Locale.ROOT, "%s: %,d messages, %,d bytes, %,.0f msg/s, %.2f MB/s, latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f, errors %d%n",
                side, s.messages, s.bytes, s.messagesPerSecond, s.megabytesPerSecond, s.p50, s.p90, s.p99, s.p999, s.max, s.errors);
        return s;
    }

    void writeJson(Path file, Map<String, Summary> summaries, boolean stalled) throws IOException {
        StringJoiner sides = new StringJoiner(",");
        summaries.forEach((side, s) -> sides.add(String.format(Locale.ROOT,
                "\"%s\":{\"messages\":%d,\"bytes\":%d,\"messagesPerSecond\":%.1f,\"megabytesPerSecond\":%.3f,"
                        + "\"latencyMs\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"errors\":%d}",
                side, s.messages, s.bytes, s.messagesPerSecond, s.megabytesPerSecond, s.p50, s.p90, s.p99, s.p999, s.max, s.errors)));
        String json = String.format(Locale.ROOT, "{\"mode\":\"%s\",\"topic\":\"%s\",\"concurrency\":%d,\"messageSize\":%d,"
                        + "\"durationSeconds\":%.1f,\"acks\":\"%s\",\"compression\":\"%s\",\"stall\":%b,%s}%n",
                options.mode.name().replace('_', '-'), options.topic.replace("\"", "\\\""), options.concurrency, options.messageSize,
                options.duration.toMillis() / 1000.0, options.acks, options.compression, stalled, sides);
        Files.writeString(file, json);
    }

    record Summary(long messages, long bytes, double messagesPerSecond, double megabytesPerSecond, double p50, double p90,
                   double p99, double p999, double max, long errors) {
    }
}
