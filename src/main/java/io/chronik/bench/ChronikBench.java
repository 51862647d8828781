package io.chronik.bench;

import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * chronik-bench: a load generator for any Kafka-compatible broker. Exit codes: 0 clean, 1 failed messages,
 * 2 bad arguments, 3 STALL (outstanding work and no acknowledgement for a whole second).
 */
@Command(name = "chronik-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Load generator for Kafka-compatible brokers: throughput, latency percentiles and stall detection.")
public final class ChronikBench implements Callable<Integer> {
    static final int EXIT_FAILED_MESSAGES = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_STALL = 3;
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(1);

    @Mixin
    BenchOptions options = new BenchOptions();

    private final PrintStream out;

    public ChronikBench() {
        this(System.out);
    }

    ChronikBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        // Before any logger exists: the bench's own quiet configuration, not the broker's.
        System.setProperty("logback.configurationFile", "chronik-bench-logback.xml");
        System.exit(run(System.out, args));
    }

    /** Runs with these arguments and returns the exit code. */
    static int run(PrintStream out, String... args) {
        CommandLine cli = new CommandLine(new ChronikBench(out));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println(e.getMessage());
                return EXIT_USAGE;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        options.validate();
        if (options.createTopic) {
            createTopic();
        }
        boolean produce = options.mode != BenchOptions.Mode.consume;
        boolean consume = options.mode != BenchOptions.Mode.produce;
        LatencyStats produced = new LatencyStats();
        LatencyStats consumedStats = new LatencyStats();
        if (!options.warmup.isZero()) {
            produced.pauseCounting();
            consumedStats.pauseCounting();
        }
        long produceRate = options.mode == BenchOptions.Mode.mixed ? options.produceRate : options.rate;
        long consumeRate = options.mode == BenchOptions.Mode.mixed ? options.consumeRate : 0;
        ProduceWorkload producer = produce ? new ProduceWorkload(options, produced, produceRate) : null;
        ConsumeWorkload consumer = consume ? new ConsumeWorkload(options, consumedStats, consumeRate) : null;
        Reporter reporter = new Reporter(out, options);
        StallDetector produceStall = new StallDetector(STALL_NANOS);
        StallDetector consumeStall = new StallDetector(STALL_NANOS);
        boolean stalled = false;
        try {
            if (consumer != null) {
                consumer.start();
            }
            if (producer != null) {
                producer.start();
            }
            long start = System.nanoTime();
            long measureFrom = start + options.warmup.toNanos();
            long end = measureFrom + options.duration.toNanos();
            long nextReport = start + options.reportInterval.toNanos();
            boolean measuring = options.warmup.isZero();
            while (System.nanoTime() < end) {
                Thread.sleep(50);
                long now = System.nanoTime();
                if (!measuring && now >= measureFrom) {
                    measuring = true;
                    produced.startCounting();
                    consumedStats.startCounting();
                }
                if (producer != null && produceStall.check(now, producer.outstanding(), producer.answered())) {
                    out.printf("STALL at %.1fs: %d messages outstanding and no acknowledgement for %.1fs%n",
                            (now - start) / 1e9, producer.outstanding(), produceStall.secondsWithoutProgress(now));
                    stalled = true;
                    break;
                }
                // A throttled consumer is allowed to fall behind, but never to stop.
                if (consumer != null && consumeStall.check(now, consumer.lag(), consumer.consumed())) {
                    out.printf("STALL at %.1fs: consumer %d records behind and nothing consumed for %.1fs%n",
                            (now - start) / 1e9, consumer.lag(), consumeStall.secondsWithoutProgress(now));
                    stalled = true;
                    break;
                }
                if (now >= nextReport) {
                    nextReport += options.reportInterval.toNanos();
                    reporter.progress((now - start) / 1e9, measuring, producer == null ? null : produced,
                            producer == null ? 0 : producer.outstanding(), consumer == null ? null : consumedStats,
                            consumer == null ? 0 : consumer.lag());
                }
            }
            if (producer != null && !stalled) {
                producer.stop(30_000);
            }
        } finally {
            if (producer != null) {
                producer.close();
            }
            if (consumer != null) {
                consumer.close();
            }
        }
        double seconds = options.duration.toNanos() / 1e9;
        Map<String, Reporter.Summary> summaries = new HashMap<>();
        if (producer != null) {
            produced.rollInterval();
            summaries.put("produce", reporter.summary("produce", produced, seconds));
        }
        if (consumer != null) {
            consumedStats.rollInterval();
            summaries.put("consume", reporter.summary("consume", consumedStats, seconds));
        }
        if (options.jsonOutput != null) {
            reporter.writeJson(options.jsonOutput, summaries, stalled);
        }
        if (stalled) {
            return EXIT_STALL;
        }
        long errors = produced.errors() + consumedStats.errors();
        return errors > 0 ? EXIT_FAILED_MESSAGES : 0;
    }

    private void createTopic() throws Exception {
        Map<String, String> configs = new HashMap<>();
        // A benchmark must not fill the disk: keep about 1 GiB per partition (whole segments of 256 MiB).
        configs.put("retention.bytes", Long.toString(1L << 30));
        configs.put("segment.bytes", Integer.toString(Math.max(256 << 20, 2 * (options.messageSize + 64 * 1024))));
        if (options.messageSize + 1024 > 1024 * 1024) {
            // Large messages: let them in.
            configs.put("max.message.bytes", Integer.toString(options.messageSize + 64 * 1024));
        }
        Map<String, Object> adminConfig = Map.of("bootstrap.servers", options.bootstrapServers);
        try (Admin admin = Admin.create(adminConfig)) {
            admin.createTopics(List.of(new NewTopic(options.topic, options.partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
            out.printf("created topic %s with %d partitions%s%n", options.topic, options.partitions,
                    configs.isEmpty() ? "" : " " + configs);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    static double millis(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }
}
