package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Fetch long-polling: min_bytes decides whether a fetch waits at all. */
class FetchWaitTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = TestBroker.start(dataDir);
        Clients.createTopic(broker, "idle", 1);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aConsumerWithFetchMinBytesZeroGetsItsFetchesAnsweredAtOnce() {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of(
                "fetch.min.bytes", "0", "fetch.max.wait.ms", "5000"))) {
            TopicPartition tp = new TopicPartition("idle", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(10);
            // A fetch that waited for max_wait_ms would hold the second one back by 5 s.
            while (fetchCount(consumer) < 3 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100));
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(fetchCount(consumer)).isGreaterThanOrEqualTo(3);
            assertThat(elapsedMs).isLessThan(2000);
        }
    }

    @Test
    void rawFetchWithMinBytesZeroAnswersAtOnceAndMinBytesOneWaits() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            long answeredMs = timedEmptyFetch(client, 0, 5000, 1);
            assertThat(answeredMs).as("min_bytes 0, max_wait 5000 ms").isLessThan(2000);
            long waitedMs = timedEmptyFetch(client, 1, 700, 2);
            assertThat(waitedMs).as("min_bytes 1, max_wait 700 ms").isGreaterThanOrEqualTo(600);
        }
    }

    private static long timedEmptyFetch(RawKafkaClient client, int minBytes, int maxWaitMs, int correlationId)
            throws Exception {
        short version = 12;
        FetchRequestData request = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs)
                .setMinBytes(minBytes).setMaxBytes(1 << 20);
        FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setTopic("idle");
        topic.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                .setPartitionMaxBytes(1 << 20));
        request.topics().add(topic);
        long start = System.nanoTime();
        client.send(request, version, correlationId);
        RawKafkaClient.Response response = client.receive(ApiKeys.FETCH.responseHeaderVersion(version));
        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(response.correlationId()).isEqualTo(correlationId);
        FetchResponseData data = new FetchResponseData(new ByteBufferAccessor(response.body()), version);
        assertThat(data.responses().get(0).partitions().get(0).errorCode()).isZero();
        return elapsed;
    }

    private static double fetchCount(KafkaConsumer<?, ?> consumer) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            if (e.getKey().name().equals("fetch-total") && e.getKey().group().equals("consumer-fetch-manager-metrics")
                    && !e.getKey().tags().containsKey("topic")) {
                return ((Number) e.getValue().metricValue()).doubleValue();
            }
        }
        return 0;
    }
}
