package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions as partition leaders and consumers see them, through the wire: transactional batches produced raw,
 * COMMIT/ABORT markers written with WriteTxnMarkers (as a transaction coordinator sends them), and Java consumers
 * reading with isolation.level read_committed and read_uncommitted, across a broker restart.
 */
@Timeout(180)
class TransactionalFetchTest {
    private static final TopicPartition TP = new TopicPartition("txn", 0);

    @TempDir
    Path dataDir;

    private int correlationId;

    @Test
    void readCommittedConsumersSeeExactlyTheCommittedAndNonTransactionalRecords() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "txn", 1);
            try (RawKafkaClient raw = new RawKafkaClient(broker.port())) {
                assertThat(produce(raw, MemoryRecords.withTransactionalRecords(Compression.NONE, 1000L, (short) 0, 0,
                        records("a1", "a2")))).isZero();
                assertThat(produce(raw, MemoryRecords.withRecords(Compression.NONE, records("p1")))).isEqualTo(2);
                assertThat(produce(raw, MemoryRecords.withTransactionalRecords(Compression.NONE, 2000L, (short) 0, 0,
                        records("b1")))).isEqualTo(3);
                assertThat(marker(raw, 1000L, (short) 0, true, "txn")).isEqualTo(Errors.NONE);
                assertThat(marker(raw, 2000L, (short) 0, false, "txn")).isEqualTo(Errors.NONE);
                // Each marker took one offset (4 and 5).
                assertThat(produce(raw, MemoryRecords.withRecords(Compression.NONE, records("p2")))).isEqualTo(6);
            }
            assertThat(values(broker, "read_committed", 7)).containsExactly("a1", "a2", "p1", "p2");
            assertThat(values(broker, "read_uncommitted", 7)).containsExactly("a1", "a2", "p1", "b1", "p2");
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(7);
            try (Stream<Path> files = Files.list(dataDir.resolve("txn-0"))) {
                assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".txnindex"));
            }

            broker.restart();
            assertThat(values(broker, "read_committed", 7)).containsExactly("a1", "a2", "p1", "p2");
            assertThat(values(broker, "read_uncommitted", 7)).containsExactly("a1", "a2", "p1", "b1", "p2");
        }
    }

    @Test
    void anOpenTransactionHoldsReadCommittedConsumersAtTheLastStableOffset() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "txn", 1);
            try (RawKafkaClient raw = new RawKafkaClient(broker.port())) {
                produce(raw, MemoryRecords.withRecords(Compression.NONE, records("x1")));
                assertThat(produce(raw, MemoryRecords.withTransactionalRecords(Compression.NONE, 3000L, (short) 1, 0,
                        records("c1")))).isEqualTo(1);
                produce(raw, MemoryRecords.withRecords(Compression.NONE, records("x2")));
            }
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
            assertThat(latest(broker, IsolationLevel.READ_UNCOMMITTED)).isEqualTo(3);
            assertHeldAtLastStableOffset(broker);
            assertThat(values(broker, "read_uncommitted", 3)).containsExactly("x1", "c1", "x2");

            broker.restart(); // the producer state snapshot keeps the open transaction
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
            assertHeldAtLastStableOffset(broker);

            try (RawKafkaClient raw = new RawKafkaClient(broker.port())) {
                assertThat(marker(raw, 3000L, (short) 0, true, "txn")).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
                assertThat(marker(raw, 3000L, (short) 1, true, "no-such-topic"))
                        .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
                assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
                assertThat(marker(raw, 3000L, (short) 1, true, "txn")).isEqualTo(Errors.NONE);
            }
            assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(4);
            assertThat(values(broker, "read_committed", 4)).containsExactly("x1", "c1", "x2");
        }
    }

    /** A read_committed consumer gets x1, reaches the LSO (1) and stays there; its end offset is the LSO too. */
    private static void assertHeldAtLastStableOffset(TestBroker broker) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker,
                Map.of("isolation.level", "read_committed"))) {
            List<String> seen = readUntil(consumer, 1);
            for (int i = 0; i < 5; i++) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.value()));
            }
            assertThat(seen).containsExactly("x1");
            assertThat(consumer.position(TP)).isEqualTo(1);
            assertThat(consumer.endOffsets(List.of(TP))).containsEntry(TP, 1L);
        }
    }

    /** Every value from the beginning until the consumer's position reaches {@code end}. */
    private static List<String> values(TestBroker broker, String isolation, long end) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", isolation))) {
            return readUntil(consumer, end);
        }
    }

    private static List<String> readUntil(KafkaConsumer<String, String> consumer, long end) {
        consumer.assign(List.of(TP));
        consumer.seekToBeginning(List.of(TP));
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.position(TP) < end) {
            assertThat(System.nanoTime()).as("position %s never reached %s", consumer.position(TP), end)
                    .isLessThan(deadline);
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                seen.add(record.value());
            }
        }
        return seen;
    }

    private static long latest(TestBroker broker, IsolationLevel isolation) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            return admin.listOffsets(Map.of(TP, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
                    .get(30, TimeUnit.SECONDS).get(TP).offset();
        }
    }

    private static SimpleRecord[] records(String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    /** Produces {@code batch} to txn-0 with acks=all; returns its base offset (asserting no error). */
    private long produce(RawKafkaClient raw, MemoryRecords batch) throws Exception {
        short version = 9;
        ProduceRequestData request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000)
                .setTransactionalId(batch.batches().iterator().next().isTransactional() ? "tx" : null);
        ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName("txn");
        topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
        request.topicData().add(topicData);
        raw.send(request, version, ++correlationId);
        RawKafkaClient.Response response = raw.receive(ApiKeys.PRODUCE.responseHeaderVersion(version));
        ProduceResponseData.PartitionProduceResponse partition = new ProduceResponseData(
                new ByteBufferAccessor(response.body()), version).responses().iterator().next().partitionResponses().get(0);
        assertThat(Errors.forCode(partition.errorCode())).as(partition.errorMessage()).isEqualTo(Errors.NONE);
        return partition.baseOffset();
    }

    /** Writes a COMMIT ({@code commit}) or ABORT marker to {@code topic}-0 with WriteTxnMarkers v1; its error. */
    private Errors marker(RawKafkaClient raw, long producerId, short epoch, boolean commit, String topic)
            throws Exception {
        short version = 1;
        WriteTxnMarkersRequestData request = new WriteTxnMarkersRequestData();
        request.markers().add(new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(producerId)
                .setProducerEpoch(epoch).setTransactionResult(commit).setCoordinatorEpoch(0)
                .setTopics(List.of(new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(topic)
                        .setPartitionIndexes(List.of(0)))));
        raw.send(request, version, ++correlationId);
        RawKafkaClient.Response response = raw.receive(ApiKeys.WRITE_TXN_MARKERS.responseHeaderVersion(version));
        WriteTxnMarkersResponseData data = new WriteTxnMarkersResponseData(new ByteBufferAccessor(response.body()),
                version);
        WriteTxnMarkersResponseData.WritableTxnMarkerResult result = data.markers().get(0);
        assertThat(result.producerId()).isEqualTo(producerId);
        assertThat(result.topics().get(0).name()).isEqualTo(topic);
        return Errors.forCode(result.topics().get(0).partitions().get(0).errorCode());
    }
}
