package io.chronik.handler;

import io.chronik.log.LogManager;
import io.chronik.log.TopicException;
import io.chronik.log.TopicInfo;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** A broker running alone: storage is the metadata, it replicates nothing; file work runs on the io scheduler. */
public final class LocalTopicAdmin implements TopicAdmin {
    private final LogManager logs;
    private final int nodeId;
    private final int defaultPartitions;
    private final Scheduler io;

    public LocalTopicAdmin(LogManager logs, int nodeId, int defaultPartitions, Scheduler io) {
        this.logs = logs;
        this.nodeId = nodeId;
        this.defaultPartitions = defaultPartitions;
        this.io = io;
    }

    @Override
    public Optional<TopicInfo> topic(String name) {
        return logs.topic(name);
    }

    @Override
    public Optional<TopicInfo> topic(UUID id) {
        return logs.topic(id);
    }

    @Override
    public List<TopicInfo> topics() {
        return logs.topics();
    }

    @Override
    public Mono<CreatedTopic> createTopic(String name, int numPartitions, short replicationFactor,
                                          Map<Integer, List<Integer>> assignments, Map<String, String> configs, boolean validateOnly) {
        return Mono.fromCallable(() -> {
            int partitions = partitionCount(numPartitions, replicationFactor, assignments);
            return new CreatedTopic(logs.createTopic(name, partitions, configs, validateOnly), 1);
        }).subscribeOn(io);
    }

    private int partitionCount(int numPartitions, short replicationFactor, Map<Integer, List<Integer>> assignments) {
        if (replicationFactor != -1 && replicationFactor != 1) {
            throw new TopicException(TopicException.Reason.INVALID_REPLICATION_FACTOR, "Replication factor "
                    + replicationFactor + " is larger than the 1 available broker");
        }
        if (!assignments.isEmpty()) {
            if (numPartitions != -1 || replicationFactor != -1) {
                throw new TopicException(TopicException.Reason.INVALID_REPLICATION_FACTOR,
                        "Both numPartitions or replicationFactor and manual assignment were set");
            }
            for (Map.Entry<Integer, List<Integer>> assignment : assignments.entrySet()) {
                if (!assignment.getValue().equals(List.of(nodeId))) {
                    throw new TopicException(TopicException.Reason.INVALID_REPLICATION_FACTOR,
                            "Partition " + assignment.getKey() + " is assigned to brokers "
                                    + assignment.getValue() + "; the only broker is " + nodeId);
                }
            }
            return assignments.size();
        }
        return numPartitions == -1 ? defaultPartitions : numPartitions;
    }

    @Override
    public Mono<TopicInfo> deleteTopic(String name) {
        return Mono.fromCallable(() -> {
            Optional<TopicInfo> topic = logs.topic(name);
            if (topic.isPresent() && CoordinatorPlacement.isInternal(name)) {
                // A cluster deletes an internal topic as Kafka's controller does, and its coordinators start over on a
                // new one; a broker alone keeps the topic for its coordinator's whole life, so it refuses.
                throw new TopicException(TopicException.Reason.INVALID_TOPIC_EXCEPTION,
                        "Cannot delete internal topic " + name + " of a broker alone: its coordinator keeps it");
            }
            logs.deleteTopic(name);
            return topic.orElseThrow();
        }).subscribeOn(io);
    }

    @Override
    public Mono<TopicInfo> createPartitions(String name, int totalCount, List<List<Integer>> newAssignments, boolean validateOnly) {
        return Mono.fromCallable(() -> logs.createPartitions(name, totalCount, validateOnly)).subscribeOn(io);
    }

    @Override
    public Mono<TopicInfo> alterConfigs(String name, Map<String, String> overrides, boolean validateOnly) {
        return Mono.fromCallable(() -> logs.alterConfigs(name, overrides, validateOnly)).subscribeOn(io);
    }
}
