package io.chronik.config;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.MetadataStateMachine;
import io.chronik.cluster.ProducerIdBlocks;
import io.chronik.handler.BrokerIdentity;
import io.chronik.handler.CoordinatorPlacement;
import io.chronik.handler.FindCoordinatorHandler;
import io.chronik.handler.InternalTopicCreator;
import io.chronik.handler.TopicAdmin;
import io.chronik.handler.TransactionHandler;
import io.chronik.handler.TransactionVerification;
import io.chronik.handler.TransactionVerifier;
import io.chronik.handler.TxnOffsetEnrolment;
import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import io.chronik.replica.Leadership;
import io.chronik.server.KafkaServer;
import io.chronik.txn.TransactionCoordinator;
import io.chronik.txn.TransactionMarkerSender;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The transaction coordinator and its APIs. In a cluster, {@code __transaction_state} is created through the quorum
 * on the first lookup that misses it and its partitions are led as the metadata says; alone, it is created locally
 * (replication factor 1) and this broker leads every partition.
 */
@Configuration(proxyBeanMethods = false)
public class TransactionConfiguration {
    /** How long a write to {@code __transaction_state} waits for the ISR. */
    private static final long WRITE_TIMEOUT_MS = 5_000;
    /** Transactions with markers in flight at most; EndTxn answers CONCURRENT_TRANSACTIONS beyond. */
    private static final int MAX_COMPLETING = 1_000;

    /** Where transactional ids are coordinated (a type of its own, apart from the groups' placement). */
    public record TransactionPlacement(CoordinatorPlacement placement) {
    }

    @Bean(destroyMethod = "close")
    TransactionCoordinator transactionCoordinator(TransactionProperties props, BrokerIdentity broker, LogManager logs,
                                                  ObjectProvider<Leadership> leadership,
                                                  ObjectProvider<MetadataStateMachine> stateMachine,
                                                  ObjectProvider<ProducerIdBlocks> blocks, Scheduler ioScheduler,
                                                  ChronikProperties chronik, ObjectProvider<KafkaServer> server) {
        if (props.getAbortTimedOutInterval().compareTo(props.getMaxTimeout()) > 0) {
            throw new InvalidConfigurationException("chronik.transaction.abort-timed-out-interval",
                    props.getAbortTimedOutInterval().toString(),
                    "must not be greater than chronik.transaction.max-timeout (" + props.getMaxTimeout() + ")");
        }
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        TransactionCoordinator.Settings settings = new TransactionCoordinator.Settings(props.getMaxTimeout().toMillis(),
                props.getAbortTimedOutInterval().toMillis(), props.getIdExpiration().toMillis(), MAX_COMPLETING,
                WRITE_TIMEOUT_MS);
        ProducerIdBlocks cluster = blocks.getIfAvailable();
        Supplier<CompletableFuture<Long>> producerIds = cluster != null ? cluster::nextProducerId
                : () -> Mono.fromCallable(logs::nextProducerId).subscribeOn(ioScheduler).toFuture();
        IntSupplier partitions = machine == null
                ? () -> logs.topic(TransactionCoordinator.TOPIC).map(TopicInfo::partitions).orElse(props.getStateTopicPartitions())
                : () -> machine.image().topic(TransactionCoordinator.TOPIC).map(t -> t.partitions().size())
                .orElse(props.getStateTopicPartitions());
        TransactionMarkerSender.Brokers brokers = machine == null
                ? aloneBrokers(broker.nodeId(), listenerHost(chronik), () -> server.getObject().port(), logs)
                : clusterBrokers(machine::image);
        return new TransactionCoordinator(broker.nodeId(), logs, leadership.getIfAvailable(() -> Leadership.ALONE), settings,
                partitions, producerIds, brokers);
    }

    /** Where this broker reaches its own listener: its bind address, or the loopback one when it binds every address. */
    private static String listenerHost(ChronikProperties props) {
        String host = props.getListener().getHost();
        return host == null || host.isBlank() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")
                ? "127.0.0.1" : host;
    }

    /** Alone, markers go to this broker's own listener (not the advertised address, which may not route back here). */
    private static TransactionMarkerSender.Brokers aloneBrokers(int nodeId, String host, IntSupplier port, LogManager logs) {
        return new TransactionMarkerSender.Brokers() {
            @Override
            public Optional<Node> leaderOf(TopicPartition partition) {
                return logs.log(partition.topic(), partition.partition()).map(l -> new Node(nodeId, host, port.getAsInt()));
            }

            @Override
            public boolean topicExists(String topic) {
                return logs.topic(topic).isPresent();
            }
        };
    }

    private static TransactionMarkerSender.Brokers clusterBrokers(Supplier<ClusterImage> image) {
        return new TransactionMarkerSender.Brokers() {
            @Override
            public Optional<Node> leaderOf(TopicPartition partition) {
                ClusterImage current = image.get();
                return current.topic(partition.topic())
                        .filter(t -> partition.partition() < t.partitions().size())
                        .map(t -> t.partitions().get(partition.partition()).leader())
                        .flatMap(current::broker).filter(b -> !b.fenced())
                        .map(b -> new Node(b.id(), b.host(), b.port()));
            }

            @Override
            public boolean topicExists(String topic) {
                return image.get().topic(topic).isPresent();
            }
        };
    }

