package io.chronik.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits until this broker has applied everything the metadata quorum had committed when asked: the leader's high
 * watermark, then this broker's state machine reaching it. An admin request that names a topic this broker does not
 * know yet (created a moment ago through another broker) is answered after it, as Kafka answers such requests from
 * the controller's state. Bounded by {@code timeout}.
 */
public final class MetadataCatchUp {
    private final QuorumController controller;
    private final MetadataStateMachine stateMachine;
    private final Duration timeout;

    public MetadataCatchUp(QuorumController controller, MetadataStateMachine stateMachine, Duration timeout) {
        this.controller = controller;
        this.stateMachine = stateMachine;
        this.timeout = timeout;
    }

    /** Completes once caught up; exceptionally when the quorum does not answer or the broker lags past the timeout. */
    public CompletableFuture<Void> catchUp() {
        return controller.describeQuorum()
                .thenCompose(status -> stateMachine.awaitApplied(status.highWatermark() - 1))
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
