package io.chronik.protocol;

/** A frame that cannot be turned into a request; the connection that sent it is closed. */
public class MalformedRequestException extends RuntimeException {
    public MalformedRequestException(String message) {
        super(message);
    }

    public MalformedRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
