package io.chronik.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * chronik-bench: a load generator for any Kafka-compatible broker, built on the real Kafka Java client. Exit
 * codes: 0 clean, 1 failed messages (or a run that could not start), 2 bad arguments, 3 STALL (work outstanding
 * and no acknowledgement or consumed record for a whole second). Deliberately independent of the broker's code and
 * of Spring: it measures Chronik from the outside, exactly as any client sees it.
 */
@Command(name = "chronik-bench", mixinStandardHelpOptions = true, sortOptions = false, versionProvider = ChronikBench.Version.class,
        description = "Load generator for Kafka-compatible brokers: throughput, latency percentiles and stall detection.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:clean run", "1:failed messages, or the run could not start", "2:invalid arguments",
                "3:STALL: work outstanding and nothing answered for a whole second"})
public final class ChronikBench implements Callable<Integer> {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_STALL = 3;
    static final Duration STALL_THRESHOLD = Duration.ofSeconds(1);
    private static final long TICK_MILLIS = 50;
    private static final long DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long LAG_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(600);

    /** What -V prints: the client is what the numbers depend on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            // The resource kafka-clients itself reads its version from.
            try (java.io.InputStream in = Admin.class.getResourceAsStream("/kafka/kafka-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[]{"chronik-bench (kafka-clients " + p.getProperty("version", "unknown") + ")"};
        }
    }

    @Mixin
    BenchOptions options = new BenchOptions();

    @Spec
    CommandSpec spec;

    private final PrintStream out;

    public ChronikBench() {
        this(System.out);
    }

    ChronikBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        BenchLauncher.quietLogging();
        System.exit(run(System.out, System.err, args));
    }

    /** Runs with these arguments and returns the exit code instead of exiting. */
    static int run(PrintStream out, PrintStream err, String... args) {
        return BenchLauncher.run(new ChronikBench(out), "chronik-bench", EXIT_FAILED, out, err, args);
    }

    @Override
    public Integer call() throws Exception {
        options.validate(spec.commandLine());
        if (options.createTopic) {
            createTopic();
        }
        BenchOptions.Mode mode = options.mode;
        LatencyStats produced = new LatencyStats();
        LatencyStats consumed = new LatencyStats();
        ProduceWorkload producer = mode.produces() ? new ProduceWorkload(options, produced, options.effectiveProduceRate()) : null;
        ConsumeWorkload consumer = mode.consumes() ? new ConsumeWorkload(options, consumed, options.consumeRate) : null;
        Reporter reporter = new Reporter(out);
        boolean stalled = false;
        List<Reporter.Summary> summaries = new ArrayList<>();
        try {
            if (consumer != null) {
                // Beside producers, consumers start at the end and are positioned before the first send.
                consumer.start(mode != BenchOptions.Mode.consume);
            }
            if (producer != null) {
                producer.start();
            }
            StallDetector produceStall = new StallDetector(STALL_THRESHOLD, System::nanoTime);
            StallDetector consumeStall = new StallDetector(consumerStallThreshold(consumer), System::nanoTime);
            long start = System.nanoTime();
            long measureFrom = start + options.warmup.toNanos();
            long end = measureFrom + options.duration.toNanos();
            long interval = options.reportInterval.toNanos();
            long nextReport = start + interval;
            boolean measuring = options.warmup.isZero();
            long drainStart = 0;
            long producerDrainedAt = 0;
            long now = start;
            while (true) {
                Thread.sleep(TICK_MILLIS);
                now = System.nanoTime();
                if (!measuring && now >= measureFrom) {
                    measuring = true;
                    produced.startMeasuring();
                    consumed.startMeasuring();
                }
                if (producer != null && produceStall.tick(producer.outstanding(), producer.answered())) {
                    out.printf("STALL at %.1fs: produce: %d messages outstanding and no acknowledgement for %.1fs%n",
                            (now - start) / 1e9, producer.outstanding(), produceStall.secondsWithoutProgress());
                    stalled = true;
                    break;
                }
                // A throttled consumer may fall behind, but never stop.
                if (consumer != null && consumeStall.tick(consumer.lag(), consumer.consumed())) {
                    out.printf("STALL at %.1fs: consume: %d records behind the end offsets and none consumed for %.1fs%n",
                            (now - start) / 1e9, consumer.lag(), consumeStall.secondsWithoutProgress());
                    stalled = true;
                    break;
                }
                if (now >= nextReport) {
                    reporter.progress((now - start) / 1e9, !measuring, sides(producer, produced, consumer, consumed));
                    while (nextReport <= now) {
                        nextReport += interval;
                    }
                }
                if (drainStart == 0 && now >= end) {
                    // Time is up: stop sending, then wait (still watching for stalls) for what is owed.
                    drainStart = now;
                    if (producer != null) {
                        producer.stopSending();
                    }
                }
                if (drainStart != 0) {
                    boolean producerDone = producer == null || producer.outstanding() <= 0;
                    if (producerDone && producerDrainedAt == 0) {
                        producerDrainedAt = now;
                    }
                    // Round-trip waits for the consumers to catch up (a fresh lag refresh after the last ack).
                    boolean consumerDone = mode != BenchOptions.Mode.round_trip || options.consumeRate > 0
                            || (producerDrainedAt != 0 && now - producerDrainedAt >= LAG_SETTLE_NANOS && consumer.lag() == 0);
                    if ((producerDone && consumerDone) || now - drainStart >= DRAIN_LIMIT_NANOS) {
                        break;
                    }
                }
            }
            // Rates are over the measured window plus the time the broker took to acknowledge what was sent in it,
            // but not the wait for round-trip consumers to see a fresh lag figure.
            // A run that ended (stalled) during the warmup reports the warmup, whose samples are still recorded.
            long measuredEnd = producerDrainedAt != 0 ? producerDrainedAt : now;
            double measuredSeconds = Math.max(0, measuredEnd - (measuring ? measureFrom : start)) / 1e9;
            if (producer != null) {
                summaries.add(reporter.summary("produce", produced, measuredSeconds));
            }
            if (consumer != null) {
                summaries.add(reporter.summary("consume", consumed, measuredSeconds));
            }
        } finally {
            if (producer != null) {
                // After a stall nothing more will be answered: do not wait for it.
                producer.close(stalled ? Duration.ZERO : Duration.ofSeconds(5));
            }
            if (consumer != null) {
                consumer.close();
            }
        }
        long errors = summaries.stream().mapToLong(Reporter.Summary::errors).sum();
        int exitCode = stalled ? EXIT_STALL : errors > 0 ? EXIT_FAILED : EXIT_OK;
        if (options.jsonOutput != null) {
            Reporter.writeJson(options.jsonOutput, Reporter.json(options, summaries, stalled, exitCode));
        }
        return exitCode;
    }

