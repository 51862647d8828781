package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java client's default idempotent producer, pipelining five requests per connection. */
class IdempotentProducerTest {
    @TempDir
    Path dataDir;

    @Test
    void twoHundredThousandRecordsAreReadExactlyOnceAndInOrderPerPartition() throws Exception {
        int count = 200_000;
        int partitions = 3;
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "idem", partitions);
            AtomicReference<Exception> failure = new AtomicReference<>();
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    "enable.idempotence", "true", "acks", "all", "max.in.flight.requests.per.connection", "5",
                    "batch.size", "16384", "linger.ms", "2"))) {
                for (int i = 0; i < count; i++) {
                    int partition = i % partitions;
                    producer.send(new ProducerRecord<>("idem", partition, null, partition + ":" + i / partitions),
                            (metadata, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                }
                            });
                }
                producer.flush();
            }
            assertThat(failure.get()).isNull();

            List<TopicPartition> tps = List.of(new TopicPartition("idem", 0), new TopicPartition("idem", 1),
                    new TopicPartition("idem", 2));
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("max.poll.records", "5000"))) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, tps, count, Duration.ofSeconds(120));
                assertThat(records).hasSize(count);
                Map<Integer, Integer> next = new HashMap<>();
                for (ConsumerRecord<String, String> record : records) {
                    int expected = next.getOrDefault(record.partition(), 0);
                    assertThat(record.value()).isEqualTo(record.partition() + ":" + expected);
                    assertThat(record.offset()).isEqualTo(expected);
                    next.put(record.partition(), expected + 1);
                }
                assertThat(next.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
            }
        }
    }
    /**
     * Two produces of one producer in flight to a partition that has never held a record: if the first was refused
     * (NOT_LEADER_OR_FOLLOWER while the partition was being set up), the second must not be taken at its sequence,
     * or every retry of the first would be refused as out of order. It is refused, the first is taken when retried,
     * and then the second; a Java producer writes to the same partition afterwards as usual.
     */
    @Test
    void aNeverWrittenPartitionTakesAnUnknownProducerOnlyFromSequenceZero() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "fresh", 1);
            try (RawKafkaClient raw = new RawKafkaClient(broker.port())) {
                ProduceResponseData.PartitionProduceResponse second = produce(raw, 1, 3, "c", "d");
                assertThat(Errors.forCode(second.errorCode())).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
                assertThat(second.errorMessage()).contains("never held a record");
                ProduceResponseData.PartitionProduceResponse first = produce(raw, 2, 0, "a", "b", "c");
                assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.NONE);
                assertThat(first.baseOffset()).isZero();
                ProduceResponseData.PartitionProduceResponse retried = produce(raw, 3, 3, "d", "e");
                assertThat(Errors.forCode(retried.errorCode())).isEqualTo(Errors.NONE);
                assertThat(retried.baseOffset()).isEqualTo(3);
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("enable.idempotence", "true",
                    "acks", "all"))) {
                assertThat(producer.send(new ProducerRecord<>("fresh", 0, null, "f")).get(30, TimeUnit.SECONDS).offset())
                        .isEqualTo(5);
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                assertThat(Clients.readAll(consumer, List.of(new TopicPartition("fresh", 0)), 6, Duration.ofSeconds(30)))
                        .extracting(ConsumerRecord::value).containsExactly("a", "b", "c", "d", "e", "f");
            }
        }
    }

    /** One idempotent batch of producer 4242, epoch 0, starting at {@code sequence}, through Produce v9. */
    private static ProduceResponseData.PartitionProduceResponse produce(RawKafkaClient raw, int correlationId,
                                                                         int sequence, String... values) throws Exception {
        short version = 9;
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        MemoryRecords batch = MemoryRecords.withIdempotentRecords(Compression.NONE, 4242L, (short) 0, sequence, records);
        ProduceRequestData request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName("fresh");
        topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
        request.topicData().add(topicData);
        raw.send(request, version, correlationId);
        RawKafkaClient.Response response = raw.receive(ApiKeys.PRODUCE.responseHeaderVersion(version));
        return new ProduceResponseData(new ByteBufferAccessor(response.body()), version).responses().iterator().next()
                .partitionResponses().get(0);
    }
}
