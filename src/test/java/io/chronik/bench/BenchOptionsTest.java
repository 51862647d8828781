package io.chronik.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchOptionsTest {
    private static BenchOptions parse(String... args) {
        ChronikBench bench = new ChronikBench();
        new CommandLine(bench).parseArgs(args);
        bench.options.validate();
        return bench.options;
    }

    @Test
    void shortFormsParse() {
        BenchOptions o = parse("-b", "h:1", "-t", "t1", "-c", "128", "-s", "10485760", "-d", "2m", "-w", "500ms", "-m", "round-trip", "-p", "12");
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
        assertThat(o.duration).isEqualTo(Duration.ofHours(1));
        assertThat(o.mode).isEqualTo(BenchOptions.Mode.mixed);
        assertThat(o.acks).isEqualTo("all");
        assertThat(o.compression).isEqualTo("zstd");
        assertThat(o.createTopic).isTrue();
        assertThat(o.lingerMs).isEqualTo(7);
        assertThat(o.batchSize).isEqualTo(1000);
        assertThat(o.rate).isEqualTo(50);
        assertThat(o.produceRate).isEqualTo(100000);
        assertThat(o.consumeRate).isEqualTo(1000);
        assertThat(o.reportInterval).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.jsonOutput).isEqualTo(Path.of("out.json"));
    }

    @Test
    void defaults() {
        BenchOptions o = parse();
        assertThat(o.bootstrapServers).isEqualTo("localhost:9092");
        assertThat(o.concurrency).isEqualTo(1);
        assertThat(o.messageSize).isEqualTo(256);
        assertThat(o.duration).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.mode).isEqualTo(BenchOptions.Mode.produce);
        assertThat(o.acks).isEqualTo("1");
        assertThat(o.compression).isEqualTo("none");
        assertThat(o.rate).isZero();
        assertThat(o.createTopic).isFalse();
    }

    @Test
    void durationsInEveryUnit() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(c.convert("45")).isEqualTo(Duration.ofSeconds(45));
        assertThatThrownBy(() -> c.convert("soon")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void invalidInputIsRejectedWithExitCodeTwoAndAMessage() {
        for (String[] bad : new String[][]{{"-s", "-5"}, {"-m", "sideways"}, {"-d", "forever"}, {"--acks", "2"},
                {"--compression", "brotli"}, {"-c", "0"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CommandLine cli = new CommandLine(new ChronikBench());
            cli.setErr(new java.io.PrintWriter(err, true));
            cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
                cmd.getErr().println(e.getMessage());
                return ChronikBench.EXIT_USAGE;
            });
            assertThat(cli.execute(bad)).as(String.join(" ", bad)).isEqualTo(ChronikBench.EXIT_USAGE);
            assertThat(err.toString()).as(String.join(" ", bad)).isNotBlank();
        }
    }

    @Test
    void helpPrintsEveryFlag() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CommandLine(new ChronikBench()).usage(new PrintStream(out));
        assertThat(out.toString()).contains("--bootstrap-servers", "--concurrency", "--message-size", "--duration", "--warmup",
                "--mode", "--acks", "--compression", "--partitions", "--create-topic", "--linger-ms", "--batch-size", "--rate",
                "--produce-rate", "--consume-rate", "--report-interval", "--json-output");
    }
}
