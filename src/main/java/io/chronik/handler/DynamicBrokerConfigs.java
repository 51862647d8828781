package io.chronik.handler;

import io.chronik.replica.ReplicationThrottles;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.protocol.Errors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The broker configs that may change at runtime, as Kafka's dynamic broker configs: the replication throttle rates
 * (bytes per second), per broker or as the cluster-wide default. Turns AlterConfigs and IncrementalAlterConfigs of a
 * broker resource into the keys to set and delete, or a refusal naming the key. Every other broker setting is static.
 */
final class DynamicBrokerConfigs {
    static final Set<String> KEYS = Set.of(ReplicationThrottles.LEADER_RATE, ReplicationThrottles.FOLLOWER_RATE);
    /** Kafka's throttle of moves between log directories: Chronik has one, so there is nothing to throttle or clear. */
    static final String LOG_DIRS_THROTTLE = "replica.alter.log.dirs.io.max.bytes.per.second";
    static final Map<String, String> DOCS = Map.of(
            ReplicationThrottles.LEADER_RATE, "Upper bound (bytes/sec) on the replication traffic this broker sends, as "
                    + "leader, to followers outside the ISR of the replicas listed in leader.replication.throttled.replicas",
            ReplicationThrottles.FOLLOWER_RATE, "Upper bound (bytes/sec) on the replication traffic this broker fetches, "
                    + "as follower, for the replicas listed in follower.replication.throttled.replicas");

    private static final byte OP_SET = 0;
    private static final byte OP_DELETE = 1;

    /** What to set and delete; or, when {@code error} is not NONE, why the change is refused. */
    record Change(Map<String, String> set, Set<String> deleted, Errors error, String message) {
        static Change refused(Errors error, String message) {
            return new Change(Map.of(), Set.of(), error, message);
        }

        boolean ok() {
            return error == Errors.NONE;
        }
    }

    private DynamicBrokerConfigs() {
    }

    /** AlterConfigs: {@code configs} become the resource's whole dynamic config set. */
    static Change replacing(Map<String, String> configs) {
        Map<String, String> set = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : configs.entrySet()) {
            Change refused = check(e.getKey(), e.getValue());
            if (refused != null) {
                return refused;
            }
            set.put(e.getKey(), e.getValue().trim());
        }
        Set<String> deleted = new TreeSet<>(KEYS);
        deleted.removeAll(set.keySet());
        return new Change(set, deleted, Errors.NONE, null);
    }

    /** IncrementalAlterConfigs: SET and DELETE of the dynamic keys. */
    static Change incremental(Iterable<AlterableConfig> configs) {
        Map<String, String> set = new LinkedHashMap<>();
        Set<String> deleted = new TreeSet<>();
        for (AlterableConfig config : configs) {
            String name = config.name();
            if (config.configOperation() == OP_DELETE && (KEYS.contains(name) || name.equals(LOG_DIRS_THROTTLE))) {
                // kafka-reassign-partitions --verify clears the log directory throttle too: never set, nothing to clear.
                if (KEYS.contains(name)) {
                    deleted.add(name);
                    set.remove(name);
                }
                continue;
            }
            if (config.configOperation() != OP_SET && KEYS.contains(name)) {
                return Change.refused(Errors.INVALID_CONFIG, "Config " + name + " is not a list: only SET and DELETE apply to it");
            }
            Change refused = config.configOperation() == OP_SET ? check(name, config.value())
                    : Change.refused(Errors.INVALID_REQUEST, staticMessage(name));
            if (refused != null) {
                return refused;
            }
            set.put(name, config.value().trim());
            deleted.remove(name);
        }
        return new Change(set, deleted, Errors.NONE, null);
    }

    /** Null when {@code name} may be set to {@code value}; otherwise the refusal. */
    private static Change check(String name, String value) {
        if (name.equals(LOG_DIRS_THROTTLE)) {
            return Change.refused(Errors.INVALID_CONFIG, "Config " + name + " is not supported: Chronik keeps one log "
                    + "directory per broker, so replicas never move between directories");
        }
        if (!KEYS.contains(name)) {
            return Change.refused(Errors.INVALID_REQUEST, staticMessage(name));
        }
        String problem = null;
        try {
            if (value == null || Long.parseLong(value.trim()) < 0) {
                problem = "must be at least 0";
            }
        } catch (NumberFormatException e) {
            problem = "not a number of type long";
        }
        return problem == null ? null
                : Change.refused(Errors.INVALID_CONFIG, "Invalid value '" + value + "' for configuration '" + name + "': " + problem);
    }

    private static String staticMessage(String name) {
        return "Cannot update broker config " + name + " dynamically: Chronik's broker configuration is static (set it "
                + "in application.yml); only " + new TreeSet<>(KEYS) + " change at runtime";
    }
}
