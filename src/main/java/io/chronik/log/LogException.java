package io.chronik.log;

/** A storage operation that failed with a {@link LogError}. */
public class LogException extends RuntimeException {
    private final LogError error;

    public LogException(LogError error, String message) {
        super(message);
        this.error = error;
    }

    public LogException(LogError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public LogError error() {
        return error;
    }
}
