package io.chronik.cluster;

import org.apache.kafka.common.protocol.Errors;

/**
 * The outcome of applying a command: the Kafka error (NONE when applied), a message for the client, and a value
 * for commands that hand something out (the first id of an allocated producer id block; -1 otherwise).
 */
public record CommandResult(Errors error, String message, long value) {
    public static final CommandResult OK = new CommandResult(Errors.NONE, null, -1);

    public CommandResult(Errors error, String message) {
        this(error, message, -1);
    }

    public static CommandResult error(Errors error, String message) {
        return new CommandResult(error, message);
    }

    public static CommandResult ok(long value) {
        return new CommandResult(Errors.NONE, null, value);
    }

    public boolean ok() {
        return error == Errors.NONE;
    }
}
