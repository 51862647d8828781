package io.chronik.client;

import io.chronik.client.BrokerClientException.Reason;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The client against a server the test controls: pipelining on the wire, protocol errors, hang-ups, silence. */
class BrokerClientFailureTest {
    static final short V3 = 3;

    static ClientSettings settings(int maxInFlight, Duration requestTimeout) {
        return new ClientSettings("failure-test", maxInFlight, Duration.ofSeconds(5), requestTimeout,
                Duration.ofMillis(50), Duration.ofMillis(400));
    }

    static CompletableFuture<ApiVersionsResponseData> apiVersions(BrokerClient client) {
        return client.send(ApiKeys.API_VERSIONS, V3, new ApiVersionsRequestData()
                .setClientSoftwareName("chronik").setClientSoftwareVersion("test"));
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    static Reason reasonOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(20, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(BrokerClientException.class);
            return ((BrokerClientException) e.getCause()).reason();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
    }

    @Test
    void requestsAreWrittenWithoutWaitingAndBoundedByMaxInFlight() throws Exception {
        try (FakeBroker server = new FakeBroker(FakeBroker.Mode.HOLD).start(0);
             BrokerClient client = new BrokerClient("127.0.0.1", server.port(), settings(8, Duration.ofSeconds(30)))) {
            List<CompletableFuture<ApiVersionsResponseData>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(apiVersions(client));
            }
            // All eight reach the server while none is answered: written without waiting for a response.
            await(() -> server.received.size() == 8, "8 requests at the server");
            assertThat(client.inFlight()).isEqualTo(8);
            CompletableFuture<ApiVersionsResponseData> ninth = apiVersions(client);
            assertThat(ninth).isCompletedExceptionally();
            assertThat(reasonOf(ninth)).isEqualTo(Reason.TOO_MANY_IN_FLIGHT);
            assertThat(server.received).extracting(r -> r.header().correlationId()).doesNotHaveDuplicates();
            assertThat(server.received).extracting(r -> r.header().clientId()).containsOnly("failure-test");

            CompletableFuture<String> completedOn = futures.get(0).thenApply(r -> Thread.currentThread().getName());
            server.answerAll();
            assertThat(completedOn.get(20, TimeUnit.SECONDS)).startsWith("chronik-client-");
            for (int i = 0; i < 8; i++) {
                ApiVersionsResponseData response = futures.get(i).get(20, TimeUnit.SECONDS);
                // The fake server echoes the correlation id in throttle_time_ms: response i answers request i.
                assertThat(response.throttleTimeMs()).isEqualTo(server.received.get(i).header().correlationId());
                assertThat(response.apiKeys().find(ApiKeys.FETCH.id).maxVersion()).isEqualTo((short) 17);
            }
            await(() -> client.inFlight() == 0, "no request in flight");
            server.mode(FakeBroker.Mode.ANSWER);
            assertThat(apiVersions(client).get(20, TimeUnit.SECONDS).errorCode()).isZero();
            assertThat(server.accepted.get()).isEqualTo(1);
        }
    }

    @Test
    void aMismatchedCorrelationIdClosesTheConnectionAndFailsEverythingInFlight() throws Exception {
        try (FakeBroker server = new FakeBroker(FakeBroker.Mode.HOLD).start(0);
             BrokerClient client = new BrokerClient("127.0.0.1", server.port(), settings(8, Duration.ofSeconds(30)))) {
            List<CompletableFuture<ApiVersionsResponseData>> futures = List.of(apiVersions(client), apiVersions(client), apiVersions(client));
            await(() -> server.received.size() == 3, "3 requests at the server");
            FakeBroker.Received second = server.received.get(1);
            FakeBroker.answer(second.channel(), second.header(), second.header().correlationId()); // out of order
            for (CompletableFuture<ApiVersionsResponseData> f : futures) {
                assertThat(reasonOf(f)).isEqualTo(Reason.DISCONNECTED);
            }
            assertThatThrownBy(() -> futures.get(0).get()).hasMessageContaining("correlation id");
            await(() -> server.closed.get() == 1, "the connection closed");
            assertThat(client.inFlight()).isZero();
            server.mode(FakeBroker.Mode.ANSWER);
            assertThat(apiVersions(client).get(20, TimeUnit.SECONDS).errorCode()).isZero();
        }
    }

