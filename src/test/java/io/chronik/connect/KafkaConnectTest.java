package io.chronik.connect;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Kafka Connect distributed worker against Chronik: FileStreamSource and FileStreamSink connectors, created
 * over the worker's REST API, copy a file through a topic. The worker keeps its connector configs, source offsets
 * and statuses in three compacted topics; after it is stopped and started again it must read them back: both
 * connectors come back with their latest configs and the source resumes where it stopped, so the output holds every
 * line exactly once.
 * <p>
 * The worker's topics are created here with {@code cleanup.policy=compact} and settings under which a log cleaner
 * cleans them while the test runs: a segment rolls on the first append 100 ms after the segment began
 * ({@code segment.ms}; {@code segment.bytes} is at Kafka's minimum, 1 MiB, which these few records never reach), and a
 * segment is cleanable as soon as 1 % of the log is superseded ({@code min.cleanable.dirty.ratio}). The config topic
 * gets superseded records on purpose (every config update writes the connector's config again).
 */
class KafkaConnectTest {
    private static final String CONFIGS = "connect-configs";
    private static final String OFFSETS = "connect-offsets";
    private static final String STATUS = "connect-status";
    private static final String DATA = "file-lines";
    private static final String SOURCE = "file-source";
    private static final String SINK = "file-sink";
    private static final int FIRST = 200;
    private static final int SECOND = 100;
    private static final int CONFIG_UPDATES = 5;
    /**
     * The source's batch.size, at least the lines of a run: FileStreamSource returns a full batch as soon as it has
     * one and leaves the rest of what it read for the next change of the file.
     */
    private static final int BATCH = 1000;
    private static final Duration WAIT = Duration.ofSeconds(40);

    @TempDir
    Path dataDir;

    @TempDir
    Path work;

    private static Map<String, String> compacted() {
        return Map.of("cleanup.policy", "compact", "segment.ms", "100", "segment.bytes", Integer.toString(1 << 20),
                "min.cleanable.dirty.ratio", "0.01");
    }

    private static void createTopics(TestBroker broker) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            admin.createTopics(List.of(
                    new NewTopic(CONFIGS, 1, (short) 1).configs(compacted()),
                    new NewTopic(OFFSETS, 3, (short) 1).configs(compacted()),
                    new NewTopic(STATUS, 2, (short) 1).configs(compacted()),
                    new NewTopic(DATA, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, String> workerSettings(TestBroker broker) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("bootstrap.servers", broker.bootstrapServers());
        settings.put("group.id", "chronik-connect");
        settings.put("config.storage.topic", CONFIGS);
        settings.put("offset.storage.topic", OFFSETS);
        settings.put("status.storage.topic", STATUS);
        settings.put("config.storage.replication.factor", "1");
        settings.put("offset.storage.replication.factor", "1");
        settings.put("status.storage.replication.factor", "1");
        settings.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        settings.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        // Source offsets are also committed when a task stops; a short interval only makes the first run quicker.
        settings.put("offset.flush.interval.ms", "500");
        settings.put("plugin.discovery", "service_load");
        return settings;
    }

    private static List<String> lines(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> String.format("line %04d of the input", i)).toList();
    }

    private static void append(Path file, List<String> lines) throws IOException {
        Files.write(file, lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static String connector(String name, Map<String, String> config) {
        return ConnectRest.json(Map.of("name", name, "config", config));
    }

    private static Map<String, String> sourceConfig(Path input, int batchSize) {
        return Map.of("connector.class", "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max", "1",
                "file", input.toString(), "topic", DATA, "batch.size", Integer.toString(batchSize));
    }

    private static Map<String, String> sinkConfig(Path output) {
        return Map.of("connector.class", "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max", "1",
                "file", output.toString(), "topics", DATA);
    }

    /** Waits until the output file holds as many lines as expected (or more), then returns what it holds. */
    private static List<String> awaitOutput(Path output, List<String> expected, ConnectWorker worker) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            assertThat(worker.isAlive()).as("the worker is alive; its output:\n%s", worker.outputTail()).isTrue();
            lines = Files.exists(output) ? Files.readAllLines(output) : List.of();
            if (lines.equals(expected) || lines.size() > expected.size()) {
                return lines;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new AssertionError("the output file has " + lines.size() + " of " + expected.size()
                + " lines after " + WAIT.toSeconds() + " s; worker output:\n" + worker.outputTail());
    }

    private static void awaitRunning(ConnectRest rest, String name) throws InterruptedException {
        rest.until("GET", "/connectors/" + name + "/status", null, a -> {
            if (a.status() != 200) {
                return false;
            }
            JsonNode status = a.json();
            JsonNode tasks = status.path("tasks");
            return status.path("connector").path("state").asString().equals("RUNNING") && tasks.size() == 1
                    && tasks.get(0).path("state").asString().equals("RUNNING");
        }, WAIT, name + " and its task RUNNING");
    }

    /** The keys of every record the topic holds, read to its end offsets. */
    private static Set<String> keys(TestBroker broker, String topic, int partitions) {
        List<TopicPartition> tps = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            Set<String> keys = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    keys.add(r.key());
                }
            }
            assertThat(tps).as("read %s to its end offsets %s", topic, end).allMatch(tp -> consumer.position(tp) >= end.get(tp));
            return keys;
        }
    }

    private static long endOffset(TestBroker broker, TopicPartition tp) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    @Test
    void fileConnectorsCopyAFileAndComeBackWithTheirOffsetsAfterTheWorkerRestarts() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(ConnectWorker.LIB), "target/connect-lib is made by the Maven build");
        Path input = work.resolve("input.txt");
        Path output = work.resolve("output.txt");
        append(input, lines(0, FIRST));
        List<String> first = lines(0, FIRST);
        List<String> all = lines(0, FIRST + SECOND);

        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.initial-rebalance-delay", "0s"))) {
            createTopics(broker);
            Map<String, String> settings = workerSettings(broker);

            try (ConnectWorker worker = ConnectWorker.start(work, settings)) {
                ConnectRest rest = new ConnectRest(worker);
                rest.until("POST", "/connectors", connector(SINK, sinkConfig(output)), a -> a.status() == 201, WAIT,
                        "the sink connector created");
                rest.until("POST", "/connectors", connector(SOURCE, sourceConfig(input, BATCH)), a -> a.status() == 201,
                        WAIT, "the source connector created");
                // Superseded records in the config topic: the source's config written again and again.
                for (int update = 1; update <= CONFIG_UPDATES; update++) {
                    int size = BATCH + update;
                    rest.until("PUT", "/connectors/" + SOURCE + "/config", ConnectRest.json(sourceConfig(input, size)),
                            a -> a.status() == 200, WAIT, "the source's config updated to batch.size " + size);
                }
                awaitRunning(rest, SOURCE);
                awaitRunning(rest, SINK);
                assertThat(awaitOutput(output, first, worker)).as("the output after the first run").isEqualTo(first);
                worker.stop();
            }

            long configRecords = endOffset(broker, new TopicPartition(CONFIGS, 0));
            Set<String> configKeys = keys(broker, CONFIGS, 1);
            assertThat(configRecords).as("records written to %s (keys %s)", CONFIGS, configKeys)
                    .isGreaterThan(configKeys.size() + CONFIG_UPDATES);
            assertThat(endOffset(broker, new TopicPartition(DATA, 0))).as("records in %s after the first run", DATA).isEqualTo(FIRST);

            append(input, lines(FIRST, FIRST + SECOND));
            try (ConnectWorker worker = ConnectWorker.start(work, settings)) {
                ConnectRest rest = new ConnectRest(worker);
                rest.until("GET", "/connectors", null,
                        a -> a.status() == 200 && Set.copyOf(stringList(a.json())).equals(Set.of(SOURCE, SINK)), WAIT,
                        "both connectors listed after the restart");
                awaitRunning(rest, SOURCE);
                awaitRunning(rest, SINK);
                JsonNode config = rest.until("GET", "/connectors/" + SOURCE + "/config", null, a -> a.status() == 200, WAIT,
                        "the source's config").json();
                assertThat(config.path("batch.size").asString()).as("the source's latest config").isEqualTo(Integer.toString(BATCH + CONFIG_UPDATES));
                assertThat(awaitOutput(output, all, worker)).as("the output after the restart: each line exactly once").isEqualTo(all);
                worker.stop();
            }
            assertThat(endOffset(broker, new TopicPartition(DATA, 0))).as("records in %s: the source resumed from its offset", DATA)
                    .isEqualTo(FIRST + SECOND);
            assertThat(keys(broker, OFFSETS, 3)).as("the source offsets in %s", OFFSETS).hasSize(1);
        }
    }

    private static List<String> stringList(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(n -> values.add(n.asString()));
        return values;
    }
}
