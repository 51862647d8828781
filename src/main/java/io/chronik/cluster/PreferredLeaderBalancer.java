package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.ElectLeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Automatic preferred-leader balancing on the controller (the quorum leader), as Kafka's
 * auto.leader.rebalance.enable: every check interval, a broker whose imbalance ratio (the share of the partitions
 * it is the preferred replica of that another broker leads) exceeds the allowed percentage gets those
 * leaderships back, one ElectLeader command (preferred) per partition, for partitions where it is live and in the
 * ISR. The controller decides each election again when it applies it, so a stale view only costs a refused
 * command. A check is skipped while elections of the previous one are still in flight.
 */
public final class PreferredLeaderBalancer implements MetadataListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PreferredLeaderBalancer.class);
    /** Elections one check submits at most. */
    static final int MAX_ELECTIONS_PER_CHECK = 1000;

    private final Supplier<ClusterImage> image;
    private final Function<MetadataCommand, CompletableFuture<CommandResult>> submit;
    private final int imbalancePercentage;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ScheduledExecutorService scheduler;
    private volatile boolean active;

    /** {@code checkInterval} null: no scheduled checks (tests call {@link #checkBalance}). */
    public PreferredLeaderBalancer(Supplier<ClusterImage> image, Function<MetadataCommand, CompletableFuture<CommandResult>> submit,
                                   int imbalancePercentage, Duration checkInterval) {
        this.image = image;
        this.submit = submit;
        this.imbalancePercentage = imbalancePercentage;
        if (checkInterval != null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "chronik-leader-balancer");
                t.setDaemon(true);
                return t;
            });
            long period = checkInterval.toMillis();
            scheduler.scheduleWithFixedDelay(this::checkSafely, period, period, TimeUnit.MILLISECONDS);
        } else {
            scheduler = null;
        }
    }

    /**
     * The preferred elections {@code image} calls for: for each broker whose imbalance ratio is above
     * {@code percentage}, its partitions led by another broker while it is live and in sync.
     */
    static List<ElectLeader> imbalanced(ClusterImage image, int percentage) {
        Map<Integer, List<ElectLeader>> notLedByPreferred = new TreeMap<>();
        Map<Integer, Integer> preferredCount = new TreeMap<>();
        Map<Integer, List<ElectLeader>> eligible = new TreeMap<>();
        for (TopicImage topic : image.topics().values()) {
            for (int p = 0; p < topic.partitions().size(); p++) {
                PartitionRegistration partition = topic.partitions().get(p);
                int preferred = partition.replicas().get(0);
                preferredCount.merge(preferred, 1, Integer::sum);
                if (partition.leader() != preferred) {
                    ElectLeader election = new ElectLeader(topic.id(), p, false);
                    notLedByPreferred.computeIfAbsent(preferred, b -> new ArrayList<>()).add(election);
                    if (image.isLive(preferred) && partition.isr().contains(preferred)) {
                        eligible.computeIfAbsent(preferred, b -> new ArrayList<>()).add(election);
                    }
                }
            }
        }
        List<ElectLeader> elections = new ArrayList<>();
        for (Map.Entry<Integer, List<ElectLeader>> e : notLedByPreferred.entrySet()) {
            double ratio = (double) e.getValue().size() / preferredCount.get(e.getKey());
            if (ratio * 100 > percentage) {
                elections.addAll(eligible.getOrDefault(e.getKey(), List.of()));
            }
        }
        return elections.size() > MAX_ELECTIONS_PER_CHECK ? elections.subList(0, MAX_ELECTIONS_PER_CHECK) : elections;
    }

    /** Submits the elections the image calls for; only acts on the controller, never while a check is in flight. */
    public void checkBalance() {
        if (!active || inFlight.get() > 0) {
            return;
        }
        List<ElectLeader> elections = imbalanced(image.get(), imbalancePercentage);
        if (elections.isEmpty()) {
            return;
        }
        log.info("Leader imbalance above {}%: moving {} leaderships back to their preferred replicas", imbalancePercentage,
                elections.size());
        inFlight.addAndGet(elections.size());
        for (ElectLeader election : elections) {
            CompletableFuture<CommandResult> result;
            try {
                result = submit.apply(election);
            } catch (RuntimeException e) {
                result = CompletableFuture.failedFuture(e);
            }
            result.whenComplete((r, error) -> {
                inFlight.decrementAndGet();
                if (error != null) {
                    log.warn("Preferred leader election for partition {} of topic id {} failed: {}", election.partition(),
                            election.topicId(), error.toString());
                } else if (!r.ok()) {
                    log.debug("Preferred leader election {} refused: {}", election, r);
                }
            });
        }
    }

    private void checkSafely() {
        try {
            checkBalance();
        } catch (RuntimeException e) {
            log.warn("Leader balance check failed: {}", e.toString());
        }
    }

    @Override
    public void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image) {
    }

    @Override
    public void onLeaderChanged(int leaderId, boolean self) {
        active = self;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
