package io.chronik.cluster;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The cluster metadata at one point of the quorum log, immutable: cluster id, broker registrations and topics with
 * their partitions. Every applied command yields a new image, so readers on any thread see a consistent state.
 */
public final class ClusterImage {
    public static final ClusterImage EMPTY = new ClusterImage(null, new TreeMap<>(), new TreeMap<>());

    private final String clusterId;
    private final SortedMap<Integer, BrokerRegistration> brokers;
    private final SortedMap<String, TopicImage> topicsByName;
    private final Map<UUID, String> topicNames;
    private final long nextProducerId;
    /** Dynamic broker configs by resource: a broker id, or "" for the cluster-wide default. */
    private final SortedMap<String, Map<String, String>> brokerConfigs;

    ClusterImage(String clusterId, SortedMap<Integer, BrokerRegistration> brokers, SortedMap<String, TopicImage> topics) {
        this(clusterId, brokers, topics, 0);
    }

    ClusterImage(String clusterId, SortedMap<Integer, BrokerRegistration> brokers, SortedMap<String, TopicImage> topics,
                 long nextProducerId) {
        this(clusterId, brokers, topics, nextProducerId, new TreeMap<>());
    }

    ClusterImage(String clusterId, SortedMap<Integer, BrokerRegistration> brokers, SortedMap<String, TopicImage> topics,
                 long nextProducerId, SortedMap<String, Map<String, String>> brokerConfigs) {
        this.clusterId = clusterId;
        this.nextProducerId = nextProducerId;
        this.brokerConfigs = Collections.unmodifiableSortedMap(new TreeMap<>(brokerConfigs));
        this.brokers = Collections.unmodifiableSortedMap(new TreeMap<>(brokers));
        this.topicsByName = Collections.unmodifiableSortedMap(new TreeMap<>(topics));
        Map<UUID, String> names = new java.util.HashMap<>();
        topics.values().forEach(t -> names.put(t.id(), t.name()));
        this.topicNames = Collections.unmodifiableMap(names);
    }

    /** The cluster id the first broker registered with; null before any registration. */
    public String clusterId() {
        return clusterId;
    }

    public SortedMap<Integer, BrokerRegistration> brokers() {
        return brokers;
    }

    public Optional<BrokerRegistration> broker(int id) {
        return Optional.ofNullable(brokers.get(id));
    }

    /** The first producer id no broker has been given yet (ids are handed out in blocks). */
    public long nextProducerId() {
        return nextProducerId;
    }

    ClusterImage withNextProducerId(long next) {
        return new ClusterImage(clusterId, brokers, topicsByName, next, brokerConfigs);
    }

    /** Registered brokers that are not fenced, by id. */
    public List<BrokerRegistration> liveBrokers() {
        return brokers.values().stream().filter(b -> !b.fenced()).toList();
    }

    public boolean isLive(int brokerId) {
        BrokerRegistration b = brokers.get(brokerId);
        return b != null && !b.fenced();
    }

    /** Topics by name. */
    public SortedMap<String, TopicImage> topics() {
        return topicsByName;
    }

    public Optional<TopicImage> topic(String name) {
        return Optional.ofNullable(topicsByName.get(name));
    }

    public Optional<TopicImage> topic(UUID id) {
        String name = topicNames.get(id);
        return name == null ? Optional.empty() : Optional.of(topicsByName.get(name));
    }

    ClusterImage withClusterId(String id) {
        return new ClusterImage(id, brokers, topicsByName, nextProducerId, brokerConfigs);
    }

    ClusterImage withBroker(BrokerRegistration broker) {
        TreeMap<Integer, BrokerRegistration> copy = new TreeMap<>(brokers);
        copy.put(broker.id(), broker);
        return new ClusterImage(clusterId, copy, topicsByName, nextProducerId, brokerConfigs);
    }

    ClusterImage withTopic(TopicImage topic) {
        TreeMap<String, TopicImage> copy = new TreeMap<>(topicsByName);
        copy.put(topic.name(), topic);
        return new ClusterImage(clusterId, brokers, copy, nextProducerId, brokerConfigs);
    }

    ClusterImage withTopics(SortedMap<String, TopicImage> topics) {
        return new ClusterImage(clusterId, brokers, topics, nextProducerId, brokerConfigs);
    }

    ClusterImage withoutTopic(String name) {
        TreeMap<String, TopicImage> copy = new TreeMap<>(topicsByName);
        copy.remove(name);
        return new ClusterImage(clusterId, brokers, copy, nextProducerId, brokerConfigs);
    }

    /** Every resource's dynamic broker configs: a broker id, or "" for the cluster-wide default. */
    public SortedMap<String, Map<String, String>> dynamicBrokerConfigs() {
        return brokerConfigs;
    }

    /** The dynamic broker configs of {@code resource} (a broker id, or "" for the cluster-wide default); empty if none. */
    public Map<String, String> dynamicBrokerConfigs(String resource) {
        return brokerConfigs.getOrDefault(resource, Map.of());
    }

    ClusterImage withDynamicBrokerConfigs(String resource, Map<String, String> configs) {
        TreeMap<String, Map<String, String>> copy = new TreeMap<>(brokerConfigs);
        if (configs.isEmpty()) {
            copy.remove(resource);
        } else {
            copy.put(resource, Collections.unmodifiableSortedMap(new TreeMap<>(configs)));
        }
        return new ClusterImage(clusterId, brokers, topicsByName, nextProducerId, copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterImage other && java.util.Objects.equals(clusterId, other.clusterId)
                && brokers.equals(other.brokers) && topicsByName.equals(other.topicsByName)
                && nextProducerId == other.nextProducerId && brokerConfigs.equals(other.brokerConfigs);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(clusterId, brokers, topicsByName);
    }

    @Override
    public String toString() {
        return "ClusterImage{clusterId=" + clusterId + ", brokers=" + brokers.values() + ", topics=" + topicsByName.keySet() + "}";
    }
}
