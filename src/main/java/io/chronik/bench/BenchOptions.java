package io.chronik.bench;

import picocli.CommandLine.Option;

import java.time.Duration;

/** chronik-bench's flags. */
public final class BenchOptions {
    public enum Mode { produce, consume, round_trip, mixed }

    @Option(names = {"-b", "--bootstrap-servers"}, defaultValue = "localhost:9092", description = "Kafka bootstrap servers")
    String bootstrapServers;
    @Option(names = {"-t", "--topic"}, defaultValue = "chronik-bench", description = "topic")
    String topic;
    @Option(names = {"-c", "--concurrency"}, defaultValue = "1", description = "concurrent producers or consumers")
    int concurrency;
    @Option(names = {"-s", "--message-size"}, defaultValue = "256", description = "message size in bytes")
    int messageSize;
    @Option(names = {"-d", "--duration"}, defaultValue = "30s", converter = DurationConverter.class, description = "run time, e.g. 30s, 2m")
    Duration duration;
    @Option(names = {"-w", "--warmup"}, defaultValue = "0s", converter = DurationConverter.class, description = "time before measuring")
    Duration warmup;
    @Option(names = {"-m", "--mode"}, defaultValue = "produce", converter = ModeConverter.class,
            description = "produce | consume | round-trip | mixed")
    Mode mode;
    @Option(names = "--acks", defaultValue = "1", description = "0 | 1 | all")
    String acks;
    @Option(names = "--compression", defaultValue = "none", description = "none | gzip | snappy | lz4 | zstd")
    String compression;
    @Option(names = {"-p", "--partitions"}, defaultValue = "6", description = "partitions for --create-topic")
    int partitions;
    @Option(names = "--create-topic", description = "create the topic if it does not exist")
    boolean createTopic;
    @Option(names = "--linger-ms", defaultValue = "5", description = "producer linger.ms")
    int lingerMs;
    @Option(names = "--batch-size", defaultValue = "65536", description = "producer batch.size")
    int batchSize;
    @Option(names = "--rate", defaultValue = "0", description = "total messages per second, 0 = unlimited")
    long rate;
    @Option(names = "--produce-rate", defaultValue = "0", description = "mixed mode: producer messages per second")
    long produceRate;
    @Option(names = "--consume-rate", defaultValue = "0", description = "mixed mode: consumer messages per second")
    long consumeRate;
    @Option(names = "--report-interval", defaultValue = "1s", converter = DurationConverter.class, description = "progress line interval")
    Duration reportInterval;
    @Option(names = "--json-output", description = "write the summary as JSON to this file")
    java.nio.file.Path jsonOutput;

    /** Rejects values that cannot make a run; the message names the flag. */
    void validate() {
        require(concurrency >= 1, "--concurrency must be at least 1");
        require(messageSize >= 1, "--message-size must be at least 1 byte");
        require(!duration.isZero() && !duration.isNegative(), "--duration must be positive");
        require(!warmup.isNegative(), "--warmup must not be negative");
        require(acks.equals("0") || acks.equals("1") || acks.equals("all") || acks.equals("-1"), "--acks must be 0, 1 or all");
        require(java.util.Set.of("none", "gzip", "snappy", "lz4", "zstd").contains(compression),
                "--compression must be none, gzip, snappy, lz4 or zstd");
        require(partitions >= 1, "--partitions must be at least 1");
        require(rate >= 0 && produceRate >= 0 && consumeRate >= 0, "rates must not be negative");
        require(reportInterval.toMillis() >= 100, "--report-interval must be at least 100ms");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Accepts round-trip as written on the command line. */
    public static final class ModeConverter implements picocli.CommandLine.ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            try {
                return Mode.valueOf(value.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("mode must be produce, consume, round-trip or mixed, not '" + value + "'");
            }
        }
    }
}
