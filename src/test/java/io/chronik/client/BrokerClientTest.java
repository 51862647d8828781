package io.chronik.client;

import io.chronik.client.BrokerClientException.Reason;
import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** The client against a real Chronik broker: pipelined mixed requests, the in-flight bound, produce then fetch. */
class BrokerClientTest {
    static final String TOPIC = "client-topic";
    static final int RECORDS = 10;

    @TempDir
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = TestBroker.start(dataDir);
        Clients.createTopic(broker, TOPIC, 1);
        Clients.createTopic(broker, "client-empty", 1);
        Clients.createTopic(broker, "client-produced", 1);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static BrokerClient client(int maxInFlight) {
        return new BrokerClient("127.0.0.1", broker.port(), new ClientSettings("client-test", maxInFlight,
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofSeconds(1)));
    }

    static FetchRequestData fetchByName(String topic, long offset, int maxWaitMs, int minBytes) {
        FetchRequestData request = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes)
                .setMaxBytes(1 << 20).setSessionId(0).setSessionEpoch(-1);
        request.topics().add(new FetchRequestData.FetchTopic().setTopic(topic).setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(offset).setPartitionMaxBytes(1 << 20))));
        return request;
    }

    static List<String> values(FetchResponseData.PartitionData partition) {
        List<String> values = new ArrayList<>();
        for (Record record : ((MemoryRecords) partition.records()).records()) {
            values.add(StandardCharsets.UTF_8.decode(record.key()) + "=" + StandardCharsets.UTF_8.decode(record.value()));
        }
        return values;
    }

    static List<String> expectedValues() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            expected.add("k" + i + "=v" + i);
        }
        return expected;
    }

    /** Sends 1,000 mixed requests, each as soon as there is room, and checks each answer. */
    @Test
    void aThousandMixedRequestsArePipelinedAndEachGetsItsOwnAnswer() throws Exception {
        int maxInFlight = 32;
        int total = 1000;
        try (BrokerClient client = client(maxInFlight)) {
            List<CompletableFuture<Void>> checked = new ArrayList<>();
            AtomicInteger maxSeen = new AtomicInteger();
            AtomicInteger sent = new AtomicInteger();
            Object lock = new Object();
            Runnable[] sendMore = new Runnable[1];
            sendMore[0] = () -> {
                synchronized (lock) {
                    while (sent.get() < total && client.inFlight() < maxInFlight) {
                        int i = sent.getAndIncrement();
                        CompletableFuture<Void> check = sendAndCheck(client, i);
                        maxSeen.accumulateAndGet(client.inFlight(), Math::max);
                        checked.add(check);
                        check.whenComplete((r, e) -> sendMore[0].run());
                    }
                }
            };
            sendMore[0].run();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                List<CompletableFuture<Void>> snapshot;
                synchronized (lock) {
                    snapshot = List.copyOf(checked);
                }
                if (snapshot.size() == total) {
                    CompletableFuture.allOf(snapshot.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                    break;
                }
                if (System.nanoTime() > deadline) {
                    fail("only " + snapshot.size() + " of " + total + " requests were sent");
                }
                snapshot.get(snapshot.size() - 1).handle((r, e) -> null).get(30, TimeUnit.SECONDS);
            }
            for (CompletableFuture<Void> f : checked) {
                f.get(); // rethrows the first wrong answer
            }
            assertThat(maxSeen.get()).isBetween(2, maxInFlight);
            assertThat(client.inFlight()).isZero();
        }
    }

    private static CompletableFuture<Void> sendAndCheck(BrokerClient client, int i) {
        return switch (i % 3) {
            case 0 -> client.<ApiVersionsResponseData>send(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
                    .setClientSoftwareName("chronik").setClientSoftwareVersion("test")).thenAccept(r -> {
                assertThat(r.errorCode()).isZero();
                assertThat(r.apiKeys().find(ApiKeys.FETCH.id)).isNotNull();
            });
            case 1 -> client.<MetadataResponseData>send(ApiKeys.METADATA, (short) 12, new MetadataRequestData()
                    .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC)))
                    .setAllowAutoTopicCreation(false)).thenAccept(r -> {
                MetadataResponseData.MetadataResponseTopic topic = r.topics().find(TOPIC);
                assertThat(topic.errorCode()).isZero();
                assertThat(topic.partitions()).hasSize(1);
                assertThat(r.brokers()).hasSize(1);
            });
            default -> client.<FetchResponseData>send(ApiKeys.FETCH, (short) 12, fetchByName(TOPIC, i % RECORDS, 0, 0))
                    .thenAccept(r -> {
                FetchResponseData.PartitionData partition = r.responses().get(0).partitions().get(0);
                assertThat(partition.errorCode()).isZero();
                assertThat(partition.highWatermark()).isEqualTo(RECORDS);
                List<String> values = values(partition);
                // The whole batch comes back; the records from the fetch offset on are among them.
                assertThat(values).containsSubsequence(expectedValues().subList(i % RECORDS, RECORDS));
            });
        };
    }

    /** Long-polling fetches fill the window, so the next send finds maxInFlight requests unanswered. */
    @Test
    void theSendBeyondMaxInFlightFailsAtOnce() throws Exception {
        int maxInFlight = 8;
        try (BrokerClient client = client(maxInFlight)) {
            List<CompletableFuture<FetchResponseData>> parked = new ArrayList<>();
            for (int i = 0; i < maxInFlight; i++) {
                parked.add(client.send(ApiKeys.FETCH, (short) 12, fetchByName("client-empty", 0, 2000, 1)));
            }
            CompletableFuture<ApiMessage> beyond = client.send(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData());
            assertThat(beyond).isCompletedExceptionally();
            try {
                beyond.get();
                fail("the send beyond the bound was accepted");
            } catch (ExecutionException e) {
                assertThat(((BrokerClientException) e.getCause()).reason()).isEqualTo(Reason.TOO_MANY_IN_FLIGHT);
            }
            assertThat(client.inFlight()).isEqualTo(maxInFlight);
            for (CompletableFuture<FetchResponseData> f : parked) {
                FetchResponseData.PartitionData partition = f.get(30, TimeUnit.SECONDS).responses().get(0).partitions().get(0);
                assertThat(partition.errorCode()).isZero();
                assertThat(partition.highWatermark()).isZero();
            }
            assertThat(client.inFlight()).isZero();
        }
    }

    @Test
    void aProducedBatchComesBackThroughFetchByNameAndById() throws Exception {
        try (BrokerClient client = client(16)) {
            MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(1000L, bytes("a"), bytes("1")),
                    new SimpleRecord(1001L, bytes("b"), bytes("2")),
                    new SimpleRecord(1002L, bytes("c"), bytes("3")));
            ProduceRequestData produce = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
            ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName("client-produced");
            topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
            produce.topicData().add(topicData);
            ProduceResponseData produced = client.<ProduceResponseData>send(ApiKeys.PRODUCE, (short) 9, produce)
                    .get(30, TimeUnit.SECONDS);
            ProduceResponseData.PartitionProduceResponse partition = produced.responses().iterator().next().partitionResponses().get(0);
            assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
            assertThat(partition.baseOffset()).isZero();

            FetchResponseData byName = client.<FetchResponseData>send(ApiKeys.FETCH, (short) 12,
                    fetchByName("client-produced", 0, 0, 0)).get(30, TimeUnit.SECONDS);
            FetchResponseData.PartitionData fetched = byName.responses().get(0).partitions().get(0);
            assertThat(fetched.highWatermark()).isEqualTo(3);
            assertThat(values(fetched)).containsExactly("a=1", "b=2", "c=3");

            MetadataResponseData metadata = client.<MetadataResponseData>send(ApiKeys.METADATA, (short) 12,
                    new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic()
                            .setName("client-produced")))).get(30, TimeUnit.SECONDS);
            Uuid topicId = metadata.topics().find("client-produced").topicId();
            assertThat(topicId).isNotEqualTo(Uuid.ZERO_UUID);
            FetchRequestData request = new FetchRequestData().setMaxWaitMs(0).setMinBytes(0).setMaxBytes(1 << 20)
                    .setSessionId(0).setSessionEpoch(-1);
            request.topics().add(new FetchRequestData.FetchTopic().setTopicId(topicId).setPartitions(List.of(
                    new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(1).setPartitionMaxBytes(1 << 20))));
            FetchResponseData byId = client.<FetchResponseData>send(ApiKeys.FETCH, (short) 16, request).get(30, TimeUnit.SECONDS);
            assertThat(byId.responses().get(0).topicId()).isEqualTo(topicId);
            assertThat(values(byId.responses().get(0).partitions().get(0))).containsExactly("a=1", "b=2", "c=3");
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
