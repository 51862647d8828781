package io.chronik.log;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Fetch sends from the segment's open, reference-counted channel: every reference a fetch takes is given back on
 * every path (sent, connection closed, long poll cancelled or re-read), and a response queued behind a slow reader
 * survives the deletion of its segment.
 */
@Timeout(120)
class FetchFileReferencesTest {
    private static final short FETCH_VERSION = 12;

    @TempDir
    Path dataDir;
    TestBroker broker;

    @BeforeEach
    void start() {
        broker = TestBroker.start(dataDir, Map.of("chronik.storage.file-delete-delay", "0ms"));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void everyPathGivesTheSegmentFilesBack() throws Exception {
        Clients.createTopic(broker, "refs", 3);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>("refs", i % 3, null, "v" + i + "x".repeat(500)));
            }
            producer.flush();
        }
        // Sent: a consumer reads everything.
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("max.partition.fetch.bytes", "4096"))) {
            List<TopicPartition> tps = List.of(new TopicPartition("refs", 0), new TopicPartition("refs", 1),
                    new TopicPartition("refs", 2));
            assertThat(Clients.readAll(consumer, tps, 300, Duration.ofSeconds(30))).hasSize(300);
        }
        awaitNoReferences();

        // Connection closed with responses unread and requests still in flight.
        for (int round = 0; round < 5; round++) {
            try (RawKafkaClient client = new RawKafkaClient(broker.port(), 4096)) {
                for (int i = 0; i < 40; i++) {
                    client.send(fetch("refs", i % 3, 0, 1, 1 << 20, 0), FETCH_VERSION, i);
                }
            }
        }
        awaitNoReferences();

        // A long poll whose reads below min_bytes are discarded on each append, one closed while it waits.
        try (RawKafkaClient waiting = new RawKafkaClient(broker.port())) {
            waiting.send(fetch("refs", 0, 0, 100 << 20, 100 << 20, 10_000), FETCH_VERSION, 1);
        }
        try (RawKafkaClient polling = new RawKafkaClient(broker.port());
             KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("linger.ms", "0"))) {
            polling.send(fetch("refs", 1, 0, 100 << 20, 100 << 20, 2_000), FETCH_VERSION, 7);
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>("refs", 1, null, "more" + i)).get(30, TimeUnit.SECONDS);
            }
            RawKafkaClient.Response response = polling.receive(ApiKeys.FETCH.responseHeaderVersion(FETCH_VERSION));
            assertThat(response.correlationId()).isEqualTo(7);
            assertThat(values(parse(response)).size()).isEqualTo(105);
        }
        awaitNoReferences();
        assertThat(openDeletedFiles()).isEmpty();
    }

    @Test
    void aResponseQueuedBehindASlowReaderSurvivesTheDeletionOfItsSegment() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "counts open files in /proc/self/fd");
        int valueSize = 10_000;
        int count = 1600; // ~16 MB: far more than the socket buffers hold
        try (Admin admin = Clients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("slow", 1, (short) 1)
                    .configs(Map.of("segment.bytes", Integer.toString(count * (valueSize + 100)))))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("batch.size", "65536"))) {
            for (int i = 0; i < count + 20; i++) {
                String value = i + ":" + "s".repeat(valueSize);
                sent.add(value);
                producer.send(new ProducerRecord<>("slow", 0, null, value));
            }
            producer.flush();
        }
        Log log = broker.bean(LogManager.class).log("slow", 0).orElseThrow();
        assertThat(log.segmentCount()).isGreaterThan(1);
        long secondBase = log.segmentBaseOffsets().get(1);
        Path first = LogSegment.logPath(log.dir(), 0);

        try (RawKafkaClient slow = new RawKafkaClient(broker.port(), 4096)) {
            slow.send(fetch("slow", 0, 0, 1, 64 << 20, 0), FETCH_VERSION, 1);
            // The response is being sent: its first bytes arrived, most of it waits in the broker.
            await(() -> available(slow) > 0, "the response starts arriving");
            try (Admin admin = Clients.admin(broker)) {
                admin.deleteRecords(Map.of(new TopicPartition("slow", 0), RecordsToDelete.beforeOffset(secondBase)))
                        .all().get(30, TimeUnit.SECONDS);
            }
            FileSliceTest.awaitGone(first);
            FileSliceTest.awaitGone(first.resolveSibling(first.getFileName() + ".deleted"));
            assertThat(openDeletedFiles()).as("the deleted segment is still open for the queued response").isNotEmpty();

            FetchResponseData response = parse(slow.receive(ApiKeys.FETCH.responseHeaderVersion(FETCH_VERSION)));
            List<String> values = values(response);
            assertThat(values).hasSize((int) secondBase);
            assertThat(values).isEqualTo(sent.subList(0, (int) secondBase));
        }
        awaitNoReferences();
        await(() -> openDeletedFiles().isEmpty(), "the deleted segment's file is closed");
    }

    @Test
    void aConsumerOfADeletedTopicGetsOnlyTheNewTopicsRecordsOnceItIsRecreated() throws Exception {
        Clients.createTopic(broker, "reborn", 1);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("reborn", 0, null, "old-" + i));
            }
            producer.flush();
        }
        TopicPartition tp = new TopicPartition("reborn", 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("allow.auto.create.topics", "false"))) {
            List<ConsumerRecord<String, String>> old = Clients.readAll(consumer, List.of(tp), 100, Duration.ofSeconds(30));
            assertThat(old).hasSize(100);
            // The consumer keeps fetching at the old topic's end while it is deleted and created again.
            consumer.poll(Duration.ofMillis(100));
            try (Admin admin = Clients.admin(broker)) {
                admin.deleteTopics(List.of("reborn")).all().get(30, TimeUnit.SECONDS);
                consumer.poll(Duration.ofMillis(200));
                admin.createTopics(List.of(new NewTopic("reborn", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("reborn", 0, null, "new-" + i));
                }
                producer.flush();
            }
            List<ConsumerRecord<String, String>> after = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (after.size() < 10 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(after::add);
            }
            assertThat(after).extracting(ConsumerRecord::value)
                    .containsExactly("new-0", "new-1", "new-2", "new-3", "new-4", "new-5", "new-6", "new-7", "new-8",
                            "new-9");
            assertThat(after).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        }
        awaitNoReferences();
    }

    static FetchRequestData fetch(String topic, int partition, long offset, int minBytes, int maxBytes, int maxWaitMs) {
        FetchRequestData fetch = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes)
                .setMaxBytes(maxBytes).setIsolationLevel((byte) 0);
        FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic().setTopic(topic);
        t.partitions().add(new FetchRequestData.FetchPartition().setPartition(partition).setFetchOffset(offset)
                .setPartitionMaxBytes(maxBytes).setLogStartOffset(-1));
        fetch.topics().add(t);
        return fetch;
    }

    static FetchResponseData parse(RawKafkaClient.Response response) {
        return new FetchResponseData(new ByteBufferAccessor(response.body()), FETCH_VERSION);
    }

    static List<String> values(FetchResponseData response) {
        List<String> values = new ArrayList<>();
        for (FetchResponseData.FetchableTopicResponse topic : response.responses()) {
            for (FetchResponseData.PartitionData partition : topic.partitions()) {
                assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
                for (RecordBatch batch : ((MemoryRecords) partition.records()).batches()) {
                    for (Record record : batch) {
                        values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
                    }
                }
            }
        }
        return values;
    }

    private int references() {
        LogManager logs = broker.bean(LogManager.class);
        int n = 0;
        for (TopicInfo topic : logs.topics()) {
            for (int p = 0; p < topic.partitions(); p++) {
                n += logs.log(topic.name(), p).map(Log::sliceReferences).orElse(0);
            }
        }
        return n;
    }

    private void awaitNoReferences() throws InterruptedException {
        await(() -> references() == 0, "every slice released");
    }

    /** Files of the data directory this process still has open although they were deleted or renamed for deletion. */
    private List<String> openDeletedFiles() {
        List<String> open = new ArrayList<>();
        String root = dataDir.toAbsolutePath().toString();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(root) && (target.endsWith(" (deleted)") || target.contains(".deleted")
                            || target.contains("-delete/"))) {
                        open.add(target);
                    }
                } catch (IOException ignored) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return open;
    }

    private static int available(RawKafkaClient client) {
        try {
            return client.socket().getInputStream().available();
        } catch (IOException e) {
            return 0;
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting until " + what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