    private static List<Reporter.Side> sides(ProduceWorkload producer, LatencyStats produced,
                                             ConsumeWorkload consumer, LatencyStats consumed) {
        List<Reporter.Side> sides = new ArrayList<>(2);
        if (producer != null) {
            sides.add(new Reporter.Side("produce", produced, producer.outstanding(), "outstanding"));
        }
        if (consumer != null) {
            sides.add(new Reporter.Side("consume", consumed, consumer.lag(), "lag"));
        }
        return sides;
    }

    /**
     * One second, unless consumers are throttled so slowly that waiting for their own rate takes longer: then three
     * of their intervals, so a consumer told to read 1 msg/s is not called stalled for obeying.
     */
    private Duration consumerStallThreshold(ConsumeWorkload consumer) {
        if (consumer == null || options.consumeRate <= 0) {
            return STALL_THRESHOLD;
        }
        long perThreadGapNanos = TimeUnit.SECONDS.toNanos(1) * consumer.consumerCount() / options.consumeRate;
        return Duration.ofNanos(Math.max(STALL_THRESHOLD.toNanos(), 3 * perThreadGapNanos));
    }

    /** Topic settings for --create-topic: bounded disk use always, larger limits for large messages. */
    Map<String, String> topicConfigs() {
        Map<String, String> configs = new LinkedHashMap<>();
        // A benchmark must not fill the disk: about 1 GiB retained per partition, in 256 MiB segments.
        configs.put("retention.bytes", Long.toString(1L << 30));
        configs.put("segment.bytes", Long.toString(Math.max(256L << 20, 2L * (options.messageSize + 64 * 1024))));
        if (options.largeMessages()) {
            configs.put("max.message.bytes", Integer.toString(options.messageSize + 1024));
        }
        return configs;
    }

    private void createTopic() throws Exception {
        Map<String, String> configs = topicConfigs();
        Map<String, Object> adminConfig = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "chronik-bench-admin");
        try (Admin admin = Admin.create(adminConfig)) {
            admin.createTopics(List.of(new NewTopic(options.topic, options.partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
            out.printf("created topic %s with %d partitions %s%n", options.topic, options.partitions, configs);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create topic " + options.topic + ": " + e.getCause(), e);
            }
            out.printf("topic %s exists; using it as it is%n", options.topic);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not create topic " + options.topic + " within 30s (is "
                    + options.bootstrapServers + " reachable?)", e);
        }
    }
}
