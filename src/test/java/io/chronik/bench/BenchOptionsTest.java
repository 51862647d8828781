package io.chronik.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchOptionsTest {
    private static BenchOptions parse(String... args) {
        ChronikBench bench = new ChronikBench();
        CommandLine cli = new CommandLine(bench);
        cli.parseArgs(args);
        bench.options.validate(cli);
        return bench.options;
    }

    @Test
    void shortFormsParse() {
        BenchOptions o = parse("-b", "h:1", "-t", "t1", "-c", "128", "-s", "10485760", "-d", "2m", "-w", "500ms",
                "-m", "round-trip", "-p", "12");
        assertThat(o.bootstrapServers).isEqualTo("h:1");
        assertThat(o.topic).isEqualTo("t1");
        assertThat(o.concurrency).isEqualTo(128);
        assertThat(o.messageSize).isEqualTo(10485760);
        assertThat(o.duration).isEqualTo(Duration.ofMinutes(2));
        assertThat(o.warmup).isEqualTo(Duration.ofMillis(500));
        assertThat(o.mode).isEqualTo(BenchOptions.Mode.round_trip);
        assertThat(o.partitions).isEqualTo(12);
    }

    @Test
    void longFormsParse() {
        BenchOptions o = parse("--bootstrap-servers=x:9", "--topic=t2", "--concurrency=3", "--message-size=100", "--duration=1h",
                "--warmup=5s", "--mode=mixed", "--acks=all", "--compression=zstd", "--partitions=2", "--create-topic",
                "--linger-ms=7", "--batch-size=1000", "--rate=50", "--produce-rate=100000", "--consume-rate=1000",
                "--report-interval=2s", "--json-output=out.json");
        assertThat(o.bootstrapServers).isEqualTo("x:9");
        assertThat(o.topic).isEqualTo("t2");
        assertThat(o.concurrency).isEqualTo(3);
        assertThat(o.messageSize).isEqualTo(100);
        assertThat(o.duration).isEqualTo(Duration.ofHours(1));
        assertThat(o.warmup).isEqualTo(Duration.ofSeconds(5));
        assertThat(o.mode).isEqualTo(BenchOptions.Mode.mixed);
        assertThat(o.acks).isEqualTo("all");
        assertThat(o.compression).isEqualTo("zstd");
        assertThat(o.partitions).isEqualTo(2);
        assertThat(o.createTopic).isTrue();
        assertThat(o.lingerMs).isEqualTo(7);
        assertThat(o.batchSize).isEqualTo(1000);
        assertThat(o.rate).isEqualTo(50);
        assertThat(o.produceRate).isEqualTo(100000);
        assertThat(o.consumeRate).isEqualTo(1000);
        assertThat(o.reportInterval).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.jsonOutput).isEqualTo(Path.of("out.json"));
        assertThat(o.effectiveProduceRate()).as("--produce-rate overrides --rate").isEqualTo(100000);
    }

    @Test
    void everyModeAndAcksAndCompressionParse() {
        assertThat(parse("-m", "produce").mode).isEqualTo(BenchOptions.Mode.produce);
        assertThat(parse("-m", "consume").mode).isEqualTo(BenchOptions.Mode.consume);
        assertThat(parse("--mode", "round-trip").mode.label()).isEqualTo("round-trip");
        assertThat(parse("-m", "mixed").mode).isEqualTo(BenchOptions.Mode.mixed);
        for (String acks : new String[]{"0", "1", "all"}) {
            assertThat(parse("--acks", acks).acks).isEqualTo(acks);
        }
        for (String c : new String[]{"none", "gzip", "snappy", "lz4", "zstd"}) {
            assertThat(parse("--compression", c).compression).isEqualTo(c);
        }
        assertThat(parse("--rate", "500").effectiveProduceRate()).isEqualTo(500);
    }

    @Test
    void defaults() {
        BenchOptions o = parse();
        assertThat(o.bootstrapServers).isEqualTo("localhost:9092");
        assertThat(o.topic).isEqualTo("chronik-bench");
        assertThat(o.concurrency).isEqualTo(1);
        assertThat(o.messageSize).isEqualTo(256);
        assertThat(o.duration).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.warmup).isZero();
        assertThat(o.mode).isEqualTo(BenchOptions.Mode.produce);
        assertThat(o.acks).isEqualTo("1");
        assertThat(o.compression).isEqualTo("none");
        assertThat(o.partitions).isEqualTo(6);
        assertThat(o.createTopic).isFalse();
        assertThat(o.lingerMs).isEqualTo(5);
        assertThat(o.batchSize).isEqualTo(65536);
        assertThat(o.rate).isZero();
        assertThat(o.produceRate).isZero();
        assertThat(o.consumeRate).isZero();
        assertThat(o.reportInterval).isEqualTo(Duration.ofSeconds(1));
        assertThat(o.jsonOutput).isNull();
    }

    @Test
    void durationsInEveryUnit() {
        DurationParser p = new DurationParser();
        assertThat(p.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(p.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.convert("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(p.convert("45")).isEqualTo(Duration.ofSeconds(45));
        assertThat(p.convert("0s")).isZero();
        for (String bad : new String[]{"soon", "", "-1s", "1.5s", "10d", "s", "99999999999999999h"}) {
            assertThatThrownBy(() -> p.convert(bad)).as(bad).isInstanceOf(CommandLine.TypeConversionException.class);
        }
    }

    @Test
    void invalidInputIsRejectedWithExitCodeTwoAndAMessage() {
        String[][] cases = {
                {"-s", "-5"}, {"-s", "0"}, {"-s", "big"}, {"-m", "sideways"}, {"-d", "forever"}, {"-d", "0s"},
                {"-w", "-1s"}, {"--acks", "2"}, {"--compression", "brotli"}, {"-c", "0"}, {"-p", "0"},
                {"--rate", "-1"}, {"--produce-rate", "-1"}, {"--consume-rate", "-1"}, {"--report-interval", "10ms"},
                {"--linger-ms", "-1"}, {"--no-such-flag"}};
        for (String[] bad : cases) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = ChronikBench.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), bad);
            assertThat(exit).as(String.join(" ", bad)).isEqualTo(ChronikBench.EXIT_USAGE);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(String.join(" ", bad)).isNotBlank();
        }
    }

    @Test
    void invalidValuesNameTheirFlag() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ChronikBench.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8),
                "-s", "-5");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--message-size");
        err.reset();
        ChronikBench.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8),
                "-m", "sideways");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("sideways");
    }

    @Test
    void largeMessagesRaiseTopicAndClientLimits() {
        ChronikBench bench = new ChronikBench();
        new CommandLine(bench).parseArgs("-s", "10485760");
        assertThat(bench.topicConfigs()).containsEntry("max.message.bytes", Integer.toString(10485760 + 1024))
                .containsEntry("retention.bytes", Long.toString(1L << 30));
        assertThat(bench.options.clientRequestBytes()).isGreaterThan(10485760 + 1024);

        ChronikBench small = new ChronikBench();
        new CommandLine(small).parseArgs("-s", "256");
        assertThat(small.topicConfigs()).doesNotContainKey("max.message.bytes").containsKey("retention.bytes");
        assertThat(small.options.clientRequestBytes()).isEqualTo(1 << 20);
    }

    @Test
    void helpPrintsEveryFlag() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = ChronikBench.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()), "--help");
        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--bootstrap-servers", "--topic", "--concurrency",
                "--message-size", "--duration", "--warmup", "--mode", "--acks", "--compression", "--partitions",
                "--create-topic", "--linger-ms", "--batch-size", "--rate", "--produce-rate", "--consume-rate",
                "--report-interval", "--json-output", "-b,", "-t,", "-c,", "-s,", "-d,", "-w,", "-m,", "-p,");
    }
}
