package io.chronik.protocol;

/** The broker-wide budget a request's frame is charged to while it is held; see {@link KafkaRequest#chargeTo}. */
public interface RequestMemory {
    /** Gives back {@code bytes} charged earlier. Called from any thread. */
    void release(int bytes);
}