    @Test
    void aHangUpFailsInFlightRequestsAndTheNextSendReconnectsOnceTheServerIsBack() throws Exception {
        try (FakeBroker server = new FakeBroker(FakeBroker.Mode.HOLD).start(0);
             BrokerClient client = new BrokerClient("127.0.0.1", server.port(), settings(16, Duration.ofSeconds(30)))) {
            List<CompletableFuture<ApiVersionsResponseData>> futures = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                futures.add(apiVersions(client));
            }
            await(() -> server.received.size() == 5, "5 requests at the server");
            int port = server.port();
            server.stop();
            for (CompletableFuture<ApiVersionsResponseData> f : futures) {
                assertThat(reasonOf(f)).isEqualTo(Reason.DISCONNECTED);
            }
            assertThat(client.inFlight()).isZero();

            // Nobody listens: sends fail DISCONNECTED (connection refused), paced by the backoff.
            long start = System.nanoTime();
            int refused = 0;
            for (int i = 0; i < 4; i++) {
                assertThat(reasonOf(apiVersions(client))).isEqualTo(Reason.DISCONNECTED);
                refused++;
            }
            // After the hang-up and three refusals the backoff has waited at least 40 + 80 + 160 ms (50 ms doubling, -20%).
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(250);
            assertThat(refused).isEqualTo(4);

            server.mode(FakeBroker.Mode.ANSWER);
            server.start(port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            ApiVersionsResponseData answered = null;
            while (answered == null && System.nanoTime() < deadline) {
                try {
                    answered = apiVersions(client).get(10, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertThat(((BrokerClientException) e.getCause()).reason()).isEqualTo(Reason.DISCONNECTED);
                }
            }
            assertThat(answered).as("answered after the server came back").isNotNull();
            assertThat(answered.errorCode()).isZero();
        }
    }

    @Test
    void aSilentServerTimesTheRequestOutAndTheConnectionIsClosed() throws Exception {
        try (FakeBroker server = new FakeBroker(FakeBroker.Mode.HOLD).start(0);
             BrokerClient client = new BrokerClient("127.0.0.1", server.port(), settings(8, Duration.ofMillis(500)))) {
            long start = System.nanoTime();
            CompletableFuture<ApiVersionsResponseData> first = apiVersions(client);
            assertThat(reasonOf(first)).isEqualTo(Reason.TIMED_OUT);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(tookMs).isBetween(450L, 2500L);
            assertThat(server.received).hasSize(1);
            await(() -> server.closed.get() == 1, "the client to close the connection");
            assertThat(client.inFlight()).isZero();
        }
    }

    @Test
    void closeFailsWhatIsInFlightAndLaterSends() throws Exception {
        FakeBroker server = new FakeBroker(FakeBroker.Mode.HOLD).start(0);
        try (server) {
            BrokerClient client = new BrokerClient("127.0.0.1", server.port(), settings(8, Duration.ofSeconds(30)));
            CompletableFuture<ApiVersionsResponseData> pending = apiVersions(client);
            await(() -> server.received.size() == 1, "the request at the server");
            client.close();
            assertThat(reasonOf(pending)).isEqualTo(Reason.DISCONNECTED);
            assertThat(reasonOf(apiVersions(client))).isEqualTo(Reason.DISCONNECTED);
            await(() -> server.closed.get() == 1, "the connection closed");
            assertThat(client.inFlight()).isZero();
        }
    }

    @Test
    void aRequestThatCannotBeEncodedFailsWithoutTakingASlot() {
        BrokerClient client = new BrokerClient("127.0.0.1", 1, settings(1, Duration.ofSeconds(1)));
        try (client) {
            assertThatThrownBy(() -> client.send(ApiKeys.FETCH, (short) 12, new ApiVersionsRequestData()).get())
                    .hasCauseInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.send(ApiKeys.API_VERSIONS, (short) 99, new ApiVersionsRequestData()).get())
                    .hasCauseInstanceOf(IllegalArgumentException.class);
            assertThat(client.inFlight()).isZero();
        }
    }
}
