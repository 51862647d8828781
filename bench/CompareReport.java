import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.io.FileReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * Writes BENCHMARKS.md and the chart from the two result files bench/compare produced. Run with the Java source
 * launcher: java -cp 'bench/target/lib/*' bench/CompareReport.java kafka.properties chronik.properties out.md out.png version args
 */
public class CompareReport {
    public static void main(String[] args) throws IOException {
        Properties kafka = load(args[0]);
        Properties chronik = load(args[1]);
        Path markdown = Path.of(args[2]);
        Path chart = Path.of(args[3]);
        String kafkaVersion = args[4];
        String knobs = args[5];

        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Chronik against Apache Kafka, measured in one run of `bench/compare` on the same machine, one broker after the other, ")
          .append("with the same client (Kafka's own `ProducerPerformance` and `ConsumerPerformance`). Ratios are Chronik / Kafka; ")
          .append("for latency, CPU and memory lower is better. Absolute figures depend on the machine: compare ratios only.\n\n");
        md.append("- Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
          .append(memoryGiB()).append(" GiB memory, ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch"))
          .append(", Java ").append(System.getProperty("java.version")).append("\n");
        md.append("- Apache Kafka ").append(kafkaVersion).append(" (KRaft, single node, default broker settings, 1 GiB heap as its start script sets); ")
          .append("Chronik from this repository (1 GiB heap, defaults)\n");
        md.append("- Workload knobs: `").append(knobs).append("`; 256-byte records, 6 partitions\n");
        md.append("- Commands: `ProducerPerformance --topic T --num-records N --record-size 256 --throughput -1 --producer-props acks=1|all`, ")
          .append("`ConsumerPerformance --topic T --num-records N` (it reports the rate while fetching and for the whole run, which includes ")
          .append("joining its group: both brokers delay a new group's first rebalance by 3 s by default), and the latency run with `--throughput R`, R = half of Kafka's acks=1 maximum. ")
          .append("Broker CPU is user+system time from `/proc/<pid>/stat` during the acks=1 runs and during the consume runs; peak RSS is `VmHWM` from `/proc/<pid>/status`.\n\n");

        md.append("| figure | Kafka | Chronik | ratio | target |\n|---|---:|---:|---:|---|\n");
        row(md, "produce acks=1, records/s", kafka, chronik, "produce_acks1_rps", ">= 1.5");
        row(md, "produce acks=1, p99 ms", kafka, chronik, "produce_acks1_p99", "");
        row(md, "produce acks=all, records/s (Chronik fsyncs before acking, Kafka does not)", kafka, chronik, "produce_acksall_rps", ">= 1.0");
        row(md, "consume, records/s while fetching (after the group join)", kafka, chronik, "consume_fetch_rps", ">= 1.2");
        row(md, "consume, records/s for the whole run (group join included)", kafka, chronik, "consume_rps", "");
        row(md, "broker CPU seconds per million records consumed", kafka, chronik, "consume_cpu_seconds_per_million", "");
        row(md, "latency at fixed rate: p50 ms", kafka, chronik, "latency_p50", "");
        row(md, "latency at fixed rate: p99 ms", kafka, chronik, "latency_p99", "<= 0.5");
        row(md, "latency at fixed rate: p99.9 ms", kafka, chronik, "latency_p999", "");
        row(md, "broker CPU seconds per million records (acks=1)", kafka, chronik, "cpu_seconds_per_million", "<= 0.6");
        row(md, "peak broker RSS, MB", kafka, chronik, "peak_rss_mb", "");
        md.append("\nFixed rate for the latency run: ").append(kafka.getProperty("latency_rate", "n/a")).append(" records/s.\n\n");
        md.append("Each figure is the median of ").append(kafka.getProperty("repeats", "several")).append(" runs; every run:\n\n");
        md.append("| figure | Kafka runs | Chronik runs |\n|---|---|---|\n");
        for (String key : List.of("produce_acks1_rps", "produce_acksall_rps", "consume_fetch_rps", "consume_rps", "latency_p99",
                "cpu_seconds_per_million", "consume_cpu_seconds_per_million")) {
            md.append("| ").append(key).append(" | ").append(runs(kafka, key)).append(" | ").append(runs(chronik, key)).append(" |\n");
        }
        md.append('\n');
        md.append("![throughput and p99](bench/chart.png)\n");
        Files.writeString(markdown, md.toString() + notes(markdown));

        CategoryChart c = new CategoryChartBuilder().width(900).height(450).title("Chronik vs Apache Kafka (same machine, same run)")
                .xAxisTitle("").yAxisTitle("Chronik / Kafka").build();
        List<String> labels = List.of("acks=1 rec/s", "acks=all rec/s", "consume rec/s", "p99 @ fixed rate", "CPU / M records");
        List<String> keys = List.of("produce_acks1_rps", "produce_acksall_rps", "consume_fetch_rps", "latency_p99", "cpu_seconds_per_million");
        List<Double> ratios = keys.stream().map(k -> ratio(kafka, chronik, k)).map(r -> Double.isNaN(r) ? 0.0 : r).toList();
        c.addSeries("Chronik / Kafka", labels, ratios);
        c.addSeries("Kafka = 1", labels, labels.stream().map(l -> 1.0).toList());
        BitmapEncoder.saveBitmap(c, chart.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Keeps any hand-written analysis below the generated part (after a line "## Notes"). */
    private static String notes(Path markdown) throws IOException {
        if (!Files.exists(markdown)) {
            return "";
        }
        String old = Files.readString(markdown);
        int at = old.indexOf("\n## Notes");
        return at < 0 ? "" : old.substring(at);
    }

    private static void row(StringBuilder md, String label, Properties kafka, Properties chronik, String key, String target) {
        double r = ratio(kafka, chronik, key);
        md.append("| ").append(label).append(" | ").append(format(kafka.getProperty(key))).append(" | ")
          .append(format(chronik.getProperty(key))).append(" | ").append(Double.isNaN(r) ? "n/a" : String.format("%.2fx", r))
          .append(" | ").append(target).append(" |\n");
    }

    private static String runs(Properties p, String key) {
        String all = p.getProperty(key + "_runs", "");
        StringBuilder out = new StringBuilder();
        for (String v : all.trim().split("\\s+")) {
            if (!v.isEmpty()) {
                out.append(out.length() == 0 ? "" : ", ").append(format(v));
            }
        }
        return out.length() == 0 ? "n/a" : out.toString();
    }

    private static String format(String value) {
        try {
            double v = Double.parseDouble(value);
            return v >= 100 ? String.format("%,.0f", v) : String.format("%.2f", v);
        } catch (RuntimeException e) {
            return "n/a";
        }
    }

    private static double ratio(Properties kafka, Properties chronik, String key) {
        try {
            return Double.parseDouble(chronik.getProperty(key)) / Double.parseDouble(kafka.getProperty(key));
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private static long memoryGiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Math.round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0);
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return -1;
    }

    private static Properties load(String file) throws IOException {
        Properties p = new Properties();
        try (FileReader reader = new FileReader(file)) {
            p.load(reader);
        }
        return p;
    }
}
