package io.chronik.config;

import io.chronik.cluster.BrokerHeartbeatManager;
import io.chronik.cluster.BrokerLifecycle;
import io.chronik.cluster.ClusterSettings;
import io.chronik.cluster.MetadataPublisher;
import io.chronik.cluster.MetadataStateMachine;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.cluster.PreferredLeaderBalancer;
import io.chronik.cluster.QuorumController;
import io.chronik.cluster.QuorumServer;
import io.chronik.handler.BrokerIdentity;
import io.chronik.handler.DescribeQuorumHandler;
import io.chronik.log.LogManager;
import io.chronik.metrics.QuorumMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;

/**
 * The metadata quorum, only when {@code chronik.cluster.voters} is set: the replicated state machine, this
 * broker's quorum member, the client to the controller, broker liveness on the controller, this broker's
 * registration and heartbeats, DescribeQuorum and the quorum's metrics. Without the key none of this exists and
 * the broker runs alone exactly as before.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "chronik.cluster", name = "voters")
public class ClusterConfiguration {

    @Bean
    ClusterSettings clusterSettings(ChronikProperties props, ClusterProperties cluster, LogManager logs) {
        // After storage: the data directory has been checked and recovered.
        return ClusterSettings.resolve(props, cluster, logs.dataDir());
    }

    @Bean
    MetadataStateMachine metadataStateMachine() {
        return new MetadataStateMachine();
    }

    @Bean(destroyMethod = "close")
    BrokerHeartbeatManager brokerHeartbeatManager(MetadataStateMachine stateMachine, ClusterSettings settings,
                                                  ObjectProvider<QuorumController> controller) {
        BrokerHeartbeatManager manager = new BrokerHeartbeatManager(stateMachine::image,
                command -> controller.getObject().submit(command), settings.sessionTimeout(), System::nanoTime, true);
        stateMachine.addListener(manager);
        return manager;
    }

    /** Preferred-leader balancing on the controller; without auto-leader-rebalance-enable it never checks. */
    @Bean(destroyMethod = "close")
    PreferredLeaderBalancer preferredLeaderBalancer(MetadataStateMachine stateMachine, ClusterProperties cluster,
                                                    ObjectProvider<QuorumController> controller) {
        PreferredLeaderBalancer balancer = new PreferredLeaderBalancer(stateMachine::image,
                command -> controller.getObject().submit(command), cluster.getLeaderImbalancePerBrokerPercentage(),
                cluster.isAutoLeaderRebalanceEnable() ? cluster.getLeaderImbalanceCheckInterval() : null);
        stateMachine.addListener(balancer);
        return balancer;
    }

    @Bean
    QuorumMetrics quorumMetrics(MeterRegistry registry, MetadataStateMachine stateMachine) {
        QuorumMetrics metrics = new QuorumMetrics(registry);
        stateMachine.addListener(metrics);
        return metrics;
    }

    /** Makes this broker's logs follow the cluster image; publishes once the broker has registered. */
    @Bean(destroyMethod = "close")
    MetadataPublisher metadataPublisher(ClusterSettings settings, LogManager logs, MetadataStateMachine stateMachine,
                                        List<PartitionStateListener> listeners) {
        MetadataPublisher publisher = new MetadataPublisher(settings.nodeId(), logs, stateMachine::image, listeners);
        stateMachine.addListener(publisher);
        return publisher;
    }

    /** Starts after every listener is in place, so none misses the first election. */
    @Bean(destroyMethod = "close")
    QuorumServer quorumServer(ClusterSettings settings, MetadataStateMachine stateMachine, BrokerHeartbeatManager heartbeats,
                              QuorumMetrics metrics, MetadataPublisher publisher, PreferredLeaderBalancer balancer) {
        QuorumServer server = QuorumServer.start(settings, stateMachine, heartbeats);
        metrics.attach(server);
        return server;
    }

    @Bean(destroyMethod = "close")
    QuorumController quorumController(QuorumServer server) {
        return new QuorumController(server);
    }

    /** A broker beyond the voters asks to follow the quorum as a listener (none on a voter). */
    @Bean(destroyMethod = "close")
    io.chronik.cluster.ObserverJoin observerJoin(QuorumServer server) {
        return io.chronik.cluster.ObserverJoin.start(server);
    }

    @Bean(destroyMethod = "close")
    BrokerLifecycle brokerLifecycle(ClusterSettings settings, BrokerIdentity broker, QuorumController controller, QuorumServer server,
                                    org.springframework.context.ConfigurableApplicationContext context) {
        BrokerLifecycle lifecycle = new BrokerLifecycle(settings.nodeId(), settings.clusterId(), broker.host(), broker::port,
                controller, server::appliedIndex, settings.heartbeatInterval());
        // A broker of another cluster must not serve as if it belonged to this one: it stops with exit code 1.
        lifecycle.onFatal(reason -> {
            Thread stopper = new Thread(() -> System.exit(org.springframework.boot.SpringApplication.exit(context, () -> 1)),
                    "chronik-fatal-stop");
            // Not a daemon (the refusal arrives on a daemon thread): the JVM must not end with 0 once the context is
            // closed and before the exit code is set.
            stopper.setDaemon(false);
            stopper.start();
        });
        return lifecycle;
    }

    /** Registration waits for the Kafka listener: the broker registers the port it is reachable on. */
    @Bean
    ApplicationListener<ApplicationReadyEvent> brokerRegistration(BrokerLifecycle lifecycle, MetadataPublisher publisher) {
        return event -> {
            publisher.start(lifecycle.incarnation());
            lifecycle.start();
        };
    }

    /** SIGTERM: leave every ISR and hand over leaderships before the listener and storage stop. */
    @Bean
    ApplicationListener<ContextClosedEvent> controlledShutdown(BrokerLifecycle lifecycle, ClusterSettings settings,
                                                               ObjectProvider<io.chronik.replica.ReplicaManager> replicas) {
        return event -> {
            io.chronik.replica.ReplicaManager manager = replicas.getIfAvailable();
            if (manager != null && lifecycle.state() == io.chronik.cluster.MetadataQuery.BrokerState.UNFENCED) {
                try {
                    // Followers first get everything this broker acknowledged, then the controller moves its leaderships.
                    manager.drainLeadership(settings.requestTimeout());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            lifecycle.controlledShutdown(settings.requestTimeout().multipliedBy(2));
        };
    }

    @Bean
    io.chronik.handler.AlterPartitionReassignmentsHandler alterPartitionReassignmentsHandler(QuorumController controller,
                                                                                           MetadataStateMachine machine) {
        return new io.chronik.handler.AlterPartitionReassignmentsHandler(controller, machine::image);
    }

    @Bean
    io.chronik.handler.ListPartitionReassignmentsHandler listPartitionReassignmentsHandler(MetadataStateMachine machine) {
        return new io.chronik.handler.ListPartitionReassignmentsHandler(machine::image);
    }

    @Bean
    DescribeQuorumHandler describeQuorumHandler(QuorumController controller) {
        return new DescribeQuorumHandler(controller);
    }
}
