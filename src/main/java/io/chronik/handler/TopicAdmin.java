package io.chronik.handler;

import io.chronik.log.TopicInfo;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Topic administration as the handlers see it: alone, storage does it at once ({@link LocalTopicAdmin}); in a
 * cluster, every change goes through the metadata quorum and topics are read from the cluster image
 * ({@link QuorumTopicAdmin}). A refusal fails the Mono with a TopicException or a Kafka ApiException naming the
 * error; nothing here blocks the caller.
 */
public interface TopicAdmin {

    /** A created topic and its replication factor. */
    record CreatedTopic(TopicInfo info, int replicationFactor) {
    }

    Optional<TopicInfo> topic(String name);

    /**
     * Completes once this broker knows every topic the cluster had when asked (a broker may apply a topic created
     * through another broker a moment later); at once when alone. Call it before answering that a topic is unknown.
     */
    default Mono<Void> catchUp() {
        return Mono.empty();
    }

    /**
     * At once when this broker knows every topic in {@code names}; otherwise after {@link #catchUp()}, whose failure
     * is ignored (the caller then answers from what it knows). A topic this broker does not know may have been created
     * a moment ago through another broker: call it before answering that a named topic is unknown.
     */
    default Mono<Void> catchUpIfUnknown(java.util.Collection<String> names) {
        return Mono.defer(() -> names.stream().allMatch(name -> name == null || topic(name).isPresent()) ? Mono.<Void>empty()
                : catchUp().onErrorResume(e -> Mono.empty()));
    }

    Optional<TopicInfo> topic(UUID id);

    /** Every topic, by name. */
    List<TopicInfo> topics();

    /**
     * Creates a topic: {@code numPartitions} and {@code replicationFactor} (-1 for the defaults), or manual
     * {@code assignments} (partition index to replicas; empty when not given).
     */
    Mono<CreatedTopic> createTopic(String name, int numPartitions, short replicationFactor,
                                   Map<Integer, List<Integer>> assignments, Map<String, String> configs, boolean validateOnly);

    /** Deletes a topic; completes with what it was. */
    Mono<TopicInfo> deleteTopic(String name);

    /** Grows a topic to {@code totalCount} partitions; {@code newAssignments} places the new ones, or is null. */
    Mono<TopicInfo> createPartitions(String name, int totalCount, List<List<Integer>> newAssignments, boolean validateOnly);

    /** Replaces a topic's overrides with {@code overrides} (validated first). */
    Mono<TopicInfo> alterConfigs(String name, Map<String, String> overrides, boolean validateOnly);

    /**
     * The dynamic broker configs of {@code resource}: a broker id, or "" for the cluster-wide default. A broker
     * running alone has none.
     */
    default Map<String, String> dynamicBrokerConfigs(String resource) {
        return Map.of();
    }

    /**
     * Sets {@code set} and removes {@code deleted} among the dynamic broker configs of {@code resource} (checked by
     * the caller). Only a cluster keeps them (in its metadata); a broker running alone refuses with INVALID_CONFIG.
     */
    default Mono<Void> alterBrokerConfigs(String resource, Map<String, String> set, java.util.Set<String> deleted,
                                          boolean validateOnly) {
        if (set.isEmpty()) {
            return Mono.empty(); // none is ever set here, so there is nothing to remove
        }
        java.util.Set<String> keys = new java.util.TreeSet<>(set.keySet());
        keys.addAll(deleted);
        return Mono.error(new org.apache.kafka.common.errors.InvalidConfigurationException("Dynamic broker configs " + keys
                + " apply only to the brokers of a cluster (chronik.cluster.voters): a broker running alone does not replicate"));
    }
}
