package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.CommandResult;
import io.chronik.cluster.MetadataCommand;
import io.chronik.cluster.QuorumController;
import io.chronik.cluster.ReplicaPlacement;
import io.chronik.cluster.TopicImage;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.TopicException;
import io.chronik.log.TopicInfo;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.TimeoutException;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Topic administration in a cluster: whichever broker receives a request checks it as a broker running alone would
 * (names, partition counts, configs), places the replicas over the live brokers and writes the change through the
 * metadata quorum; the answer comes once the controller has applied it. Topics are read from this broker's image
 * of the cluster metadata, so every broker describes every topic, hosted here or not. A quorum that does not
 * answer in time fails the change with REQUEST_TIMED_OUT, as Kafka answers while its controller is unavailable.
 */
public final class QuorumTopicAdmin implements TopicAdmin {
    private final QuorumController controller;
    private final Supplier<ClusterImage> image;
    private final LogConfig brokerDefaults;
    private final int defaultPartitions;
    /** The replication factor of a topic created without one, given the live registered brokers. */
    private final java.util.function.IntUnaryOperator defaultReplicationFactor;
    private final ReplicaPlacement placement = new ReplicaPlacement(new Random());
    private final Supplier<CompletableFuture<Void>> catchUp;

    public QuorumTopicAdmin(QuorumController controller, Supplier<ClusterImage> image, LogConfig brokerDefaults,
                            int defaultPartitions, int defaultReplicationFactor) {
        this(controller, image, () -> CompletableFuture.completedFuture(null), brokerDefaults, defaultPartitions,
                defaultReplicationFactor);
    }

    public QuorumTopicAdmin(QuorumController controller, Supplier<ClusterImage> image,
                            Supplier<CompletableFuture<Void>> catchUp, LogConfig brokerDefaults,
                            int defaultPartitions, int defaultReplicationFactor) {
        this(controller, image, catchUp, brokerDefaults, defaultPartitions, live -> defaultReplicationFactor);
    }

    public QuorumTopicAdmin(QuorumController controller, Supplier<ClusterImage> image,
                            Supplier<CompletableFuture<Void>> catchUp, LogConfig brokerDefaults,
                            int defaultPartitions, java.util.function.IntUnaryOperator defaultReplicationFactor) {
        this.controller = controller;
        this.image = image;
        this.catchUp = catchUp;
        this.brokerDefaults = brokerDefaults;
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    @Override
    public Optional<TopicInfo> topic(String name) {
        return name == null ? Optional.empty() : image.get().topic(name).map(this::info);
    }

    @Override
    public Optional<TopicInfo> topic(UUID id) {
        return id == null ? Optional.empty() : image.get().topic(id).map(this::info);
    }

    @Override
    public Mono<Void> catchUp() {
        return Mono.defer(() -> Mono.fromFuture(catchUp.get()));
    }

    @Override
    public List<TopicInfo> topics() {
        return image.get().topics().values().stream().map(this::info).toList();
    }

    private TopicInfo info(TopicImage topic) {
        return info(topic.name(), topic.id(), topic.partitions().size(), topic.configs());
    }

    private TopicInfo info(String name, UUID id, int partitions, Map<String, String> configs) {
        Map<String, String> overrides = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(configs));
        return new TopicInfo(name, id, partitions, overrides, brokerDefaults.withOverrides(overrides));
    }

