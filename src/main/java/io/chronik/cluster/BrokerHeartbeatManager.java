package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import io.chronik.cluster.MetadataQuery.BrokerState;
import io.chronik.cluster.MetadataQuery.Heartbeat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Broker liveness on the controller (the quorum leader), kept in the leader's memory as Kafka's controller does:
 * heartbeats record when each broker was last heard from; a registered, fenced broker that has applied the
 * metadata up to its own registration is unfenced; a live broker silent for longer than the session timeout is
 * fenced. Both decisions are commands through the quorum log, so every broker agrees on them. A new leader gives
 * every broker a full session timeout before fencing it.
 */
public final class BrokerHeartbeatManager implements MetadataListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerHeartbeatManager.class);

    private final Supplier<ClusterImage> image;
    private final Function<MetadataCommand, CompletableFuture<CommandResult>> submit;
    private final long sessionTimeoutNanos;
    private final LongSupplier nanoClock;
    private final Map<Integer, Long> lastHeard = new ConcurrentHashMap<>();
    /** Brokers with a fence or unfence command in flight, so each decision is submitted once. */
    private final Map<Integer, UUID> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private volatile boolean active;

    public BrokerHeartbeatManager(Supplier<ClusterImage> image, Function<MetadataCommand, CompletableFuture<CommandResult>> submit,
                                  Duration sessionTimeout, LongSupplier nanoClock, boolean scheduleChecks) {
        this.image = image;
        this.submit = submit;
        this.sessionTimeoutNanos = sessionTimeout.toNanos();
        this.nanoClock = nanoClock;
        if (scheduleChecks) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "chronik-broker-sessions");
                t.setDaemon(true);
                return t;
            });
            // A silent broker is fenced within one period of its session's end (Kafka's controller fences at the
            // end itself): a check is a scan of the brokers' last heartbeats, cheap enough every 250 ms.
            long period = Math.max(50, Math.min(250, sessionTimeout.toMillis() / 8));
            scheduler.scheduleWithFixedDelay(this::checkSessionsSafely, period, period, TimeUnit.MILLISECONDS);
        } else {
            scheduler = null;
        }
    }

    /** Answers a heartbeat; only called on the leader. */
    public BrokerState heartbeat(Heartbeat heartbeat) {
        BrokerRegistration broker = image.get().broker(heartbeat.brokerId())
                .filter(b -> b.incarnation().equals(heartbeat.incarnation())).orElse(null);
        if (broker == null) {
            return BrokerState.UNKNOWN;
        }
        lastHeard.put(broker.id(), nanoClock.getAsLong());
        if (broker.fenced() && active && heartbeat.appliedIndex() >= broker.epoch()) {
            decide(broker, new UnfenceBroker(broker.id(), broker.incarnation()));
        }
        return broker.fenced() ? BrokerState.FENCED : BrokerState.UNFENCED;
    }

    /** Fences every live broker that has not been heard from for a session timeout; only acts on the leader. */
    public void checkSessions() {
        if (!active) {
            return;
        }
        long now = nanoClock.getAsLong();
        for (BrokerRegistration broker : image.get().liveBrokers()) {
            Long heard = lastHeard.get(broker.id());
            if (heard == null) {
                lastHeard.put(broker.id(), now); // unknown to this leader so far: its session starts now
            } else if (now - heard > sessionTimeoutNanos) {
                log.info("Broker {} missed its session timeout ({} ms without a heartbeat): fencing it", broker.id(),
                        TimeUnit.NANOSECONDS.toMillis(now - heard));
                decide(broker, new FenceBroker(broker.id(), broker.incarnation()));
            }
        }
    }

    private void checkSessionsSafely() {
        try {
            checkSessions();
        } catch (RuntimeException e) {
            log.warn("Broker session check failed: {}", e.toString());
        }
    }

    private void decide(BrokerRegistration broker, MetadataCommand command) {
        if (pending.putIfAbsent(broker.id(), broker.incarnation()) != null) {
            return;
        }
        submit.apply(command).whenComplete((result, error) -> {
            pending.remove(broker.id(), broker.incarnation());
            if (error != null) {
                log.warn("{} for broker {} failed: {}", command.getClass().getSimpleName(), broker.id(), error.toString());
            } else if (!result.ok()) {
                log.debug("{} for broker {} refused: {}", command.getClass().getSimpleName(), broker.id(), result);
            }
        });
    }

    @Override
    public void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image) {
        if (command instanceof MetadataCommand.RegisterBroker r && result.ok()) {
            lastHeard.put(r.brokerId(), nanoClock.getAsLong()); // a registration counts as being heard from
        }
    }

    @Override
    public void onLeaderChanged(int leaderId, boolean self) {
        if (self) {
            long now = nanoClock.getAsLong();
            lastHeard.clear();
            image.get().brokers().keySet().forEach(id -> lastHeard.put(id, now));
            pending.clear();
        }
        active = self;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
