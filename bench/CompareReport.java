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
 * launcher: java -cp 'bench/target/lib/*' bench/CompareReport.java kafka.properties chronik.properties out.md out.png version args [cluster]
 *
 * <p>Single-broker mode rewrites the top of BENCHMARKS.md (up to the cluster section or "## Notes"); cluster mode
 * (last argument "cluster") rewrites only the cluster section, between the single-broker part and "## Notes", its
 * failover table included; failover mode (last argument "failover", from {@code bench/compare --cluster --failover})
 * rewrites only that table, the end of the cluster section.
 */
public class CompareReport {
    private static final String CLUSTER_HEADING = "\n## Three brokers: Apache Kafka cluster against Chronik cluster";
    private static final String NOTES_HEADING = "\n## Notes";
    private static final String FAILOVER_HEADING = "\n### Failover: kill -9 of a partition leader under acks=all load";

    public static void main(String[] args) throws IOException {
        Properties kafka = load(args[0]);
        Properties chronik = load(args[1]);
        Path markdown = Path.of(args[2]);
        Path chart = Path.of(args[3]);
        String kafkaVersion = args[4];
        String knobs = args[5];
        if (args.length > 6 && args[6].equals("cluster")) {
            writeCluster(kafka, chronik, markdown, chart, kafkaVersion, knobs);
            return;
        }
        if (args.length > 6 && args[6].equals("failover")) {
            writeFailover(kafka, chronik, markdown, knobs);
            return;
        }

        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Chronik against Apache Kafka, measured in one run of `bench/compare` on the same machine, one broker after the other, ")
          .append("with the same client (Kafka's own `ProducerPerformance` and `ConsumerPerformance`). Ratios are Chronik / Kafka; ")
          .append("for latency, CPU and memory lower is better. Absolute figures depend on the machine: compare ratios only.\n\n");
        md.append(machine());
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
        chart(chart, "Chronik vs Apache Kafka (same machine, same run)", kafka, chronik);
    }