    @Override
    public Mono<CreatedTopic> createTopic(String name, int numPartitions, short replicationFactor,
                                          Map<Integer, List<Integer>> assignments, Map<String, String> configs, boolean validateOnly) {
        return Mono.defer(() -> {
            LogManager.validateTopicName(name);
            ClusterImage current = image.get();
            List<List<Integer>> replicas;
            if (!assignments.isEmpty()) {
                if (numPartitions != -1 || replicationFactor != -1) {
                    throw new InvalidRequestException("Both numPartitions or replicationFactor and replicasAssignments were set. "
                            + "Both cannot be used at the same time.");
                }
                replicas = ReplicaPlacement.checkManual(current, 0, assignments, -1);
            } else {
                int partitions = numPartitions == -1 ? defaultPartitions : numPartitions;
                if (partitions < 1) {
                    throw new InvalidPartitionsException("Number of partitions was set to an invalid non-positive value.");
                }
                int factor = replicationFactor == -1 ? defaultReplicationFactor.applyAsInt(current.liveBrokers().size())
                        : replicationFactor;
                if (factor < 1) {
                    throw new InvalidReplicationFactorException("Replication factor must be larger than 0, or -1 to use the default value.");
                }
                replicas = placement.place(current, 0, partitions, factor);
            }
            TopicInfo info = info(name, newTopicId(current), replicas.size(), configs); // validates the configs
            if (current.topic(name).isPresent()) {
                throw new TopicException(TopicException.Reason.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists.");
            }
            CreatedTopic created = new CreatedTopic(info, replicas.get(0).size());
            if (validateOnly) {
                return Mono.just(created);
            }
            return submit(new MetadataCommand.CreateTopic(info.id(), name, info.overrides(), replicas)).thenReturn(created);
        });
    }

    @Override
    public Mono<TopicInfo> deleteTopic(String name) {
        return catchUpIfUnknown(java.util.Collections.singletonList(name)).then(Mono.defer(() -> {
            TopicInfo topic = topic(name).orElseThrow(() -> unknownTopic(name));
            return submit(new MetadataCommand.DeleteTopic(topic.id())).thenReturn(topic);
        }));
    }

    @Override
    public Mono<TopicInfo> createPartitions(String name, int totalCount, List<List<Integer>> newAssignments, boolean validateOnly) {
        return catchUpIfUnknown(java.util.Collections.singletonList(name)).then(Mono.defer(() -> {
            ClusterImage current = image.get();
            TopicImage topic = current.topic(name).orElseThrow(() -> unknownTopic(name));
            int existing = topic.partitions().size();
            if (totalCount <= existing) {
                throw new InvalidPartitionsException(totalCount == existing ? "Topic already has " + existing + " partitions."
                        : "Topic currently has " + existing + " partitions, which is higher than the requested " + totalCount + ".");
            }
            int added = totalCount - existing;
            int factor = topic.partitions().get(0).replicas().size();
            List<List<Integer>> replicas;
            if (newAssignments != null) {
                if (newAssignments.size() != added) {
                    throw new InvalidReplicaAssignmentException("Increasing the number of partitions by " + added + " but "
                            + newAssignments.size() + " assignments provided.");
                }
                Map<Integer, List<Integer>> byPartition = new TreeMap<>();
                for (int i = 0; i < added; i++) {
                    byPartition.put(existing + i, newAssignments.get(i));
                }
                replicas = ReplicaPlacement.checkManual(current, existing, byPartition, factor);
            } else {
                replicas = placement.place(current, existing, added, factor);
            }
            TopicInfo grown = info(topic.name(), topic.id(), totalCount, topic.configs());
            if (validateOnly) {
                return Mono.just(grown);
            }
            return submit(new MetadataCommand.CreatePartitions(topic.id(), replicas)).thenReturn(grown);
        }));
    }

    @Override
    public Mono<TopicInfo> alterConfigs(String name, Map<String, String> overrides, boolean validateOnly) {
        return catchUpIfUnknown(java.util.Collections.singletonList(name)).then(Mono.defer(() -> {
            TopicImage topic = image.get().topic(name).orElseThrow(() -> unknownTopic(name));
            TopicInfo altered = info(topic.name(), topic.id(), topic.partitions().size(), overrides); // validates
            if (validateOnly) {
                return Mono.just(altered);
            }
            return submit(new MetadataCommand.AlterTopicConfigs(topic.id(), altered.overrides())).thenReturn(altered);
        }));
    }

    @Override
    public Map<String, String> dynamicBrokerConfigs(String resource) {
        return image.get().dynamicBrokerConfigs(resource);
    }

    @Override
    public Mono<Void> alterBrokerConfigs(String resource, Map<String, String> set, java.util.Set<String> deleted,
                                         boolean validateOnly) {
        return validateOnly ? Mono.empty()
                : Mono.defer(() -> submit(new MetadataCommand.AlterBrokerConfigs(resource, set, List.copyOf(deleted)))).then();
    }

    /** Completes once the controller applied {@code command}; its refusal or the quorum's silence as an ApiException. */
    private Mono<CommandResult> submit(MetadataCommand command) {
        CompletableFuture<CommandResult> future;
        try {
            future = controller.submit(command);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        return Mono.fromFuture(future)
                .onErrorMap(e -> !(e instanceof ApiException), QuorumTopicAdmin::unavailable)
                .flatMap(result -> result.ok() ? Mono.just(result) : Mono.error(result.error().exception(result.message())));
    }

    private static ApiException unavailable(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return new TimeoutException("The metadata quorum did not apply the change in time: " + cause);
    }

    private static TopicException unknownTopic(String name) {
        return new TopicException(TopicException.Reason.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist.");
    }

    /** Like Kafka: never the zero or metadata id, never one whose base64 form starts with '-', never one in use. */
    private static UUID newTopicId(ClusterImage current) {
        while (true) {
            UUID id = UUID.randomUUID();
            boolean reserved = (id.getMostSignificantBits() == 0 && id.getLeastSignificantBits() <= 1)
                    || (id.getMostSignificantBits() >>> 58) == 62;
            if (!reserved && current.topic(id).isEmpty()) {
                return id;
            }
        }
    }
}
