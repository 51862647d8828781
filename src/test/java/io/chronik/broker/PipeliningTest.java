package io.chronik.broker;

import io.chronik.server.KafkaServer;
import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The connection pipeline seen from a raw socket: ordering, pipelining and backpressure. */
class PipeliningTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() throws Exception {
        // Small socket buffers (no kernel autotuning) so that backpressure shows within a few MB.
        broker = TestBroker.start(dataDir, Map.of("chronik.listener.send-buffer-size", "32KB",
                "chronik.listener.receive-buffer-size", "32KB"));
        Clients.createTopic(broker, "pipe", 3);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static ProduceRequestData produce(String topic, int partition, short acks, String value) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(System.currentTimeMillis(), null, value.getBytes(StandardCharsets.UTF_8)));
        ProduceRequestData request = new ProduceRequestData().setAcks(acks).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName(topic);
        topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records));
        request.topicData().add(topicData);
        return request;
    }

    @Test
    void hundredPipelinedMixedRequestsAreAnsweredInOrder() throws Exception {
        List<ApiMessage> requests = new ArrayList<>();
        List<Short> versions = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            switch (i % 5) {
                case 0 -> { requests.add(new ApiVersionsRequestData()); versions.add((short) 3); }
                case 1 -> { requests.add(new MetadataRequestData().setTopics(null)); versions.add((short) 12); }
                case 2 -> { requests.add(produce("pipe", i % 3, (short) 1, "m" + i)); versions.add((short) 9); }
                case 3 -> {
                    ListOffsetsRequestData lo = new ListOffsetsRequestData().setReplicaId(-1);
                    ListOffsetsRequestData.ListOffsetsTopic t = new ListOffsetsRequestData.ListOffsetsTopic().setName("pipe");
                    t.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1));
                    lo.topics().add(t);
                    requests.add(lo);
                    versions.add((short) 7);
                }
                default -> {
                    FetchRequestData fetch = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(50).setMinBytes(1)
                            .setMaxBytes(1 << 20);
                    FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic().setTopic("pipe");
                    t.partitions().add(new FetchRequestData.FetchPartition().setPartition(i % 3).setFetchOffset(0)
                            .setPartitionMaxBytes(1 << 20));
                    fetch.topics().add(t);
                    requests.add(fetch);
                    versions.add((short) 11);
                }
            }
        }
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        for (int i = 0; i < requests.size(); i++) {
            burst.write(RawKafkaClient.frame(requests.get(i), versions.get(i), 1000 + i));
        }
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.sendRaw(burst.toByteArray());
            for (int i = 0; i < requests.size(); i++) {
                ApiKeys key = ApiKeys.forId(requests.get(i).apiKey());
                RawKafkaClient.Response response = client.receive(key.responseHeaderVersion(versions.get(i)));
                assertThat(response.correlationId()).as("response %d", i).isEqualTo(1000 + i);
            }
        }
    }

    @Test
    void tooNewApiVersionsRequestGetsVersionZeroUnsupportedVersionWithTheSupportedList() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            // A version from the future: header v2, body this broker cannot know.
            byte[] frame = RawKafkaClient.frame(new ApiVersionsRequestData(), (short) 3, 7);
            frame[6] = 0;
            frame[7] = 99;
            client.sendRaw(frame);
            RawKafkaClient.Response response = client.receive((short) 0);
            assertThat(response.correlationId()).isEqualTo(7);
            ApiVersionsResponseData data = new ApiVersionsResponseData(new ByteBufferAccessor(response.body()), (short) 0);
            assertThat(data.errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
            assertThat(data.apiKeys().find(ApiKeys.API_VERSIONS.id)).isNotNull();
            assertThat(data.apiKeys().find(ApiKeys.PRODUCE.id)).isNotNull();
            assertThat(data.apiKeys().find(ApiKeys.DESCRIBE_ACLS.id)).as("unimplemented APIs are not advertised").isNull();
            assertThat(data.apiKeys().find(ApiKeys.CREATE_ACLS.id)).as("unimplemented APIs are not advertised").isNull();
        }
    }

    @Test
    void clientThatDisconnectsWithResponsesPendingLeavesNothingBehind() throws Exception {
        String value = "d".repeat(500);
        for (int round = 0; round < 3; round++) {
            RawKafkaClient client = new RawKafkaClient(broker.port(), 16 * 1024);
            client.socket().setSoTimeout(2000);
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 5000; i++) {
                        client.sendRaw(RawKafkaClient.frame(produce("pipe", i % 3, (short) 1, value), (short) 9, i));
                    }
                } catch (Exception closed) {
                    // the socket is closed under the writer: expected
                }
            });
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(1500);
            client.close();
            writer.join(10_000);
        }
        // The broker keeps serving; leaked buffers would fail this class through LeakDetection.
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("pipe", 1, "k", "after-disconnects")).get(30, TimeUnit.SECONDS)
                    .offset()).isNotNegative();
        }
        // Nothing stays charged to the broker's request memory: every frame of the closed connections was given back.
        var registry = broker.bean(io.micrometer.core.instrument.MeterRegistry.class);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (registry.get("chronik.request.memory.bytes").gauge().value() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(registry.get("chronik.request.memory.bytes").gauge().value()).isZero();
    }

    @Test
    void clientThatNeverReadsIsThrottledWithoutHurtingOthersAndLaterGetsEveryResponseInOrder() throws Exception {
        int requests = 20_000;
        String value = "v".repeat(1000);
        try (RawKafkaClient stuck = new RawKafkaClient(broker.port(), 16 * 1024)) {
            AtomicLong framesWritten = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        stuck.sendRaw(RawKafkaClient.frame(produce("pipe", i % 3, (short) 1, value), (short) 9, i));
                        framesWritten.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, "stuck-writer");
            writer.setDaemon(true);
            writer.start();

            // The broker stops reading this socket, so the writer stalls before sending everything.
            long last = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                Thread.sleep(1000);
                long now = framesWritten.get();
                if (now == last) {
                    break;
                }
                last = now;
            }
            assertThat(framesWritten.get()).as("frames the broker accepted before it stopped reading").isLessThan(requests);
            assertThat(broker.bean(KafkaServer.class).inFlightRequests()).isLessThanOrEqualTo(64);
            assertThat(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()).isLessThan(256L << 20);
            var registry = broker.bean(io.micrometer.core.instrument.MeterRegistry.class);
            assertThat(registry.get("chronik.reads.paused").counter().count()).as("paused reads counted").isPositive();

            // Another client is unaffected.
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                for (int i = 0; i < 200; i++) {
                    producer.send(new ProducerRecord<>("pipe", 0, "k", "other-" + i));
                }
                assertThat(producer.send(new ProducerRecord<>("pipe", 0, "k", "last")).get(30, TimeUnit.SECONDS).offset())
                        .isPositive();
            }

            // Once the stuck client reads, every response arrives, in order.
            short headerVersion = ApiKeys.PRODUCE.responseHeaderVersion((short) 9);
            for (int i = 0; i < requests; i++) {
                RawKafkaClient.Response response = stuck.receive(headerVersion);
                assertThat(response.correlationId()).isEqualTo(i);
                if (i == requests - 1) {
                    ProduceResponseData data = new ProduceResponseData(new ByteBufferAccessor(response.body()), (short) 9);
                    assertThat(data.responses().iterator().next().partitionResponses().get(0).errorCode()).isZero();
                }
            }
            writer.join(10_000);
            assertThat(framesWritten.get()).isEqualTo(requests);
        }
    }
}
