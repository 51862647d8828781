package io.chronik.group;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka Streams against Chronik: the word count of {@link WordCountApp} (a repartition topic and a changelog-backed
 * store) counts every line, is stopped, and after more input and the loss of its local state resumes from its
 * committed offsets, restores the store from the changelog and counts only the new lines on top. The changelog is a
 * compacted topic whose segments roll every 100 ms ({@code segment.ms}, set by {@link WordCountApp} through
 * {@code Materialized.withLoggingEnabled}) and are cleanable when 1 % of it is superseded, so a log cleaner compacts it
 * while the test runs; compacted or not, it must hold the latest count of every word. Streams brings
 * its own assignor over the classic group protocol, creates its internal topics through the AdminClient, uses
 * idempotent producers and purges repartition topics with DeleteRecords.
 */
class KafkaStreamsTest {
    private static final Path STREAMS_LIB = Path.of("target", "streams-lib");
    private static final int LINES = 300;

    @TempDir
    Path dataDir;

    @TempDir
    Path stateDir;

    private final List<Thread> readers = new ArrayList<>();

    private static void produceLines(TestBroker broker, int from, int to) {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = from; i < to; i++) {
                // Every line holds "alpha", every second "beta", every third "gamma".
                StringBuilder line = new StringBuilder("alpha");
                if (i % 2 == 0) {
                    line.append(" beta");
                }
                if (i % 3 == 0) {
                    line.append(" gamma");
                }
                producer.send(new ProducerRecord<>("lines", "line-" + i, line.toString()));
            }
            producer.flush();
        }
    }

    private static Map<String, Long> expected(int lines) {
        return Map.of("alpha", (long) lines, "beta", (long) (lines + 1) / 2, "gamma", (long) (lines + 2) / 3);
    }

    /** The latest count per word in the output topic, read until the expected counts appear or the time is up. */
    private static Map<String, Long> latestCounts(TestBroker broker, Map<String, Long> expected, List<String> appOutput) {
        Properties props = broker.clientProperties();
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", LongDeserializer.class.getName());
        props.put("group.id", "counts-reader-" + System.nanoTime());
        props.put("auto.offset.reset", "earliest");
        Map<String, Long> latest = new HashMap<>();
        try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of("counts"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!latest.equals(expected) && System.nanoTime() < deadline) {
                assertThat(appOutput).as("the streams application").noneMatch(l -> l.startsWith("FAILED") || l.equals("STATE ERROR"));
                for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(r.key(), r.value());
                }
            }
        }
        return latest;
    }

    /** Reads the changelog to its end offsets into the latest value per key; returns the sum of its end offsets. */
    private static long latestInChangelog(TestBroker broker, String changelog, Map<String, Long> latest) {
        Properties props = broker.clientProperties();
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", LongDeserializer.class.getName());
        try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(changelog).stream()
                    .map(p -> new TopicPartition(changelog, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(r.key(), r.value());
                }
            }
            assertThat(partitions).as("read %s to its end offsets %s", changelog, end).allMatch(tp -> consumer.position(tp) >= end.get(tp));
            return end.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private Process startApp(TestBroker broker, List<String> output) throws IOException {
        String classpath = STREAMS_LIB.toAbsolutePath() + "/*" + java.io.File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp", classpath,
                WordCountApp.class.getName(), broker.bootstrapServers(), stateDir.toString()).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(app.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // the application ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        readers.add(reader);
        return app;
    }

    /**
     * SIGTERM, as an orchestrator stops an application; its output is read to the end. Through the process handle,
     * because {@code Process.destroy()} also closes the pipes, which would lose what the application prints while
     * it shuts down.
     */
    private void stop(Process app) throws InterruptedException {
        app.toHandle().destroy();
        if (!app.waitFor(40, TimeUnit.SECONDS)) {
            app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (Thread reader : readers) {
            reader.join(10_000);
        }
    }

    @Test
    void aWordCountCountsEveryLineAndResumesAfterARestartWithItsStateLost() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(STREAMS_LIB), "target/streams-lib is made by the Maven build");
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.initial-rebalance-delay", "0s"))) {
            Clients.createTopic(broker, "lines", 3);
            Clients.createTopic(broker, "counts", 3);
            produceLines(broker, 0, LINES);

            List<String> output = Collections.synchronizedList(new ArrayList<>());
            Process app = startApp(broker, output);
            try {
                assertThat(latestCounts(broker, expected(LINES), output)).as("app output: %s", output).isEqualTo(expected(LINES));
            } finally {
                stop(app);
            }
            assertThat(output).as("a clean shutdown (LeaveGroup, final commit)").contains("STATE RUNNING", "STATE NOT_RUNNING");

            String changelog;
            try (Admin admin = Clients.admin(broker)) {
                Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                changelog = topics.stream().filter(t -> t.startsWith("word-count-") && t.endsWith("-changelog")).findFirst()
                        .orElseThrow(() -> new AssertionError("no changelog topic in " + topics));
                assertThat(topics).contains("word-count-by-word-repartition");
                Map<String, String> configs = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, changelog)))
                        .all().get(30, TimeUnit.SECONDS).values().iterator().next().entries().stream()
                        .collect(Collectors.toMap(e -> e.name(), e -> e.value() == null ? "" : e.value()));
                // WordCountApp's changelog settings, under which a log cleaner compacts the changelog during the test
                assertThat(configs).containsEntry("cleanup.policy", "compact").containsEntry("segment.ms", "100")
                        .containsEntry("min.cleanable.dirty.ratio", "0.01");
            }

            // More input while the application is down, and its local state is gone: it restores the counts from
            // the changelog and adds only the new lines.
            produceLines(broker, LINES, 2 * LINES);
            org.apache.kafka.common.utils.Utils.delete(stateDir.toFile());
            List<String> second = Collections.synchronizedList(new ArrayList<>());
            Process again = startApp(broker, second);
            try {
                assertThat(latestCounts(broker, expected(2 * LINES), second)).as("app output: %s", second)
                        .isEqualTo(expected(2 * LINES));
            } finally {
                stop(again);
            }
            assertThat(second).as("app output").contains("STATE RUNNING", "STATE NOT_RUNNING");
            // Compacted or not, the changelog holds the latest count of every word; its end offsets count every update.
            Map<String, Long> changelogCounts = new HashMap<>();
            long updates = latestInChangelog(broker, changelog, changelogCounts);
            assertThat(changelogCounts).as("the latest value per key in %s", changelog).isEqualTo(expected(2 * LINES));
            assertThat(updates).as("records written to %s", changelog).isGreaterThan(changelogCounts.size());
        }
    }
}
