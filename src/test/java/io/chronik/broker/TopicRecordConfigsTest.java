package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.FileRecords;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Topic settings that act on the records of a produce: compression.type and message.timestamp.*. */
class TopicRecordConfigsTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dataDir);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aGzipTopicStoresGzipWhateverTheProducerSentAndConsumersReadItBack() throws Exception {
        createTopic("gzipped", Map.of("compression.type", "gzip"));
        long t0 = 1_700_000_000_000L;
        int perProducer = 300;
        for (String codec : List.of("lz4", "none")) {
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("compression.type", codec,
                    "linger.ms", "50"))) {
                for (int i = 0; i < perProducer; i++) {
                    RecordHeaders headers = new RecordHeaders();
                    headers.add("codec", codec.getBytes(StandardCharsets.UTF_8));
                    producer.send(new ProducerRecord<>("gzipped", 0, t0 + i, codec + "-k" + i, codec + "-v" + i, headers));
                }
                producer.flush();
            }
        }
        List<CompressionType> stored = storedCodecs(dataDir.resolve("gzipped-0"));
        assertThat(stored).isNotEmpty().containsOnly(CompressionType.GZIP);
        assertThat(stored.size()).as("batches were kept, not split per record").isLessThan(perProducer);

        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> records = Clients.readAll(consumer,
                    List.of(new TopicPartition("gzipped", 0)), 2 * perProducer, Duration.ofSeconds(30));
            assertThat(records).hasSize(2 * perProducer);
            for (int n = 0; n < records.size(); n++) {
                ConsumerRecord<String, String> r = records.get(n);
                String codec = n < perProducer ? "lz4" : "none";
                int i = n % perProducer;
                assertThat(r.offset()).isEqualTo(n);
                assertThat(r.key()).isEqualTo(codec + "-k" + i);
                assertThat(r.value()).isEqualTo(codec + "-v" + i);
                assertThat(r.timestamp()).isEqualTo(t0 + i);
                assertThat(new String(r.headers().lastHeader("codec").value(), StandardCharsets.UTF_8)).isEqualTo(codec);
            }
        }
    }

    @Test
    void recordsOutsideTheTimestampRangeFailWithInvalidTimestampException() throws Exception {
        createTopic("recent-only", Map.of("message.timestamp.before.max.ms", "60000",
                "message.timestamp.after.max.ms", "60000"));
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("linger.ms", "0"))) {
            long now = System.currentTimeMillis();
            assertThat(producer.send(new ProducerRecord<>("recent-only", 0, now, "k", "fresh")).get(30, TimeUnit.SECONDS)
                    .offset()).isZero();
            for (long ts : new long[] {now - 3_600_000, now + 3_600_000}) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("recent-only", 0, ts, "k", "stale"))
                        .get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidTimestampException.class);
            }
            assertThat(producer.send(new ProducerRecord<>("recent-only", 0, now + 1000, "k", "fresh")).get(30, TimeUnit.SECONDS)
                    .offset()).isEqualTo(1);
        }
    }

    private static void createTopic(String name, Map<String, String> configs) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(configs))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** The codec of every batch stored in a partition directory's segment files. */
    static List<CompressionType> storedCodecs(Path partitionDir) throws Exception {
        List<CompressionType> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(partitionDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                try (FileRecords records = FileRecords.open(file.toFile())) {
                    records.batches().forEach(b -> out.add(b.compressionType()));
                }
            }
        }
        return out;
    }
}
