package io.chronik.cluster;

import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Makes this broker's logs follow the cluster image, as Kafka's metadata publishers do: the controller decides,
 * every broker applies. On its own thread (never the quorum's apply thread), it diffs the image it last published
 * against the newest one, so changes coalesce and nothing queues up: it creates the local logs of partitions that
 * list this broker as a replica (with the cluster's topic id and configs), grows them and applies config changes,
 * deletes local topics the image no longer has this broker host (and the logs of partitions it is no replica of), then tells the {@link PartitionStateListener}s.
 * <p>
 * It publishes nothing until the image holds this broker's own registration (its current incarnation): from then on
 * the image is at least as new as anything this broker knew before it started, so a local topic whose id the image
 * does not have was deleted while the broker was away (possibly re-created under the same name), and its data goes.
 */
public final class MetadataPublisher implements MetadataListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataPublisher.class);
    private static final long RETRY_DELAY_MS = 1000;

    private final int brokerId;
    private final LogManager logs;
    private final Supplier<ClusterImage> image;
    private final List<PartitionStateListener> listeners;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chronik-metadata-publisher");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile UUID incarnation;
    /** The image the logs follow now; null before the first publication. Only touched on the publisher thread. */
    private ClusterImage published;
    /** Whether the local logs follow the cluster metadata (an image holding this broker's registration was published). */
    private volatile boolean publishing;

    public MetadataPublisher(int brokerId, LogManager logs, Supplier<ClusterImage> image, List<PartitionStateListener> listeners) {
        this.brokerId = brokerId;
        this.logs = logs;
        this.image = image;
        this.listeners = List.copyOf(listeners);
    }

    /** Starts publishing once the image holds this broker's registration with {@code incarnation}. */
    public void start(UUID incarnation) {
        this.incarnation = incarnation;
        schedule();
    }

    @Override
    public void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image) {
        schedule();
    }

    @Override
    public void onImageLoaded(long index, ClusterImage image) {
        schedule();
    }

    private void schedule() {
        if (incarnation != null && scheduled.compareAndSet(false, true)) {
            try {
                thread.execute(this::run);
            } catch (RejectedExecutionException e) {
                scheduled.set(false); // closed
            }
        }
    }

    private void run() {
        scheduled.set(false); // a change from now on schedules another run, which sees it
        ClusterImage latest = image.get();
        if (latest == published || !holdsOwnRegistration(latest)) {
            return;
        }
        try {
            publish(published, latest);
            published = latest;
            publishing = true;
        } catch (RuntimeException e) {
            log.error("Bringing the local logs in line with the cluster metadata failed; retrying: {}", e.toString(), e);
            try {
                thread.schedule(this::schedule, RETRY_DELAY_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // shutting down
            }
        }
    }

    private boolean holdsOwnRegistration(ClusterImage latest) {
        return latest.broker(brokerId).filter(b -> b.incarnation().equals(incarnation)).isPresent();
    }

    /** Whether an image holding this broker's current registration has been published (readiness). */
    public boolean hasPublished() {
        return publishing;
    }

    /** The newest image the local logs follow (null before the first publication); for tests and diagnosis. */
    ClusterImage published() {
        return published;
    }

    private void publish(ClusterImage previous, ClusterImage latest) {
        boolean first = previous == null;
        ClusterImage before = first ? ClusterImage.EMPTY : previous;

        List<LocalPartition> removed = new ArrayList<>();
        for (TopicImage old : before.topics().values()) {
            TopicImage now = latest.topic(old.id()).orElse(null);
            for (int p = 0; p < old.partitions().size(); p++) {
                PartitionRegistration was = old.partitions().get(p);
                boolean stillLocal = now != null && p < now.partitions().size() && now.partitions().get(p).replicas().contains(brokerId);
                if (was.replicas().contains(brokerId) && !stillLocal) {
                    removed.add(new LocalPartition(old.id(), old.name(), p, was));
                }
            }
        }
        if (!removed.isEmpty()) {
            listeners.forEach(l -> l.onPartitionsRemoved(removed));
        }
        for (TopicInfo local : logs.topics()) {
            TopicImage cluster = latest.topic(local.id()).orElse(null);
            if (cluster == null || !hosts(cluster)) {
                log.info("Deleting the local logs of topic {} (id {}): {}", local.name(), local.id(), cluster == null
                        ? "the cluster metadata has no topic with this id" : "this broker is a replica of none of its partitions");
                logs.deleteTopic(local.name());
            }
        }

        List<LocalPartition> changed = new ArrayList<>();
        for (TopicImage topic : latest.topics().values()) {
            if (!hosts(topic)) {
                continue;
            }
            TopicInfo local = logs.topic(topic.name()).orElse(null);
            if (local == null || local.partitions() < topic.partitions().size() || !local.overrides().equals(topic.configs())) {
                // Only this broker's replicas get a log, so no directory is made for another broker's partition.
                logs.ensureTopic(topic.id(), topic.name(), topic.partitions().size(), topic.configs(),
                        p -> topic.partitions().get(p).replicas().contains(brokerId));
            }
            TopicImage old = before.topic(topic.id()).orElse(null);
            for (int p = 0; p < topic.partitions().size(); p++) {
                PartitionRegistration now = topic.partitions().get(p);
                // Only replicas keep a local log: one this broker no longer (or never) hosts goes, a new one opens.
                boolean hasLog = logs.log(topic.name(), p).isPresent();
                if (!now.replicas().contains(brokerId) && hasLog) {
                    log.info("Deleting the local log of {}-{}: this broker is not one of its replicas {}", topic.name(), p,
                            now.replicas());
                    logs.deletePartition(topic.name(), p);
                } else if (now.replicas().contains(brokerId) && !hasLog) {
                    logs.ensurePartition(topic.name(), p);
                }
                PartitionRegistration was = old == null || p >= old.partitions().size() ? null : old.partitions().get(p);
                if (now.replicas().contains(brokerId) && (first || !now.equals(was))) {
                    changed.add(new LocalPartition(topic.id(), topic.name(), p, now));
                }
            }
        }
        if (!changed.isEmpty()) {
            listeners.forEach(l -> l.onPartitionsChanged(latest, changed));
        }
        if (first) {
            log.info("The local logs follow the cluster metadata: {} local partitions", changed.size());
        }
    }

    private boolean hosts(TopicImage topic) {
        return topic.partitions().stream().anyMatch(p -> p.replicas().contains(brokerId));
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
