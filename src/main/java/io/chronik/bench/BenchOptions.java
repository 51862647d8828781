package io.chronik.bench;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/** chronik-bench's flags, with picocli defaults, and the checks picocli's types cannot express. */
public final class BenchOptions {
    /** Message sizes above this need topic, producer and consumer limits raised (the broker default is about 1 MiB). */
    static final int LARGE_MESSAGE = 1 << 20;

    public enum Mode {
        produce, consume, round_trip, mixed;

        String label() {
            return name().replace('_', '-');
        }

        boolean produces() {
            return this != consume;
        }

        boolean consumes() {
            return this != produce;
        }
    }

    @Option(names = {"-b", "--bootstrap-servers"}, defaultValue = "localhost:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
    String bootstrapServers;
    @Option(names = {"-t", "--topic"}, defaultValue = "chronik-bench", description = "topic (default: ${DEFAULT-VALUE})")
    String topic;
    @Option(names = {"-c", "--concurrency"}, defaultValue = "1", description = "concurrent producers or consumers (default: ${DEFAULT-VALUE})")
    int concurrency;
    @Option(names = {"-s", "--message-size"}, defaultValue = "256", description = "message size in bytes (default: ${DEFAULT-VALUE})")
    int messageSize;
    @Option(names = {"-d", "--duration"}, defaultValue = "30s", converter = DurationParser.class, description = "measured run time, e.g. 500ms, 30s, 2m, 1h (default: 30s)")
    Duration duration;
    @Option(names = {"-w", "--warmup"}, defaultValue = "0s", converter = DurationParser.class, description = "load before measuring; its samples are not counted (default: 0s)")
    Duration warmup;
    @Option(names = {"-m", "--mode"}, defaultValue = "produce", converter = ModeConverter.class,
            description = "produce | consume | round-trip | mixed (default: produce)")
    Mode mode;
    @Option(names = "--acks", defaultValue = "1", description = "0 | 1 | all (default: ${DEFAULT-VALUE})")
    String acks;
    @Option(names = "--compression", defaultValue = "none", description = "none | gzip | snappy | lz4 | zstd (default: ${DEFAULT-VALUE})")
    String compression;
    @Option(names = {"-p", "--partitions"}, defaultValue = "6", description = "partitions for --create-topic (default: ${DEFAULT-VALUE})")
    int partitions;
    @Option(names = "--create-topic", description = "create the topic if it does not exist (about 1 GiB retained per partition)")
    boolean createTopic;
    @Option(names = "--linger-ms", defaultValue = "5", description = "producer linger.ms (default: ${DEFAULT-VALUE})")
    int lingerMs;
    @Option(names = "--batch-size", defaultValue = "65536", description = "producer batch.size in bytes (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--rate", defaultValue = "0", description = "total messages per second across all producers, 0 = unlimited")
    long rate;
    @Option(names = "--produce-rate", defaultValue = "0", description = "producer messages per second (mixed mode; overrides --rate), 0 = unlimited")
    long produceRate;
    @Option(names = "--consume-rate", defaultValue = "0", description = "consumer messages per second (a deliberately slow consumer), 0 = unlimited")
    long consumeRate;
    @Option(names = "--report-interval", defaultValue = "1s", converter = DurationParser.class, description = "progress line interval (default: 1s)")
    Duration reportInterval;
    @Option(names = "--json-output", paramLabel = "FILE", description = "also write the summary as JSON to FILE")
    Path jsonOutput;

    /** Rejects values that cannot make a run, as a picocli usage error (exit code 2) naming the flag. */
    void validate(CommandLine cli) {
        require(cli, concurrency >= 1, "--concurrency must be at least 1, not " + concurrency);
        require(cli, messageSize >= 1, "--message-size must be at least 1 byte, not " + messageSize);
        require(cli, messageSize <= Integer.MAX_VALUE - (1 << 20), "--message-size is too large");
        require(cli, !duration.isZero(), "--duration must be positive");
        require(cli, acks.equals("0") || acks.equals("1") || acks.equals("all") || acks.equals("-1"),
                "--acks must be 0, 1 or all, not '" + acks + "'");
        require(cli, Set.of("none", "gzip", "snappy", "lz4", "zstd").contains(compression),
                "--compression must be none, gzip, snappy, lz4 or zstd, not '" + compression + "'");
        require(cli, partitions >= 1, "--partitions must be at least 1, not " + partitions);
        require(cli, lingerMs >= 0, "--linger-ms must not be negative");
        require(cli, batchSize >= 0, "--batch-size must not be negative");
        require(cli, rate >= 0, "--rate must not be negative");
        require(cli, produceRate >= 0, "--produce-rate must not be negative");
        require(cli, consumeRate >= 0, "--consume-rate must not be negative");
        require(cli, reportInterval.toMillis() >= 100, "--report-interval must be at least 100ms");
        require(cli, !topic.isBlank(), "--topic must not be empty");
    }

    /** Messages per second for all producers together; 0 = unlimited. */
    long effectiveProduceRate() {
        return produceRate > 0 ? produceRate : rate;
    }

    boolean largeMessages() {
        return messageSize + 1024 > LARGE_MESSAGE;
    }

    /** Client limits that fit one message plus batch overhead, never below the client defaults. */
    int clientRequestBytes() {
        return Math.max(LARGE_MESSAGE, messageSize + 64 * 1024);
    }

    private static void require(CommandLine cli, boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(cli, message);
        }
    }

    /** Accepts round-trip as written on the command line. */
    public static final class ModeConverter implements CommandLine.ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            try {
                return Mode.valueOf(value.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("mode must be produce, consume, round-trip or mixed, not '" + value + "'");
            }
        }
    }
}
