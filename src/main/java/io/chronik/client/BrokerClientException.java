package io.chronik.client;

/**
 * Why a request to another broker got no response. Every reason is retriable: the request may be sent again (a
 * send after a lost connection reconnects).
 */
public final class BrokerClientException extends RuntimeException {
    public enum Reason {
        /** The connection could not be made, was lost, was closed after a protocol error, or the client is closed. */
        DISCONNECTED,
        /** No response within the request timeout; the connection was closed. */
        TIMED_OUT,
        /** {@code maxInFlight} requests were already unanswered; nothing was sent. */
        TOO_MANY_IN_FLIGHT
    }

    private final Reason reason;

    public BrokerClientException(Reason reason, String message) {
        this(reason, message, null);
    }

    public BrokerClientException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Always true: sending the request again may succeed. */
    public boolean isRetriable() {
        return true;
    }
}
