package io.chronik.protocol;

/** A frame that cannot be turned into a response; the connection that sent it is closed. */
public class MalformedResponseException extends RuntimeException {
    public MalformedResponseException(String message) {
        super(message);
    }

    public MalformedResponseException(String message, Throwable cause) {
        super(message, cause);
    }
}