    /** The cluster section: three Kafka brokers against three Chronik brokers, replacing only that section. */
    private static void writeCluster(Properties kafka, Properties chronik, Path markdown, Path chart, String kafkaVersion,
                                     String knobs) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(CLUSTER_HEADING).append("\n\n");
        md.append("Measured in one run of `bench/compare --cluster` on the same machine, one cluster after the other: Apache Kafka ")
          .append(kafkaVersion).append(" as three KRaft processes, each a broker and a controller (its own node.id, all three in ")
          .append("controller.quorum.voters, default broker settings otherwise, 1 GiB heap each), then three Chronik brokers started as ")
          .append("`bench/cluster` starts them (1 GiB heap each, defaults). Every topic has 6 partitions, replication factor 3 and ")
          .append("`min.insync.replicas=2`; every client gets all three brokers as bootstrap servers. Same commands as the single-broker ")
          .append("table; broker CPU is the user+system time of the three processes together, peak RSS the sum of the three ")
          .append("processes' `VmHWM`. Ratios are Chronik / Kafka.\n\n");
        md.append(machine());
        md.append("- Workload knobs: `").append(knobs).append("`; 256-byte records\n\n");
        md.append("| figure | Kafka, 3 brokers | Chronik, 3 brokers | ratio |\n|---|---:|---:|---:|\n");
        row(md, "produce acks=1, records/s", kafka, chronik, "produce_acks1_rps", null);
        row(md, "produce acks=1, p99 ms", kafka, chronik, "produce_acks1_p99", null);
        row(md, "produce acks=all, records/s", kafka, chronik, "produce_acksall_rps", null);
        row(md, "produce acks=all, p99 ms", kafka, chronik, "produce_acksall_p99", null);
        row(md, "consume, records/s while fetching (after the group join)", kafka, chronik, "consume_fetch_rps", null);
        row(md, "consume, records/s for the whole run (group join included)", kafka, chronik, "consume_rps", null);
        row(md, "latency at fixed rate: p50 ms", kafka, chronik, "latency_p50", null);
        row(md, "latency at fixed rate: p99 ms", kafka, chronik, "latency_p99", null);
        row(md, "latency at fixed rate: p99.9 ms", kafka, chronik, "latency_p999", null);
        row(md, "CPU seconds of all three brokers per million records (acks=1)", kafka, chronik, "cpu_seconds_per_million", null);
        row(md, "CPU seconds of all three brokers per million records (acks=all)", kafka, chronik, "acksall_cpu_seconds_per_million", null);
        row(md, "CPU seconds of all three brokers per million records consumed", kafka, chronik, "consume_cpu_seconds_per_million", null);
        row(md, "peak RSS of the three brokers together, MB", kafka, chronik, "peak_rss_mb", null);
        md.append("\nFixed rate for the latency run: ").append(kafka.getProperty("latency_rate", "n/a")).append(" records/s.\n\n");
        md.append("Design scenario from the seeds, once per cluster after the runs above: `chronik-bench -c 128 -s 256 -d ")
          .append(chronik.getProperty("design_seconds", "30")).append("s --acks all` with all three brokers as bootstrap servers, on a new topic (6 partitions, RF 3, ")
          .append("`min.insync.replicas=2`) written once with 1,000 acks=all records first.\n\n");
        md.append("| design scenario | Kafka, 3 brokers | Chronik, 3 brokers | ratio |\n|---|---:|---:|---:|\n");
        row(md, "messages", kafka, chronik, "design_produce_messages", null);
        row(md, "msg/s", kafka, chronik, "design_produce_msgPerSec", null);
        row(md, "MB/s", kafka, chronik, "design_produce_mbPerSec", null);
        row(md, "latency p50 ms", kafka, chronik, "design_produce_p50Ms", null);
        row(md, "latency p99 ms", kafka, chronik, "design_produce_p99Ms", null);
        md.append("| errors | ").append(kafka.getProperty("design_produce_errors", "n/a")).append(" | ")
          .append(chronik.getProperty("design_produce_errors", "n/a")).append(" |  |\n");
        md.append("| stalled | ").append(kafka.getProperty("design_stall", "n/a")).append(" | ")
          .append(chronik.getProperty("design_stall", "n/a")).append(" |  |\n");
        md.append("| exit code (0 clean, 1 failed messages, 3 stall) | ").append(kafka.getProperty("design_exit_code", "n/a")).append(" | ")
          .append(chronik.getProperty("design_exit_code", "n/a")).append(" |  |\n");
        md.append("\nEach figure of the first table is the median of ").append(kafka.getProperty("repeats", "several")).append(" runs; every run:\n\n");
        md.append("| figure | Kafka runs | Chronik runs |\n|---|---|---|\n");
        for (String key : List.of("produce_acks1_rps", "produce_acksall_rps", "consume_fetch_rps", "consume_rps", "latency_p99",
                "cpu_seconds_per_million", "acksall_cpu_seconds_per_million", "consume_cpu_seconds_per_million")) {
            md.append("| ").append(key).append(" | ").append(runs(kafka, key)).append(" | ").append(runs(chronik, key)).append(" |\n");
        }
        md.append('\n');
        md.append("![three brokers: throughput and p99](bench/").append(chart.getFileName()).append(")\n");
        md.append(failoverTable(kafka, chronik, knobs));

