package io.chronik.replica;

import io.chronik.cluster.BrokerRegistration;
import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.cluster.TopicImage;
import io.chronik.log.EpochEndOffset;
import io.chronik.log.Log;
import io.chronik.log.LogManager;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This broker's replicas in a cluster: it makes each local partition leader or follower as the metadata says
 * (the log takes the new epoch first, so an append of the old role cannot slip in after it), hands followed
 * partitions to the fetcher of their leader, checks ISR lag periodically, and answers the handlers' leadership
 * questions from the metadata image and the local partitions.
 */
public final class ReplicaManager implements PartitionStateListener, Leadership, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final ReplicationSettings settings;
    private final LogManager logs;
    private final Supplier<ClusterImage> image;
    private final Partition.IsrChanges controller;
    private final int defaultMinInsync;
    private final Map<String, Partition> partitions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final ReplicaFetcherManager fetchers;
    private final ReplicationThrottles throttles;
    /** Set by controlled shutdown: leader appends are refused from then on. */
    private volatile boolean draining;

    public ReplicaManager(ReplicationSettings settings, LogManager logs, Supplier<ClusterImage> image,
                          Partition.IsrChanges controller, int defaultMinInsync) {
        this.settings = settings;
        this.logs = logs;
        this.image = image;
        this.controller = controller;
        this.defaultMinInsync = defaultMinInsync;
        this.throttles = new ReplicationThrottles(settings.brokerId(), image);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chronik-replica-fetcher");
            t.setDaemon(true);
            return t;
        });
        this.fetchers = new ReplicaFetcherManager(settings, throttles, scheduler);
        long check = Math.max(100, settings.lagTimeMax().toMillis() / 2);
        scheduler.scheduleWithFixedDelay(this::checkIsrLag, check, check, TimeUnit.MILLISECONDS);
    }

    private static String key(String topic, int partition) {
        return topic + "-" + partition;
    }

    public Optional<Partition> partition(String topic, int partition) {
        return Optional.ofNullable(partitions.get(key(topic, partition)));
    }

    /** The local replicas (a live view, for metrics). */
    public java.util.Collection<Partition> partitions() {
        return partitions.values();
    }

    // ---- metadata -> roles (the publisher's thread, in metadata order) ----

    @Override
    public void onPartitionsChanged(ClusterImage clusterImage, List<LocalPartition> changed) {
        long now = System.currentTimeMillis();
        for (LocalPartition local : changed) {
            Optional<Log> replicaLog = logs.log(local.topic(), local.partition());
            if (replicaLog.isEmpty()) {
                log.warn("No local log for {}-{}; it does not replicate", local.topic(), local.partition());
                continue;
            }
            Partition partition = partitions.compute(key(local.topic(), local.partition()), (k, existing) ->
                    existing != null && existing.log() == replicaLog.get() ? existing
                            : new Partition(local.topicId(), local.topic(), local.partition(), replicaLog.get(),
                            settings.brokerId(), controller, id -> image.get().isLive(id)));
            PartitionRegistration registration = local.registration();
            int minInsync = minInsync(clusterImage.topic(local.topicId()).orElse(null));
            switch (partition.update(registration, minInsync, now)) {
                case BECOME_LEADER -> becomeLeader(partition, registration);
                case BECOME_FOLLOWER -> becomeFollower(partition, registration, clusterImage);
                case NONE -> {
                    if (registration.leader() != settings.brokerId() && registration.leader() >= 0
                            && !fetchers.isFollowing(partition)) {
                        becomeFollower(partition, registration, clusterImage);
                    }
                }
            }
        }
    }

    private void becomeLeader(Partition partition, PartitionRegistration registration) {
        fetchers.unfollow(partition);
        int epoch = registration.leaderEpoch();
        log.info("Leading {} in epoch {} with ISR {}", partition, epoch, registration.isr());
        partition.log().becomeLeader(epoch).whenComplete((v, e) -> {
            if (e != null) {
                log.warn("{} could not take leader epoch {}: {}", partition, epoch, e.toString());
            } else {
                partition.leaderEpochStarted(epoch);
            }
        });
    }

    private void becomeFollower(Partition partition, PartitionRegistration registration, ClusterImage clusterImage) {
        fetchers.unfollow(partition);
        int epoch = registration.leaderEpoch();
        Optional<BrokerRegistration> leader = registration.leader() < 0 ? Optional.empty()
                : clusterImage.broker(registration.leader());
        log.info("Following {} in epoch {}: leader {}", partition, epoch, registration.leader());
        partition.log().becomeFollower(epoch).whenComplete((v, e) -> {
            if (e != null) {
                log.warn("{} could not become a follower in epoch {}: {}", partition, epoch, e.toString());
            }
        });
        // Appends of the new role queue behind the role change on the partition's lane.
        leader.ifPresent(l -> fetchers.follow(partition, l, epoch));
    }

    @Override
    public void onPartitionsRemoved(List<LocalPartition> removed) {
        for (LocalPartition local : removed) {
            Partition partition = partitions.remove(key(local.topic(), local.partition()));
            if (partition != null) {
                fetchers.unfollow(partition);
                partition.stop();
            }
        }
    }

    private int minInsync(TopicImage topic) {
        if (topic != null) {
            String value = topic.configs().get("min.insync.replicas");
            if (value != null) {
                try {
                    return Integer.parseInt(value.trim());
                } catch (NumberFormatException e) {
                    log.warn("Topic {} has an unreadable min.insync.replicas {}", topic.name(), value);
                }
            }
        }
        return defaultMinInsync;
    }

    private void checkIsrLag() {
        long now = System.currentTimeMillis();
        long max = settings.lagTimeMax().toMillis();
        for (Partition partition : partitions.values()) {
            try {
                partition.maybeShrinkIsr(now, max);
            } catch (RuntimeException e) {
                log.warn("ISR check of {} failed: {}", partition, e.toString());
            }
        }
    }

    /**
     * The first step of controlled shutdown: this broker takes no more appends as leader (producers get the
     * retriable NOT_LEADER_OR_FOLLOWER) and waits, at most {@code timeout}, until every in-sync follower of every
     * partition it leads holds its whole log. The leaders the controller then elects have every record this broker
     * acknowledged, acks=1 ones included. Runs on the shutdown thread.
     */
    public boolean drainLeadership(java.time.Duration timeout) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (partitions.values().stream().allMatch(Partition::followersCaughtUp)) {
                log.info("Controlled shutdown: every in-sync follower holds this broker's leader logs");
                return true;
            }
            Thread.sleep(10);
        }
        log.warn("Controlled shutdown: followers did not catch up within {}; handing over leaderships anyway", timeout);
        return false;
    }

    // ---- handlers' questions ----

    @Override
    public NotLeader checkAppend(String topic, int partition) {
        NotLeader notLeader = checkLeader(topic, partition, -1);
        if (notLeader == null && draining) {
            return NotLeader.of(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return notLeader;
    }

    @Override
    public NotLeader checkLeader(String topic, int partition, int currentLeaderEpoch) {
        Partition local = partitions.get(key(topic, partition));
        if (local != null && local.isLeader()) {
            int epoch = local.leaderEpoch();
            if (currentLeaderEpoch >= 0 && currentLeaderEpoch < epoch) {
                return leaderOf(Errors.FENCED_LEADER_EPOCH, topic, partition);
            }
            if (currentLeaderEpoch > epoch) {
                return leaderOf(Errors.UNKNOWN_LEADER_EPOCH, topic, partition);
            }
            return null;
        }
        return leaderOf(Errors.NOT_LEADER_OR_FOLLOWER, topic, partition);
    }

    /** {@code error} with the leader the metadata names, or UNKNOWN_TOPIC_OR_PARTITION when it has no such partition. */
    private NotLeader leaderOf(Errors error, String topic, int partition) {
        ClusterImage current = image.get();
        Optional<TopicImage> t = current.topic(topic);
        if (t.isEmpty() || partition < 0 || partition >= t.get().partitions().size()) {
            return NotLeader.of(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        PartitionRegistration registration = t.get().partitions().get(partition);
        Optional<BrokerRegistration> leader = registration.leader() < 0 ? Optional.empty()
                : current.broker(registration.leader()).filter(b -> !b.fenced());
        return leader.map(b -> new NotLeader(error, b.id(), registration.leaderEpoch(), b.host(), b.port()))
                .orElseGet(() -> new NotLeader(error, -1, registration.leaderEpoch(), null, -1));
    }

    @Override
    public Errors checkEnoughReplicas(String topic, int partition) {
        Partition local = partitions.get(key(topic, partition));
        return local == null ? Errors.NOT_LEADER_OR_FOLLOWER : local.checkEnoughReplicas();
    }

    @Override
    public CompletableFuture<Errors> afterLeaderAppend(String topic, int partition, long lastOffset, boolean acksAll,
                                                       long timeoutMs) {
        Partition local = partitions.get(key(topic, partition));
        if (local == null) {
            return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        local.maybeIncrementHighWatermark();
        return acksAll ? local.awaitReplication(lastOffset, timeoutMs) : CompletableFuture.completedFuture(Errors.NONE);
    }

    @Override
    public ReplicaFetchCheck replicaFetch(int replicaId, String topic, int partition, int currentLeaderEpoch,
                                          long fetchOffset, int lastFetchedEpoch) {
        NotLeader notLeader = checkLeader(topic, partition, currentLeaderEpoch);
        if (notLeader != null) {
            return new ReplicaFetchCheck(notLeader, null);
        }
        Partition local = partitions.get(key(topic, partition));
        if (lastFetchedEpoch >= 0) {
            EpochEndOffset end = local.log().endOffsetForEpoch(lastFetchedEpoch);
            if (end.epoch() >= 0 && (end.epoch() < lastFetchedEpoch || end.endOffset() < fetchOffset)) {
                return new ReplicaFetchCheck(null, end);
            }
        }
        local.followerFetched(replicaId, fetchOffset, System.currentTimeMillis());
        return null;
    }

    @Override
    public long throttledFetchAllowance(int replicaId, String topic, int partition) {
        ReplicationQuota quota = throttles.leaderQuota();
        if (quota.unlimited() || !throttles.leaderThrottled(topic, partition)) {
            return -1;
        }
        // As Kafka: the leader holds back only followers outside the ISR (a reassignment's new replicas).
        Partition local = partitions.get(key(topic, partition));
        if (local != null && local.isr().contains(replicaId)) {
            return Long.MAX_VALUE;
        }
        return quota.available(System.nanoTime());
    }

    @Override
    public void throttledFetchSent(long bytes) {
        throttles.leaderQuota().record(bytes, System.nanoTime());
    }

    @Override
    public long epochStartOffset(String topic, int partition) {
        Partition local = partitions.get(key(topic, partition));
        return local == null ? -1 : local.epochStartOffset();
    }

    @Override
    public void close() {
        fetchers.close();
        scheduler.shutdownNow();
        partitions.values().forEach(Partition::stop);
    }
}
