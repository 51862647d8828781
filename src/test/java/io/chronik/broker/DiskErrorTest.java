package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A full disk: the affected produce gets KAFKA_STORAGE_ERROR and its partition goes offline until a restart, nothing
 * half-written is visible, the broker and its other partitions stay up.
 */
class DiskErrorTest {
    @TempDir
    Path dataDir;

    @Test
    void fullDiskFailsTheAppendWithStorageErrorAndLeavesEverythingElseWorking() throws Exception {
        assumeTrue(Files.isWritable(Path.of("/dev/full")), "needs /dev/full to simulate a full disk");
        try (TestBroker broker = TestBroker.start(dataDir)) {
            try (Admin admin = Clients.admin(broker)) {
                admin.createTopics(List.of(new NewTopic("full", 1, (short) 1).configs(Map.of("segment.bytes", "1024"))))
                        .all().get(30, TimeUnit.SECONDS);
            }
            String value = "x".repeat(100);
            short version = 9;
            try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
                for (int i = 0; i < 5; i++) {
                    assertThat(produce(client, value + i, i, version)).isEqualTo(Errors.NONE);
                }
                // The next batch rolls a new segment at offset 5; make that file a device that is always full.
                Files.createSymbolicLink(dataDir.resolve("full-0").resolve(String.format("%020d.log", 5)), Path.of("/dev/full"));
                int failures = 0;
                for (int i = 5; i < 8; i++) {
                    Errors error = produce(client, value + i, i, version);
                    if (error == Errors.KAFKA_STORAGE_ERROR) {
                        failures++;
                    } else {
                        assertThat(error).isEqualTo(Errors.NONE);
                    }
                }
                assertThat(failures).as("appends that hit the full disk").isPositive();
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                assertThat(producer.send(new ProducerRecord<>("healthy", "k", "v")).get(30, TimeUnit.SECONDS).offset())
                        .as("other partitions keep working").isZero();
            }
            // The partition is offline until a restart: even reads of what was written before are refused.
            try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
                short fetchVersion = 12;
                FetchRequestData fetch = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
                        .setMaxBytes(1 << 20);
                FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic().setTopic("full");
                t.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                        .setPartitionMaxBytes(1 << 20));
                fetch.topics().add(t);
                client.send(fetch, fetchVersion, 99);
                RawKafkaClient.Response response = client.receive(ApiKeys.FETCH.responseHeaderVersion(fetchVersion));
                FetchResponseData data = new FetchResponseData(new ByteBufferAccessor(response.body()), fetchVersion);
                assertThat(Errors.forCode(data.responses().get(0).partitions().get(0).errorCode()))
                        .isEqualTo(Errors.KAFKA_STORAGE_ERROR);
            }
            // The disk is repaired and the broker restarted: recovery brings the partition back.
            Files.delete(dataDir.resolve("full-0").resolve(String.format("%020d.log", 5)));
            broker.restart();
            TopicPartition tp = new TopicPartition("full", 0);
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, List.of(tp), 5, Duration.ofSeconds(20));
                assertThat(records).extracting(ConsumerRecord::value).containsExactly(value + 0, value + 1, value + 2, value + 3, value + 4);
                assertThat(consumer.endOffsets(List.of(tp)).get(tp)).as("nothing half-written is visible").isEqualTo(5);
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                assertThat(producer.send(new ProducerRecord<>("full", 0, null, "again")).get(30, TimeUnit.SECONDS).offset())
                        .isEqualTo(5);
            }
        }
    }

    private static Errors produce(RawKafkaClient client, String value, int correlationId, short version) throws Exception {
        client.send(PipeliningTest.produce("full", 0, (short) 1, value), version, correlationId);
        RawKafkaClient.Response response = client.receive(ApiKeys.PRODUCE.responseHeaderVersion(version));
        assertThat(response.correlationId()).isEqualTo(correlationId);
        ProduceResponseData data = new ProduceResponseData(new ByteBufferAccessor(response.body()), version);
        return Errors.forCode(data.responses().iterator().next().partitionResponses().get(0).errorCode());
    }
}
