package io.chronik.bench;

import org.HdrHistogram.Histogram;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Progress lines while running, and the final summary as text and as a flat JSON object. */
final class Reporter {
    /** One side of the run as the progress line shows it: "outstanding" is unacknowledged sends or consumer lag. */
    record Side(String name, LatencyStats stats, long outstanding, String outstandingLabel) {
    }

    record Summary(String side, long messages, long bytes, double seconds, double messagesPerSecond,
                   double megabytesPerSecond, double p50, double p90, double p99, double p999, double max, long errors) {
    }

    private final PrintStream out;
    private final Map<String, long[]> last = new HashMap<>();
    private double lastSeconds;

    Reporter(PrintStream out) {
        this.out = out;
    }

    void progress(double elapsedSeconds, boolean warmup, List<Side> sides) {
        double dt = Math.max(0.001, elapsedSeconds - lastSeconds);
        lastSeconds = elapsedSeconds;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%6.1fs]%s", elapsedSeconds, warmup ? " warmup" : ""));
        String separator = " ";
        for (Side side : sides) {
            LatencyStats s = side.stats();
            long ok = s.progress() - s.errors();
            long bytes = s.progressBytes();
            long[] before = last.getOrDefault(side.name(), new long[2]);
            last.put(side.name(), new long[]{ok, bytes});
            s.roll();
            line.append(String.format(Locale.ROOT, "%s%s %,.0f msg/s %.1f MB/s p99 %.2f ms errors %d %s %d",
                    separator, side.name(), (ok - before[0]) / dt, (bytes - before[1]) / dt / 1e6,
                    s.percentileMillis(99), s.errors(), side.outstandingLabel(), side.outstanding()));
            separator = " | ";
        }
        out.println(line);
    }

    /** The measured totals of one side; {@code seconds} is the measured wall time. */
    Summary summary(String side, LatencyStats stats, double seconds) {
        stats.roll();
        Histogram h = stats.total();
        double s = Math.max(seconds, 0.001);
        Summary summary = new Summary(side, h.getTotalCount(), stats.bytes(), seconds, h.getTotalCount() / s,
                stats.bytes() / s / 1e6, LatencyStats.millis(h, 50), LatencyStats.millis(h, 90), LatencyStats.millis(h, 99),
                LatencyStats.millis(h, 99.9), h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0, stats.errors());
        out.printf(Locale.ROOT, "%s: %,d messages, %,d bytes in %.1fs, %,.0f msg/s, %.2f MB/s, "
                        + "latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f, errors %d%n",
                side, summary.messages, summary.bytes, seconds, summary.messagesPerSecond, summary.megabytesPerSecond,
                summary.p50, summary.p90, summary.p99, summary.p999, summary.max, summary.errors);
        if (stats.firstError() != null) {
            out.println(side + ": first error: " + stats.firstError());
        }
        return summary;
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A small flat JSON object: run settings, outcome, then side_field for each side. */
    static String json(BenchOptions options, List<Summary> summaries, boolean stalled, int exitCode) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", options.mode.label());
        json.put("bootstrapServers", options.bootstrapServers);
        json.put("topic", options.topic);
        json.put("concurrency", options.concurrency);
        json.put("messageSize", options.messageSize);
        json.put("acks", options.acks);
        json.put("compression", options.compression);
        json.put("durationSeconds", number(options.duration.toMillis() / 1000.0));
        json.put("warmupSeconds", number(options.warmup.toMillis() / 1000.0));
        json.put("stall", stalled);
        json.put("exitCode", exitCode);
        for (Summary s : summaries) {
            String p = s.side() + "_";
            json.put(p + "messages", s.messages());
            json.put(p + "bytes", s.bytes());
            json.put(p + "seconds", number(s.seconds()));
            json.put(p + "msgPerSec", number(s.messagesPerSecond()));
            json.put(p + "mbPerSec", number(s.megabytesPerSecond()));
            json.put(p + "p50Ms", number(s.p50()));
            json.put(p + "p90Ms", number(s.p90()));
            json.put(p + "p99Ms", number(s.p99()));
            json.put(p + "p999Ms", number(s.p999()));
            json.put(p + "maxMs", number(s.max()));
            json.put(p + "errors", s.errors());
        }
        return JSON.writeValueAsString(json) + "\n";
    }

    static void writeJson(Path file, String json) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, json);
    }

    /** Three decimals are plenty for rates and milliseconds; no figure (NaN) is null. */
    private static Double number(double value) {
        return Double.isFinite(value) ? Math.round(value * 1000.0) / 1000.0 : null;
    }
}
