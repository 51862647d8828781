package io.chronik.cluster;

import org.apache.kafka.common.protocol.Errors;

/** The outcome of applying a command: the Kafka error (NONE when applied) and a message for the client. */
public record CommandResult(Errors error, String message) {
    public static final CommandResult OK = new CommandResult(Errors.NONE, null);

    public static CommandResult error(Errors error, String message) {
        return new CommandResult(error, message);
    }

    public boolean ok() {
        return error == Errors.NONE;
    }
}
