package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Idle connections are closed, and max-connections / max-connections-per-ip are honoured as Kafka does. */
class ConnectionLimitsTest {
    private static final short API_VERSIONS_V3 = 3;

    @TempDir
    Path dataDir;

    private static void roundTrip(RawKafkaClient client, int correlationId) throws IOException {
        client.send(new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"),
                API_VERSIONS_V3, correlationId);
        assertThat(client.receive((short) 0).correlationId()).isEqualTo(correlationId);
    }

    private static double counter(TestBroker broker, String name) {
        return broker.bean(MeterRegistry.class).get(name).counter().count();
    }

    @Test
    void idleConnectionsAreClosedAndTheJavaClientReconnects() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.listener.connections-max-idle", "1s"))) {
            Clients.createTopic(broker, "idle", 1);
            try (RawKafkaClient idle = new RawKafkaClient(broker.port())) {
                roundTrip(idle, 1);
                long start = System.nanoTime();
                assertThat(idle.closedByBroker()).as("an idle connection is closed").isTrue();
                assertThat(System.nanoTime() - start).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(500));
            }
            assertThat(counter(broker, "chronik.connections.idle.closed")).isPositive();

            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
                producer.send(new ProducerRecord<>("idle", "k", "before")).get(30, TimeUnit.SECONDS);
                double closed = counter(broker, "chronik.connections.idle.closed");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (counter(broker, "chronik.connections.idle.closed") == closed && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(counter(broker, "chronik.connections.idle.closed")).as("the producer's connection closed")
                        .isGreaterThan(closed);
                // The client reconnects by itself.
                assertThat(producer.send(new ProducerRecord<>("idle", "k", "after")).get(30, TimeUnit.SECONDS).offset())
                        .isEqualTo(1);
            }
        }
    }

    @Test
    void aConnectionWaitingForALongPollIsNotIdle() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.listener.connections-max-idle", "1s"))) {
            Clients.createTopic(broker, "poll", 1);
            try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
                FetchRequestData fetch = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(3000).setMinBytes(1)
                        .setMaxBytes(1 << 20);
                FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setTopic("poll");
                topic.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                        .setPartitionMaxBytes(1 << 20));
                fetch.topics().add(topic);
                client.send(fetch, (short) 11, 42);
                // Answered when its wait runs out, three times the idle time later, not closed.
                assertThat(client.receive(ApiKeys.FETCH.responseHeaderVersion((short) 11)).correlationId()).isEqualTo(42);
            }
        }
    }

    @Test
    void connectionsOverThePerAddressLimitAreClosedAtOnce() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.listener.max-connections-per-ip", "2"));
             RawKafkaClient first = new RawKafkaClient(broker.port());
             RawKafkaClient second = new RawKafkaClient(broker.port())) {
            roundTrip(first, 1);
            roundTrip(second, 2);
            try (RawKafkaClient third = new RawKafkaClient(broker.port())) {
                assertThat(third.closedByBroker()).as("a third connection from the same address").isTrue();
            }
            assertThat(counter(broker, "chronik.connections.rejected")).isEqualTo(1);
            first.close();
            // Once one closes, another is served.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try (RawKafkaClient again = new RawKafkaClient(broker.port())) {
                    roundTrip(again, 3);
                    break;
                } catch (IOException closedBeforeTheSlotWasFree) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.sleep(50);
                }
            }
            roundTrip(second, 4);
        }
    }

    @Test
    void pastMaxConnectionsANewConnectionWaitsUntilOneCloses() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.listener.max-connections", "2"));
             RawKafkaClient first = new RawKafkaClient(broker.port());
             RawKafkaClient second = new RawKafkaClient(broker.port())) {
            roundTrip(first, 1);
            roundTrip(second, 2);
            try (RawKafkaClient third = new RawKafkaClient(broker.port())) {
                third.send(new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"),
                        API_VERSIONS_V3, 3);
                third.socket().setSoTimeout(1500);
                assertThatThrownBy(() -> third.receive((short) 0)).as("not served while two are open")
                        .isInstanceOf(SocketTimeoutException.class);
                assertThat(counter(broker, "chronik.connections.accept.paused")).isPositive();
                first.close();
                third.socket().setSoTimeout(10_000);
                assertThat(third.receive((short) 0).correlationId()).as("served once one closed").isEqualTo(3);
                roundTrip(second, 4);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"chronik.listener.connections-max-idle,0s,chronik.listener.connections-max-idle",
            "chronik.listener.max-connections,0,maxConnections",
            "chronik.listener.max-connections-per-ip,0,maxConnectionsPerIp"})
    void invalidLimitsStopStartupNamingTheSetting(String key, String value, String named) {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir, Map.of(key, value)).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains(named);
    }
}
