package io.chronik.broker;

import io.chronik.testing.ChildBroker;
import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker process killed with SIGKILL while its log cleaner works: in the middle of writing a cleaned segment, just
 * after the commit (.swap), and after the swap with the replaced files still on disk. Restarted on the same data, every
 * record read is one that was written at that offset, every key still has its latest value, and cleaning completes.
 */
@Timeout(240)
class CleanerKillTest {
    private static final String TOPIC = "history";

    @TempDir
    Path root;

    /** What the producer placed where: offset -> key and value. */
    private record Placed(String key, String value) {
    }

    @Test
    void aBrokerKilledWhileCleaningComesBackWithEveryKeysHistoryIntact() throws Exception {
        // 1: throttled, killed while a .cleaned file is being written.
        killDuringCleaning(root.resolve("mid-copy"), List.of(), (child, dir) -> hasFile(dir, ".log.cleaned"), true,
                "--chronik.log.cleaner.io-max-bytes-per-second=100KB");
        // 2: killed right after the cleaned segment became .swap (the commit point).
        killDuringCleaning(root.resolve("committed"), List.of("-Dchronik.log.cleaner.test-pause-at=SWAP_COMMITTED"),
                (child, dir) -> child.output().contains("paused at SWAP_COMMITTED") && hasFile(dir, ".log.swap"), false);
        // 3: killed after the swap, the replaced segments still on disk waiting for file.delete.delay.
        killDuringCleaning(root.resolve("swapped"), List.of("-Dchronik.log.cleaner.test-pause-at=SWAPPED_IN"),
                (child, dir) -> child.output().contains("paused at SWAPPED_IN") && hasFile(dir, ".log.deleted"), true);
    }

    private void killDuringCleaning(Path dataDir, List<String> jvmOptions, KillCondition killWhen,
                                    boolean thenCleanToTheEnd, String... args) throws Exception {
        Map<Long, Placed> placed;
        Path partition = dataDir.resolve(TOPIC + "-0");
        List<String> all = new ArrayList<>(List.of("--chronik.log.cleaner.backoff=100ms"));
        all.addAll(List.of(args));
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        jvm.addAll(jvmOptions);
        try (ChildBroker child = ChildBroker.start(dataDir, jvm, all.toArray(String[]::new))) {
            String bootstrap = child.bootstrapServers();
            placed = produce(bootstrap);
            waitFor(() -> killWhen.test(child, partition), "the moment to kill the broker", child);
            child.kill();
        }
        // First without a cleaner, to see exactly what recovery left.
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.log.cleaner.threads", "0"))) {
            List<ConsumerRecord<String, String>> read = readAll(broker);
            Map<String, String> latestRead = new HashMap<>();
            long previous = -1;
            for (ConsumerRecord<String, String> r : read) {
                assertThat(r.offset()).isGreaterThan(previous);
                previous = r.offset();
                assertThat(new Placed(r.key(), r.value())).as("record at offset %d", r.offset())
                        .isEqualTo(placed.get(r.offset()));
                latestRead.put(r.key(), r.value());
            }
            assertThat(latestRead).isEqualTo(latest(placed));
            try (Stream<Path> files = Files.list(partition)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .noneMatch(n -> n.endsWith(".cleaned") || n.endsWith(".swap") || n.endsWith(".deleted"));
            }
        }
        if (!thenCleanToTheEnd) {
            return;
        }
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.log.cleaner.backoff", "100ms"))) {
            // The cleaner picks up where the killed one left: one record per key in the end.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (readAll(broker).size() > latest(placed).size()) {
                assertThat(System.nanoTime()).as("cleaning after the restart").isLessThan(deadline);
                TimeUnit.MILLISECONDS.sleep(100);
            }
            List<ConsumerRecord<String, String>> cleaned = readAll(broker);
            Map<String, String> latestCleaned = new HashMap<>();
            cleaned.forEach(r -> latestCleaned.put(r.key(), r.value()));
            assertThat(latestCleaned).isEqualTo(latest(placed));
        }
    }

    /** 40 keys updated 60 times each (some ending with a tombstone), then a record that rolls the segment. */
    private static Map<Long, Placed> produce(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "segment.bytes", "16384", "segment.ms", "1000", "min.cleanable.dirty.ratio", "0.01"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        props.put("acks", "all");
        props.put("linger.ms", "5");
        Map<Long, Placed> placed = new HashMap<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            List<ProducerRecord<String, String>> records = new ArrayList<>();
            for (int round = 0; round < 60; round++) {
                for (int k = 0; k < 40; k++) {
                    boolean delete = round == 59 && k % 5 == 0;
                    records.add(new ProducerRecord<>(TOPIC, 0, "key-" + k,
                            delete ? null : "value-" + k + "-" + round + "-" + "z".repeat(40)));
                }
            }
            send(producer, records, placed);
            send(producer, List.of(new ProducerRecord<>(TOPIC, 0, System.currentTimeMillis() + 60_000, "roll", "roll")),
                    placed);
        }
        return placed;
    }

    private static void send(KafkaProducer<String, String> producer, List<ProducerRecord<String, String>> records,
                             Map<Long, Placed> placed) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (ProducerRecord<String, String> r : records) {
            acks.add(producer.send(r));
        }
        for (int i = 0; i < records.size(); i++) {
            placed.put(acks.get(i).get(30, TimeUnit.SECONDS).offset(), new Placed(records.get(i).key(), records.get(i).value()));
        }
    }

    private static Map<String, String> latest(Map<Long, Placed> placed) {
        Map<String, String> latest = new HashMap<>();
        placed.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> latest.put(e.getValue().key(), e.getValue().value()));
        return latest;
    }

    private static List<ConsumerRecord<String, String>> readAll(TestBroker broker) {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        Properties props = broker.clientProperties();
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        props.put("max.poll.records", "5000");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(tp) < end) {
                assertThat(System.nanoTime()).as("reading to offset %d", end).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            }
            return records;
        }
    }

    @FunctionalInterface
    private interface KillCondition {
        boolean test(ChildBroker child, Path partitionDir) throws IOException;
    }

    private static boolean hasFile(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(suffix));
        }
    }

    private static void waitFor(BooleanSupplierWithIo condition, String what, ChildBroker child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.get()) {
            assertThat(child.awaitExit(0, TimeUnit.MILLISECONDS)).as("broker exited early:\n%s", child.output()).isNull();
            assertThat(System.nanoTime()).as("timed out waiting for %s; output:\n%s", what, child.output())
                    .isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    @FunctionalInterface
    private interface BooleanSupplierWithIo {
        boolean get() throws IOException;
    }
}
