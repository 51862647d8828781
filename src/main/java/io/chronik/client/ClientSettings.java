package io.chronik.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link BrokerClient} talks to its peer.
 *
 * @param clientId            the client id of every request header
 * @param maxInFlight         unanswered requests at most (including those waiting for the connection); a send
 *                            beyond it fails at once with {@link BrokerClientException.Reason#TOO_MANY_IN_FLIGHT}
 * @param connectTimeout      how long one connection attempt may take
 * @param requestTimeout      how long a request may wait for its response, from {@code send}; then it fails with
 *                            {@link BrokerClientException.Reason#TIMED_OUT} and the connection is closed
 * @param reconnectBackoff    the wait after a failed connection attempt or a lost connection before the next attempt
 * @param reconnectBackoffMax the wait doubles with each further failed attempt up to this (both jittered by 20%)
 */
public record ClientSettings(String clientId, int maxInFlight, Duration connectTimeout, Duration requestTimeout,
                             Duration reconnectBackoff, Duration reconnectBackoffMax) {

    public ClientSettings {
        Objects.requireNonNull(clientId, "clientId");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, not " + maxInFlight);
        }
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("requestTimeout", requestTimeout);
        requirePositive("reconnectBackoff", reconnectBackoff);
        requirePositive("reconnectBackoffMax", reconnectBackoffMax);
        if (reconnectBackoffMax.compareTo(reconnectBackoff) < 0) {
            throw new IllegalArgumentException("reconnectBackoffMax " + reconnectBackoffMax
                    + " is below reconnectBackoff " + reconnectBackoff);
        }
    }

    /**
     * Kafka's defaults for a broker's own clients: 30 s request timeout ({@code request.timeout.ms}), 10 s connection
     * setup ({@code socket.connection.setup.timeout.ms}), 50 ms to 1 s reconnect backoff ({@code reconnect.backoff.ms},
     * {@code reconnect.backoff.max.ms}); 64 requests in flight, as many as a Chronik broker handles at once per connection.
     */
    public static ClientSettings defaults(String clientId) {
        return new ClientSettings(clientId, 64, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofMillis(50), Duration.ofSeconds(1));
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }
}
