package io.chronik.group;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka Streams with {@code processing.guarantee=exactly_once_v2} against Chronik: the word count of
 * {@link WordCountApp} in its own JVM is killed with kill -9 in the middle of its input, and started again. Its output
 * read with isolation.level=read_committed must count every line exactly once: the count of a word that every line
 * holds goes 1, 2, 3, ... up to the number of lines, each value exactly once and in order (an at-least-once
 * application would repeat the counts it had produced since its last commit). Streams uses a transactional producer
 * per thread, sendOffsetsToTransaction for its input offsets, read_committed consumers for its repartition topic and
 * fences the killed instance's producer when it starts again.
 */
@Timeout(300)
class KafkaStreamsExactlyOnceTest {
    private static final Path STREAMS_LIB = Path.of("target", "streams-lib");
    private static final int LINES = 6_000;

    @TempDir
    Path dataDir;

    @TempDir
    Path stateDir;

    private static String line(int i) {
        StringBuilder line = new StringBuilder("alpha");
        if (i % 2 == 0) {
            line.append(" beta");
        }
        return line.toString();
    }

    private Process startApp(TestBroker broker, List<String> output) throws IOException {
        String classpath = STREAMS_LIB.toAbsolutePath() + "/*" + java.io.File.pathSeparator
                + Path.of("target", "test-classes").toAbsolutePath();
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", classpath, WordCountApp.class.getName(), broker.bootstrapServers(), stateDir.toString(),
                "exactly_once_v2").redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(app.getInputStream()))) {
                String l;
                while ((l = in.readLine()) != null) {
                    output.add(l);
                }
            } catch (IOException ignored) {
                // the application ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        return app;
    }

    /**
     * Reads "counts" with read_committed until every word of {@code until} has reached its count there, or the time
     * is up; collects every alpha count in order.
     */
    private static void readCounts(KafkaConsumer<String, Long> consumer, List<Long> seen, Map<String, Long> latest,
                                   Map<String, Long> until, long seconds, List<String> appOutput) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (until.entrySet().stream().anyMatch(e -> latest.getOrDefault(e.getKey(), 0L) < e.getValue())
                && System.nanoTime() < deadline) {
            assertThat(appOutput).as("the streams application").noneMatch(l -> l.startsWith("FAILED") || l.equals("STATE ERROR"));
            for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) {
                latest.put(r.key(), r.value());
                if (r.key().equals("alpha")) {
                    seen.add(r.value());
                }
            }
        }
    }

    @Test
    void aWordCountKilledMidStreamCountsEveryLineExactlyOnce() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(STREAMS_LIB), "target/streams-lib is made by the Maven build");
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.initial-rebalance-delay", "0s"))) {
            Clients.createTopic(broker, "lines", 3);
            Clients.createTopic(broker, "counts", 3);

            Properties props = broker.clientProperties();
            props.put("key.deserializer", StringDeserializer.class.getName());
            props.put("value.deserializer", LongDeserializer.class.getName());
            props.put("group.id", "counts-reader");
            props.put("auto.offset.reset", "earliest");
            props.put("isolation.level", "read_committed");
            Map<String, Long> expected = Map.of("alpha", (long) LINES, "beta", (long) (LINES + 1) / 2);
            List<Long> seen = new ArrayList<>();
            Map<String, Long> latest = new HashMap<>();
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < LINES; i++) {
                    producer.send(new ProducerRecord<>("lines", "line-" + i, line(i)));
                }
                producer.flush();
            }
            try (KafkaConsumer<String, Long> reader = new KafkaConsumer<>(props)) {
                reader.subscribe(List.of("counts"));
                List<String> first = Collections.synchronizedList(new ArrayList<>());
                Process app = startApp(broker, first);
                try {
                    // Kill -9 once the application has committed part of the counts, in the middle of the input.
                    readCounts(reader, seen, latest, Map.of("alpha", (long) LINES / 5), 120, first);
                    assertThat(latest.getOrDefault("alpha", 0L)).as("app output: %s", first).isGreaterThanOrEqualTo(LINES / 5)
                            .as("killed in the middle of the input").isLessThan(LINES);
                } finally {
                    app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                List<String> second = Collections.synchronizedList(new ArrayList<>());
                Process again = startApp(broker, second);
                try {
                    readCounts(reader, seen, latest, expected, 150, second);
                } finally {
                    again.toHandle().destroy();
                    if (!again.waitFor(40, TimeUnit.SECONDS)) {
                        again.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
                assertThat(latest).as("final counts; app output: %s", second).isEqualTo(expected);
                List<Long> once = new ArrayList<>();
                for (long c = 1; c <= LINES; c++) {
                    once.add(c);
                }
                assertThat(seen).as("every alpha count committed exactly once, in order").isEqualTo(once);
            }
        }
    }
}
