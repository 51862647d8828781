package io.chronik.metrics;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.CommandResult;
import io.chronik.cluster.MetadataCommand;
import io.chronik.cluster.MetadataListener;
import io.chronik.cluster.QuorumServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The metadata quorum as this broker sees it: the Raft term, the commit and applied indexes, how many leader
 * elections it has seen conclude, and {@code chronik_controller_active} (1 on the quorum leader, the active
 * controller). Only registered when the broker runs in a cluster.
 */
public final class QuorumMetrics implements MetadataListener {
    private final Counter elections;
    private volatile QuorumServer quorum;

    /** Registered before the quorum member starts, so the first election is counted; {@link #attach} follows. */
    public QuorumMetrics(MeterRegistry registry) {
        gauge(registry, "chronik.quorum.term", "Current term of the metadata quorum (the controller's leader epoch)",
                QuorumServer::term);
        gauge(registry, "chronik.quorum.commit.index", "Highest committed index of the metadata quorum log known to this broker",
                QuorumServer::commitIndex);
        gauge(registry, "chronik.quorum.applied.index", "Highest metadata quorum log index this broker has applied",
                QuorumServer::appliedIndex);
        gauge(registry, "chronik.controller.active", "1 on the broker that leads the metadata quorum (the active controller), else 0",
                q -> q.isLeader() ? 1 : 0);
        elections = Counter.builder("chronik.quorum.elections")
                .description("Leader elections of the metadata quorum this broker has seen conclude").register(registry);
    }

    public void attach(QuorumServer server) {
        this.quorum = server;
    }

    private void gauge(MeterRegistry registry, String name, String description, java.util.function.ToDoubleFunction<QuorumServer> value) {
        Gauge.builder(name, this, m -> m.quorum == null ? Double.NaN : value.applyAsDouble(m.quorum))
                .description(description).register(registry);
    }

    @Override
    public void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image) {
    }

    @Override
    public void onLeaderChanged(int leaderId, boolean self) {
        if (leaderId >= 0) {
            elections.increment();
        }
    }
}
