package io.chronik.protocol;

/**
 * A request that has no response but whose failure the client must still notice: the connection is closed once
 * every earlier response has been sent. Kafka answers a failed acks=0 produce this way, so the producer
 * reconnects and refreshes its metadata.
 */
public final class CloseConnectionException extends RuntimeException {
    public CloseConnectionException(String message) {
        super(message, null, false, false);
    }
}
