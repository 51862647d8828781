package io.chronik.config;

/** A setting whose value cannot work; startup stops with a message naming the key and the value. */
public class InvalidConfigurationException extends RuntimeException {
    private final String key;
    private final Object value;

    public InvalidConfigurationException(String key, Object value, String reason) {
        super("Invalid configuration " + key + "=" + value + ": " + reason);
        this.key = key;
        this.value = value;
    }

    public String key() {
        return key;
    }

    public Object value() {
        return value;
    }
}