        String old = Files.exists(markdown) ? Files.readString(markdown) : "";
        int start = old.indexOf(CLUSTER_HEADING);
        int end = old.indexOf(NOTES_HEADING, Math.max(start, 0));
        if (end < 0) {
            end = old.length();
        }
        if (start < 0) {
            start = end;
        }
        Files.writeString(markdown, old.substring(0, start) + md + old.substring(end));
        chart(chart, "Chronik vs Apache Kafka, three brokers each (same machine, same run)", kafka, chronik);
    }

    /** Replaces only the failover table (the end of the cluster section), or adds it before "## Notes". */
    private static void writeFailover(Properties kafka, Properties chronik, Path markdown, String knobs) throws IOException {
        String old = Files.exists(markdown) ? Files.readString(markdown) : "";
        int end = old.indexOf(NOTES_HEADING);
        if (end < 0) {
            end = old.length();
        }
        int start = old.indexOf(FAILOVER_HEADING);
        if (start < 0 || start > end) {
            start = end;
        }
        Files.writeString(markdown, old.substring(0, start) + failoverTable(kafka, chronik, knobs) + old.substring(end));
    }

    private static String failoverTable(Properties kafka, Properties chronik, String knobs) {
        StringBuilder md = new StringBuilder();
        md.append(FAILOVER_HEADING).append("\n\n");
        md.append("`bench/compare --cluster` (alone: `bench/compare --cluster --failover`, knobs `").append(knobs).append("`): a topic with ")
          .append("1 partition, RF 3, `min.insync.replicas=2`; `bin/chronik-bench-failover` (io.chronik.bench.FailoverProbe) sends ")
          .append(kafka.getProperty("failover_rate", "n/a")).append(" records/s of 256 bytes with an idempotent acks=all producer ")
          .append("(default retries and timeouts), kills the partition's leader with kill -9 after 3 s, and measures the time from ")
          .append("the kill to the first acknowledgement after it. It then sends 2 s more and reads the partition back: every ")
          .append("acknowledged record must be there. The killed broker is restarted between runs and the next run waits until it ")
          .append("is back in the ISR. Both clusters run with their default timeouts: Kafka's failover is decided by ")
          .append("`broker.session.timeout.ms` (9 s: the controller fences the silent broker and elects a new leader from the ISR; ")
          .append("`broker.heartbeat.interval.ms` 2 s) and, when the killed broker was the active controller, first by the KRaft ")
          .append("election (`controller.quorum.fetch.timeout.ms` 2 s, `controller.quorum.election.timeout.ms` 1 s); Chronik's by ")
          .append("`chronik.cluster.session-timeout` (9 s, the same rule; `chronik.cluster.heartbeat-interval` 2 s) and, when the ")
          .append("killed broker led the metadata quorum, first by the quorum election (`chronik.cluster.election-timeout-min`/`-max`, ")
          .append("2-4 s; a new quorum leader gives every broker a full session timeout before fencing it, as Kafka's new controller does). ")
          .append("The producer's own retry backoff (`retry.backoff.ms` 100 ms up to `retry.backoff.max.ms` 1 s) adds up to a second.\n\n");
        md.append("| failover (median of ").append(kafka.getProperty("failover_repeats", "n/a")).append(" runs) | Kafka, 3 brokers | Chronik, 3 brokers | ratio |\n|---|---:|---:|---:|\n");
        row(md, "kill -9 of the leader to the next acknowledgement, ms", kafka, chronik, "failover_ms", null);
        for (String key : List.of("failover_acked", "failover_failed", "failover_lost", "failover_duplicates")) {
            md.append("| ").append(key.substring("failover_".length()).replaceAll("s$", "")).append(" records, all runs | ")
              .append(kafka.getProperty(key, "n/a")).append(" | ").append(chronik.getProperty(key, "n/a")).append(" |  |\n");
        }
        md.append("\nEvery run, ms: Kafka ").append(runs(kafka, "failover_ms")).append("; Chronik ").append(runs(chronik, "failover_ms"))
          .append(". Whether each run's killed broker also led the metadata quorum (the active controller): Kafka ")
          .append(kafka.getProperty("failover_killed_controller_runs", "n/a")).append("; Chronik ")
          .append(chronik.getProperty("failover_killed_controller_runs", "n/a")).append(".\n");
        return md.toString();
    }

    private static void chart(Path chart, String title, Properties kafka, Properties chronik) throws IOException {
        CategoryChart c = new CategoryChartBuilder().width(900).height(450).title(title)
                .xAxisTitle("").yAxisTitle("Chronik / Kafka").build();
        List<String> labels = List.of("acks=1 rec/s", "acks=all rec/s", "consume rec/s", "p99 @ fixed rate", "CPU / M records");
        List<String> keys = List.of("produce_acks1_rps", "produce_acksall_rps", "consume_fetch_rps", "latency_p99", "cpu_seconds_per_million");
        List<Double> ratios = keys.stream().map(k -> ratio(kafka, chronik, k)).map(r -> Double.isNaN(r) ? 0.0 : r).toList();
        c.addSeries("Chronik / Kafka", labels, ratios);
        c.addSeries("Kafka = 1", labels, labels.stream().map(l -> 1.0).toList());
        BitmapEncoder.saveBitmap(c, chart.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String machine() {
        return "- Machine: " + Runtime.getRuntime().availableProcessors() + " cores, " + memoryGiB() + " GiB memory, "
                + System.getProperty("os.name") + ' ' + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version") + "\n";
    }

    /**
     * Keeps what follows the generated single-broker part: the cluster section, if there is one, and any hand-written
     * analysis (after a line "## Notes").
     */
    private static String notes(Path markdown) throws IOException {
        if (!Files.exists(markdown)) {
            return "";
        }
        String old = Files.readString(markdown);
        int at = old.indexOf(CLUSTER_HEADING);
        if (at < 0) {
            at = old.indexOf(NOTES_HEADING);
        }
        return at < 0 ? "" : old.substring(at);
    }

    /** A table row; without a target (null) the row has no target column. */
    private static void row(StringBuilder md, String label, Properties kafka, Properties chronik, String key, String target) {
        double r = ratio(kafka, chronik, key);
        md.append("| ").append(label).append(" | ").append(format(kafka.getProperty(key))).append(" | ")
          .append(format(chronik.getProperty(key))).append(" | ").append(Double.isNaN(r) || Double.isInfinite(r) ? "n/a" : String.format("%.2fx", r))
          .append(target == null ? " |\n" : " | " + target + " |\n");
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
