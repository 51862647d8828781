package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataQuery.BrokerState;
import io.chronik.cluster.MetadataQuery.Heartbeat;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * This broker's membership, as Kafka's broker lifecycle: at start it registers with a new incarnation id (so the
 * controller can tell a restart from a late heartbeat), then heartbeats the controller every heartbeat interval
 * with how far it has applied the metadata. The controller unfences it once that reaches its registration; a
 * controller that no longer knows the incarnation makes it register again. One request at a time, never blocking.
 */
public final class BrokerLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerLifecycle.class);

    private final int brokerId;
    private final String clusterId;
    private final String host;
    private final IntSupplier port;
    private final QuorumController controller;
    private final LongSupplier appliedIndex;
    private final Duration interval;
    private final UUID incarnation = UUID.randomUUID();
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chronik-broker-lifecycle");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean registered;
    private volatile BrokerState state = BrokerState.UNKNOWN;
    private volatile java.util.function.Consumer<String> onFatal = reason -> { };

    public BrokerLifecycle(int brokerId, String clusterId, String host, IntSupplier port, QuorumController controller,
                           LongSupplier appliedIndex, Duration interval) {
        this.brokerId = brokerId;
        this.clusterId = clusterId;
        this.host = host;
        this.port = port;
        this.controller = controller;
        this.appliedIndex = appliedIndex;
        this.interval = interval;
    }

    /** What to do when the cluster refuses this broker for good (another cluster id): the broker stops. */
    public void onFatal(java.util.function.Consumer<String> handler) {
        this.onFatal = handler;
    }

    /** Registers and starts heartbeating; called once the Kafka listener is bound (its port is registered). */
    public void start() {
        scheduler.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public UUID incarnation() {
        return incarnation;
    }

    /** What the controller last answered: UNKNOWN until registered, then FENCED or UNFENCED. */
    public BrokerState state() {
        return state;
    }

    private void tick() {
        if (!inFlight.compareAndSet(false, true)) {
            return;
        }
        try {
            if (!registered) {
                register();
            } else {
                heartbeat();
            }
        } catch (RuntimeException e) {
            inFlight.set(false);
            log.warn("Broker lifecycle step failed: {}", e.toString());
        }
    }

    private void register() {
        controller.submit(new RegisterBroker(brokerId, incarnation, clusterId, host, port.getAsInt())).whenComplete((result, error) -> {
            inFlight.set(false);
            if (error != null) {
                log.debug("Registration with the controller failed, retrying: {}", error.toString());
            } else if (result.ok()) {
                registered = true;
                state = BrokerState.FENCED;
                log.info("Registered with the controller as broker {} (incarnation {})", brokerId, incarnation);
                scheduler.execute(this::tick); // the first heartbeat asks to be unfenced right away
            } else if (result.error() == Errors.INCONSISTENT_CLUSTER_ID) {
                log.error("The controller refused this broker, which stops: {} (chronik.cluster-id must be the same on "
                        + "every broker of a cluster)", result.message());
                scheduler.shutdown();
                onFatal.accept(result.message());
            } else {
                log.warn("The controller refused the registration: {}", result);
            }
        });
    }

    private void heartbeat() {
        controller.heartbeat(new Heartbeat(brokerId, incarnation, appliedIndex.getAsLong())).whenComplete((answer, error) -> {
            inFlight.set(false);
            if (error != null) {
                log.debug("Heartbeat to the controller failed: {}", error.toString());
                return;
            }
            if (answer != state) {
                log.info("The controller has broker {} as {}", brokerId, answer == BrokerState.UNKNOWN ? "unknown: registering again"
                        : answer.name().toLowerCase(java.util.Locale.ROOT));
            }
            state = answer;
            if (answer == BrokerState.UNKNOWN) {
                registered = false;
            }
        });
    }

    /**
     * Kafka's controlled shutdown: stops heartbeating (nothing unfences this broker again) and asks the controller
     * to fence it now, which takes it out of every ISR and moves its leaderships to in-sync followers while this
     * broker still answers, so clients see NOT_LEADER_OR_FOLLOWER and move instead of timing out. Waits at most
     * {@code timeout}; a controller that cannot be reached leaves the session timeout to do it.
     */
    public void controlledShutdown(Duration timeout) {
        scheduler.shutdownNow();
        if (!registered) {
            return;
        }
        try {
            CommandResultHolder.await(controller.submit(new MetadataCommand.FenceBroker(brokerId, incarnation)), timeout);
            log.info("Controlled shutdown: broker {} left every ISR and handed over its leaderships", brokerId);
        } catch (Exception e) {
            log.warn("Controlled shutdown of broker {} did not complete: {}", brokerId, e.toString());
        }
    }

    private static final class CommandResultHolder {
        static void await(java.util.concurrent.CompletableFuture<CommandResult> future, Duration timeout) throws Exception {
            CommandResult result = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!result.ok()) {
                throw new IllegalStateException(result.toString());
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