    /**
     * In a cluster, the leader of the id's {@code __transaction_state} partition coordinates it; the topic is created
     * (compacted, the default replication factor, min.insync.replicas min(2, that)) on the first lookup that misses it.
     * Alone, this broker coordinates every id; the topic is created locally on the first lookup and every partition led.
     */
    @Bean
    TransactionPlacement transactionPlacement(TransactionProperties props, BrokerIdentity broker, LogManager logs,
                                              TransactionCoordinator coordinator, ObjectProvider<TopicAdmin> topicAdmin,
                                              ObjectProvider<MetadataStateMachine> stateMachine, ReplicationDefaults defaults) {
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        String topic = TransactionCoordinator.TOPIC;
        if (machine == null) {
            AtomicBoolean led = new AtomicBoolean();
            Runnable leadAll = () -> {
                if (logs.topic(topic).isPresent() && led.compareAndSet(false, true)) {
                    coordinator.leadAll();
                }
            };
            InternalTopicCreator creator = new InternalTopicCreator(topicAdmin::getObject, topic,
                    () -> logs.topic(topic).isPresent(), () -> 1, props.getStateTopicPartitions(), live -> 1,
                    Map.of("cleanup.policy", "compact", "min.insync.replicas", "1"), leadAll);
            leadAll.run(); // a restarted broker loads what it had at once, completing prepared transactions
            return new TransactionPlacement(CoordinatorPlacement.alone(broker, () -> {
                if (!led.get()) {
                    creator.run();
                    leadAll.run();
                }
                return led.get();
            }));
        }
        int factor = defaults.replicationFactor();
        InternalTopicCreator creator = new InternalTopicCreator(topicAdmin::getObject, topic,
                () -> machine.image().topic(topic).isPresent(), () -> machine.image().liveBrokers().size(),
                props.getStateTopicPartitions(), defaults::replicationFactor,
                Map.of("cleanup.policy", "compact", "min.insync.replicas", String.valueOf(Math.min(2, factor))), () -> { });
        return new TransactionPlacement(CoordinatorPlacement.inCluster(broker, machine::image, topic,
                props.getStateTopicPartitions(), creator));
    }

    /** Asks transaction coordinators for partition leaders and group coordinators. */
    @Bean(destroyMethod = "close")
    TransactionVerifier transactionVerifier(BrokerIdentity broker, TransactionPlacement placement,
                                            TransactionCoordinator coordinator) {
        return new TransactionVerifier(broker.nodeId(), placement.placement(), coordinator);
    }

    /**
     * What Produce does with transactional batches: verify them (chronik.transaction.partition-verification), and, at
     * transaction version 2, add their partitions for Produce v12+.
     */
    @Bean
    TransactionVerification transactionVerification(TransactionVerifier verifier, TransactionProperties props) {
        return new TransactionVerification(verifier, props.isPartitionVerification(), props.getVersion() >= 2,
                props.getAddPartitionsRetryBackoff(), props.getAddPartitionsRetryMax());
    }

    /**
     * At transaction version 2, TxnOffsetCommit v5 adds the group's offsets partition to the transaction; older
     * versions are verified against it (chronik.transaction.partition-verification).
     */
    @Bean
    TxnOffsetEnrolment txnOffsetEnrolment(TransactionVerifier verifier, LogManager logs, TransactionProperties txn,
                                          ObjectProvider<MetadataStateMachine> stateMachine, ChronikProperties props) {
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        int configured = props.getGroup().getOffsetsTopicPartitions();
        String offsets = CoordinatorPlacement.OFFSETS_TOPIC;
        IntSupplier partitions = machine == null
                ? () -> logs.topic(offsets).map(TopicInfo::partitions).orElse(configured)
                : () -> machine.image().topic(offsets).map(t -> t.partitions().size()).orElse(configured);
        return new TxnOffsetEnrolment(verifier, partitions, txn.getVersion() >= 2, txn.isPartitionVerification());
    }

    @Bean
    FindCoordinatorHandler findCoordinatorHandler(CoordinatorPlacement groups, TransactionPlacement transactions) {
        return new FindCoordinatorHandler(groups, transactions.placement());
    }

    @Bean
    TransactionHandler transactionHandler(TransactionCoordinator coordinator, TransactionPlacement placement,
                                          LogManager logs, ObjectProvider<MetadataStateMachine> stateMachine,
                                          ChronikProperties props) {
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        int offsetsPartitions = props.getGroup().getOffsetsTopicPartitions();
        String offsets = CoordinatorPlacement.OFFSETS_TOPIC;
        Predicate<TopicPartition> exists;
        IntSupplier offsetsTopicPartitions;
        if (machine == null) {
            exists = tp -> logs.topic(tp.topic()).filter(t -> tp.partition() >= 0 && tp.partition() < t.partitions()).isPresent();
            offsetsTopicPartitions = () -> logs.topic(offsets).map(TopicInfo::partitions).orElse(offsetsPartitions);
        } else {
            exists = tp -> machine.image().topic(tp.topic())
                    .filter(t -> tp.partition() >= 0 && tp.partition() < t.partitions().size()).isPresent();
            offsetsTopicPartitions = () -> machine.image().topic(offsets).map(t -> t.partitions().size()).orElse(offsetsPartitions);
        }
        return new TransactionHandler(coordinator, placement.placement(), exists, offsetsTopicPartitions);
    }
}
