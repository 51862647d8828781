package io.chronik.log;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A disk error on one partition's files, through real clients: that partition answers KAFKA_STORAGE_ERROR
 * (KafkaStorageException in the Java client) to everything until the broker restarts; the others keep working.
 */
@Timeout(120)
class StorageErrorTest {
    @TempDir
    Path dataDir;

    @AfterEach
    void healTheDisk() {
        LogSegment.faults = LogSegment.Faults.NONE;
    }

    @Test
    void aPartitionWhoseFsyncOrWriteFailedIsOfflineUntilARestartWhileOthersKeepWorking() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "failing", 2);
            Clients.createTopic(broker, "healthy", 1);
            Map<String, Object> noRetries = Map.of("retries", "0", "enable.idempotence", "false", "linger.ms", "0",
                    "acks", "all");
            LogManager logs = broker.bean(LogManager.class);
            Path fsyncFails = logs.log("failing", 0).orElseThrow().dir();
            Path writeFails = logs.log("failing", 1).orElseThrow().dir();
            try (KafkaProducer<String, String> producer = Clients.producer(broker, noRetries);
                 KafkaProducer<String, String> acksOne = Clients.producer(broker, Map.of("retries", "0",
                         "enable.idempotence", "false", "linger.ms", "0", "acks", "1"))) {
                producer.send(new ProducerRecord<>("failing", 0, null, "before-0")).get(30, TimeUnit.SECONDS);
                producer.send(new ProducerRecord<>("failing", 1, null, "before-1")).get(30, TimeUnit.SECONDS);

                LogSegment.faults = new LogSegment.Faults() {
                    @Override
                    public void beforeSync(Path file) throws java.io.IOException {
                        if (file.startsWith(fsyncFails)) {
                            throw new java.io.IOException("Input/output error (injected fsync failure)");
                        }
                    }

                    @Override
                    public void beforeWrite(Path file) throws java.io.IOException {
                        if (file.startsWith(writeFails)) {
                            throw new java.io.IOException("Input/output error (injected write failure)");
                        }
                    }
                };
                assertStorageException(producer, 0, "lost-0");
                assertStorageException(acksOne, 1, "lost-1");
                // The disk works again: the partitions stay offline until a restart recovers them.
                LogSegment.faults = LogSegment.Faults.NONE;
                assertStorageException(producer, 0, "after-0");
                assertStorageException(acksOne, 1, "after-1");

                assertThat(producer.send(new ProducerRecord<>("healthy", 0, null, "fine")).get(30, TimeUnit.SECONDS)
                        .offset()).isZero();
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                assertThat(Clients.readAll(consumer, List.of(new TopicPartition("healthy", 0)), 1, Duration.ofSeconds(20)))
                        .extracting(ConsumerRecord::value).containsExactly("fine");
            }
            try (RawKafkaClient raw = new RawKafkaClient(broker.port())) {
                for (int p = 0; p < 2; p++) {
                    MetadataResponseData.MetadataResponsePartition meta = metadata(raw, "failing").partitions().get(p);
                    assertThat(Errors.forCode(meta.errorCode())).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
                    assertThat(meta.offlineReplicas()).containsExactly(0);
                    assertThat(meta.leaderId()).isZero();
                    assertThat(listOffsets(raw, "failing", p)).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
                    assertThat(fetch(raw, "failing", p)).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
                    assertThat(deleteRecords(raw, "failing", p)).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
                    // Clients too old to know KAFKA_STORAGE_ERROR are told to refresh their metadata, as Kafka does.
                    assertThat(produceV3(raw, "failing", p)).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
                    assertThat(fetch(raw, "failing", p, (short) 5)).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
                }
                MetadataResponseData.MetadataResponsePartition healthy = metadata(raw, "healthy").partitions().get(0);
                assertThat(Errors.forCode(healthy.errorCode())).isEqualTo(Errors.NONE);
                assertThat(healthy.offlineReplicas()).isEmpty();
                assertThat(listOffsets(raw, "healthy", 0)).isEqualTo(Errors.NONE);
                assertThat(fetch(raw, "healthy", 0)).isEqualTo(Errors.NONE);
            }

            broker.restart();
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int p = 0; p < 2; p++) {
                    producer.send(new ProducerRecord<>("failing", p, null, "recovered-" + p)).get(30, TimeUnit.SECONDS);
                }
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                for (int p = 0; p < 2; p++) {
                    TopicPartition tp = new TopicPartition("failing", p);
                    long end = consumer.endOffsets(List.of(tp)).get(tp);
                    List<String> values = Clients.readAll(consumer, List.of(tp), (int) end, Duration.ofSeconds(20))
                            .stream().map(ConsumerRecord::value).toList();
                    assertThat(values).startsWith("before-" + p).endsWith("recovered-" + p).hasSize((int) end);
                }
            }
        }
    }

    private static void assertStorageException(KafkaProducer<String, String> producer, int partition, String value) {
        assertThatThrownBy(() -> producer.send(new ProducerRecord<>("failing", partition, null, value)).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(KafkaStorageException.class);
    }

    private static MetadataResponseData.MetadataResponseTopic metadata(RawKafkaClient raw, String topic) throws Exception {
        short version = 12;
        MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(false)
                .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(topic)));
        raw.send(request, version, 1);
        RawKafkaClient.Response response = raw.receive(ApiKeys.METADATA.responseHeaderVersion(version));
        return new MetadataResponseData(new ByteBufferAccessor(response.body()), version).topics().iterator().next();
    }

    private static Errors listOffsets(RawKafkaClient raw, String topic, int partition) throws Exception {
        short version = 7;
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(
                new ListOffsetsRequestData.ListOffsetsTopic().setName(topic).setPartitions(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(partition).setTimestamp(-1)))));
        raw.send(request, version, 2);
        RawKafkaClient.Response response = raw.receive(ApiKeys.LIST_OFFSETS.responseHeaderVersion(version));
        return Errors.forCode(new ListOffsetsResponseData(new ByteBufferAccessor(response.body()), version).topics().get(0)
                .partitions().get(0).errorCode());
    }

    private static Errors fetch(RawKafkaClient raw, String topic, int partition) throws Exception {
        return fetch(raw, topic, partition, (short) 12);
    }

    private static Errors produceV3(RawKafkaClient raw, String topic, int partition) throws Exception {
        short version = 3;
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(System.currentTimeMillis(), null, "old client".getBytes(StandardCharsets.UTF_8)));
        ProduceRequestData request = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName(topic);
        topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records));
        request.topicData().add(topicData);
        raw.send(request, version, 5);
        RawKafkaClient.Response response = raw.receive(ApiKeys.PRODUCE.responseHeaderVersion(version));
        return Errors.forCode(new ProduceResponseData(new ByteBufferAccessor(response.body()), version).responses()
                .iterator().next().partitionResponses().get(0).errorCode());
    }

    private static Errors fetch(RawKafkaClient raw, String topic, int partition, short version) throws Exception {
        raw.send(FetchFileReferencesTest.fetch(topic, partition, 0, 1, 1 << 20, 0), version, 3);
        RawKafkaClient.Response response = raw.receive(ApiKeys.FETCH.responseHeaderVersion(version));
        return Errors.forCode(new FetchResponseData(new ByteBufferAccessor(response.body()), version).responses().get(0)
                .partitions().get(0).errorCode());
    }

    private static Errors deleteRecords(RawKafkaClient raw, String topic, int partition) throws Exception {
        short version = 2;
        DeleteRecordsRequestData request = new DeleteRecordsRequestData().setTimeoutMs(10_000).setTopics(List.of(
                new DeleteRecordsRequestData.DeleteRecordsTopic().setName(topic).setPartitions(List.of(
                        new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(partition).setOffset(1)))));
        raw.send(request, version, 4);
        RawKafkaClient.Response response = raw.receive(ApiKeys.DELETE_RECORDS.responseHeaderVersion(version));
        return Errors.forCode(new DeleteRecordsResponseData(new ByteBufferAccessor(response.body()), version).topics()
                .iterator().next().partitions().iterator().next().errorCode());
    }
}
