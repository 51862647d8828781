package io.chronik.metrics;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.cluster.TopicImage;
import io.chronik.replica.Partition;
import io.chronik.replica.ReplicaManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A cluster broker's replication health, every value computed from live state when scraped: partitions it leads
 * ({@code chronik_leader_partitions}) and among them those whose ISR is smaller than their replicas or than
 * min.insync.replicas, partitions without a leader (on the active controller only, 0 elsewhere, as Kafka's
 * controller reports it), the brokers its metadata lists as live or fenced, and per topic how far its follower
 * replicas are behind their leaders' high watermarks. Only registered when the broker runs in a cluster.
 */
public final class ClusterMetrics implements ScrapeListener {
    private final ReplicaManager replicas;
    private final LiveMultiGauge fetchLag;

    public ClusterMetrics(MeterRegistry registry, ReplicaManager replicas, Supplier<ClusterImage> image, BooleanSupplier isController) {
        this.replicas = replicas;
        gauge(registry, "chronik.leader.partitions", "Partitions this broker leads", p -> p.isLeader());
        gauge(registry, "chronik.under.replicated.partitions",
                "Partitions this broker leads whose in-sync replicas are fewer than their replicas",
                p -> p.isLeader() && p.registration() != null && p.isr().size() < p.registration().replicas().size());
        gauge(registry, "chronik.under.min.isr.partitions",
                "Partitions this broker leads whose in-sync replicas are fewer than min.insync.replicas",
                p -> p.isLeader() && p.isr().size() < p.minInsync());
        Gauge.builder("chronik.offline.partitions", image, i -> isController.getAsBoolean() ? offline(i.get()) : 0)
                .description("On the active controller: partitions without a leader; 0 on the other brokers")
                .strongReference(true).register(registry);
        Gauge.builder("chronik.active.brokers", image, i -> i.get().liveBrokers().size())
                .description("Registered, unfenced brokers in this broker's cluster metadata").strongReference(true).register(registry);
        Gauge.builder("chronik.fenced.brokers", image, i -> i.get().brokers().size() - i.get().liveBrokers().size())
                .description("Registered brokers that are fenced, in this broker's cluster metadata").strongReference(true)
                .register(registry);
        fetchLag = new LiveMultiGauge(registry, "chronik.replica.fetch.lag.records", null,
                "On a follower: the leader's high watermark minus this replica's log end, summed per topic",
                this::localTopics, this::fetchLag);
    }

    private void gauge(MeterRegistry registry, String name, String description, Predicate<Partition> counted) {
        ToDoubleFunction<ReplicaManager> count = r -> r.partitions().stream().filter(counted).count();
        Gauge.builder(name, replicas, count).description(description).register(registry);
    }

    private static long offline(ClusterImage image) {
        long count = 0;
        for (TopicImage topic : image.topics().values()) {
            for (PartitionRegistration p : topic.partitions()) {
                if (p.leader() == PartitionRegistration.NO_LEADER) {
                    count++;
                }
            }
        }
        return count;
    }

    private Set<Tags> localTopics() {
        Set<Tags> topics = new HashSet<>();
        replicas.partitions().forEach(p -> topics.add(Tags.of("topic", p.topic())));
        return topics;
    }

    private double fetchLag(Tags tags) {
        String topic = tags.iterator().next().getValue();
        return replicas.partitions().stream().filter(p -> p.topic().equals(topic)).mapToLong(Partition::replicaLag).sum();
    }

    @Override
    public void beforeScrape() {
        fetchLag.sync();
    }
}
