package io.chronik.handler;

import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import org.apache.kafka.common.Uuid;

import java.util.Optional;
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

    /** The topic a request names: by id from the versions that carry topic ids, by name before them. */
    static Optional<TopicInfo> lookup(LogManager logs, boolean byId, Uuid id, String name) {
        return byId ? logs.topic(toUuid(id)) : logs.topic(name);
    }
}
