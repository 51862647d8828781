package io.chronik.handler;

import org.apache.kafka.common.Uuid;

import java.util.UUID;

/** Converts between storage's topic ids and the protocol's. */
final class TopicIds {
    private TopicIds() {
    }

    static Uuid toKafka(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    static UUID toUuid(Uuid id) {
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
