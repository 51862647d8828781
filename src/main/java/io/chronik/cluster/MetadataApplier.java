package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.AlterTopicConfigs;
import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreatePartitions;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.DeleteTopic;
import io.chronik.cluster.MetadataCommand.ElectLeader;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.ReassignPartition;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * Applies one command to an image: a pure function of the image, the command and its log index, so every broker
 * that applies the same log gets the same image. A refused command returns the image unchanged with its error.
 */
public final class MetadataApplier {
    private MetadataApplier() {
    }

    public record Applied(ClusterImage image, CommandResult result) {
    }

    public static Applied apply(ClusterImage image, MetadataCommand command, long index) {
        if (command instanceof RegisterBroker c) {
            return register(image, c, index);
        } else if (command instanceof FenceBroker c) {
            return fence(image, c);
        } else if (command instanceof UnfenceBroker c) {
            return unfence(image, c);
        } else if (command instanceof CreateTopic c) {
            return createTopic(image, c);
        } else if (command instanceof DeleteTopic c) {
            return deleteTopic(image, c);
        } else if (command instanceof ChangePartition c) {
            return changePartition(image, c);
        } else if (command instanceof CreatePartitions c) {
            return createPartitions(image, c);
        } else if (command instanceof AlterTopicConfigs c) {
            return alterTopicConfigs(image, c);
        } else if (command instanceof ElectLeader c) {
            return electLeader(image, c);
        } else if (command instanceof ReassignPartition c) {
            return reassignPartition(image, c);
        }
        if (command instanceof MetadataCommand.AlterBrokerConfigs c) {
            java.util.Map<String, String> configs = new java.util.HashMap<>(image.dynamicBrokerConfigs(c.resource()));
            c.deleted().forEach(configs::remove);
            configs.putAll(c.set());
            return new Applied(image.withDynamicBrokerConfigs(c.resource(), configs), CommandResult.OK);
        }
        if (command instanceof MetadataCommand.AllocateProducerIds) {
            long first = image.nextProducerId();
            return new Applied(image.withNextProducerId(first + MetadataCommand.PRODUCER_ID_BLOCK), CommandResult.ok(first));
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    private static Applied register(ClusterImage image, RegisterBroker c, long index) {
        if (image.clusterId() != null && !image.clusterId().equals(c.clusterId())) {
            return refused(image, Errors.INCONSISTENT_CLUSTER_ID, "broker " + c.brokerId() + " has cluster id " + c.clusterId()
                    + ", the cluster is " + image.clusterId());
        }
        Optional<BrokerRegistration> existing = image.broker(c.brokerId());
        if (existing.isPresent() && existing.get().incarnation().equals(c.incarnation())) {
            return new Applied(image, CommandResult.OK); // a retried registration
        }
        ClusterImage next = image.clusterId() == null ? image.withClusterId(c.clusterId()) : image;
        next = next.withBroker(new BrokerRegistration(c.brokerId(), c.incarnation(), index, c.host(), c.port(), true));
        if (existing.isPresent() && !existing.get().fenced()) {
            // The previous incarnation is gone: its partitions react as to a fencing.
            next = next.withTopics(PartitionElections.afterFencing(next, c.brokerId()));
        }
        return new Applied(next, CommandResult.OK);
    }

    private static Applied fence(ClusterImage image, FenceBroker c) {
        Optional<BrokerRegistration> broker = current(image, c.brokerId(), c.incarnation());
        if (broker.isEmpty()) {
            return refused(image, Errors.STALE_BROKER_EPOCH, "broker " + c.brokerId() + " is not registered with incarnation " + c.incarnation());
        }
        if (broker.get().fenced()) {
            return new Applied(image, CommandResult.OK);
        }
        ClusterImage next = image.withBroker(broker.get().withFenced(true));
        return new Applied(next.withTopics(PartitionElections.afterFencing(next, c.brokerId())), CommandResult.OK);
    }

    private static Applied unfence(ClusterImage image, UnfenceBroker c) {
        Optional<BrokerRegistration> broker = current(image, c.brokerId(), c.incarnation());
        if (broker.isEmpty()) {
            return refused(image, Errors.STALE_BROKER_EPOCH, "broker " + c.brokerId() + " is not registered with incarnation " + c.incarnation());
        }
        if (!broker.get().fenced()) {
            return new Applied(image, CommandResult.OK);
        }
        ClusterImage next = image.withBroker(broker.get().withFenced(false));
        return new Applied(next.withTopics(PartitionElections.afterUnfencing(next, c.brokerId())), CommandResult.OK);
    }

    private static Applied createTopic(ClusterImage image, CreateTopic c) {
        if (image.topic(c.name()).isPresent()) {
            return refused(image, Errors.TOPIC_ALREADY_EXISTS, "Topic '" + c.name() + "' already exists.");
        }
        if (image.topic(c.topicId()).isPresent()) {
            return refused(image, Errors.INVALID_REQUEST, "topic id " + c.topicId() + " is in use");
        }
        if (c.assignments().isEmpty()) {
            return refused(image, Errors.INVALID_PARTITIONS, "a topic needs at least one partition");
        }
        List<PartitionRegistration> partitions = new ArrayList<>();
        String problem = addPartitions(image, c.assignments(), partitions);
        if (problem != null) {
            return refused(image, Errors.INVALID_REPLICA_ASSIGNMENT, problem);
        }
        return new Applied(image.withTopic(new TopicImage(c.topicId(), c.name(), c.configs(), partitions)), CommandResult.OK);
    }

    /** Appends a new partition to {@code partitions} per assignment; returns why an assignment is refused, or null. */
    private static String addPartitions(ClusterImage image, List<List<Integer>> assignments, List<PartitionRegistration> partitions) {
        for (List<Integer> replicas : assignments) {
            if (replicas.isEmpty() || new HashSet<>(replicas).size() != replicas.size()
                    || !replicas.stream().allMatch(r -> image.broker(r).isPresent())) {
                return "replicas " + replicas + " must be distinct registered brokers";
            }
            partitions.add(PartitionElections.initial(replicas, image));
        }
        return null;
    }

    private static Applied createPartitions(ClusterImage image, CreatePartitions c) {
        Optional<TopicImage> topic = image.topic(c.topicId());
        if (topic.isEmpty()) {
            return refused(image, Errors.UNKNOWN_TOPIC_ID, "no topic with id " + c.topicId());
        }
        if (c.newAssignments().isEmpty()) {
            return refused(image, Errors.INVALID_PARTITIONS, "Topic already has " + topic.get().partitions().size() + " partitions.");
        }
        List<PartitionRegistration> partitions = new ArrayList<>(topic.get().partitions());
        String problem = addPartitions(image, c.newAssignments(), partitions);
        if (problem != null) {
            return refused(image, Errors.INVALID_REPLICA_ASSIGNMENT, problem);
        }
        TopicImage t = topic.get();
        return new Applied(image.withTopic(new TopicImage(t.id(), t.name(), t.configs(), partitions)), CommandResult.OK);
    }

    private static Applied alterTopicConfigs(ClusterImage image, AlterTopicConfigs c) {
        return image.topic(c.topicId())
                .map(t -> new Applied(image.withTopic(new TopicImage(t.id(), t.name(), c.configs(), t.partitions())), CommandResult.OK))
                .orElseGet(() -> refused(image, Errors.UNKNOWN_TOPIC_ID, "no topic with id " + c.topicId()));
    }

    private static Applied deleteTopic(ClusterImage image, DeleteTopic c) {
        return image.topic(c.topicId())
                .map(t -> new Applied(image.withoutTopic(t.name()), CommandResult.OK))
                .orElseGet(() -> refused(image, Errors.UNKNOWN_TOPIC_ID, "no topic with id " + c.topicId()));
    }

    private static Applied changePartition(ClusterImage image, ChangePartition c) {
        Optional<TopicImage> topic = image.topic(c.topicId());
        if (topic.isEmpty() || c.partition() < 0 || c.partition() >= topic.get().partitions().size()) {
            return refused(image, Errors.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + c.partition() + " of topic id " + c.topicId());
        }
        PartitionRegistration before = topic.get().partitions().get(c.partition());
        if (c.partitionEpoch() != before.partitionEpoch()) {
            return refused(image, Errors.INVALID_UPDATE_VERSION, "partition epoch " + c.partitionEpoch()
                    + " is not the current " + before.partitionEpoch());
        }
        boolean validLeader = c.leader() == PartitionRegistration.NO_LEADER || c.isr().contains(c.leader());
        if (c.isr().isEmpty() || !before.replicas().containsAll(c.isr()) || new HashSet<>(c.isr()).size() != c.isr().size()
                || !validLeader) {
            return refused(image, Errors.INVALID_REQUEST, "ISR " + c.isr() + " with leader " + c.leader()
                    + " does not fit replicas " + before.replicas());
        }
        // Only a live broker may join an ISR: a fenced one (stopping, or silent) would be counted for acks=all
        // and the high watermark without replicating, and would keep a controlled shutdown from taking effect.
        List<Integer> ineligible = c.isr().stream().filter(r -> !before.isr().contains(r) && !image.isLive(r)).toList();
        if (!ineligible.isEmpty()) {
            return refused(image, Errors.INELIGIBLE_REPLICA, "brokers " + ineligible + " are fenced and may not join the ISR");
        }
        PartitionRegistration next = PartitionReassignments.changed(before, c.isr(), c.leader(), image);
        return new Applied(image.withTopic(topic.get().withPartition(c.partition(), next)), CommandResult.OK);
    }

    private static Applied electLeader(ClusterImage image, ElectLeader c) {
        Optional<TopicImage> topic = image.topic(c.topicId());
        if (topic.isEmpty() || c.partition() < 0 || c.partition() >= topic.get().partitions().size()) {
            return refused(image, Errors.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + c.partition() + " of topic id " + c.topicId());
        }
        PartitionElections.Election election = PartitionElections.electLeader(topic.get().partitions().get(c.partition()), image,
                c.unclean());
        if (election.error() != Errors.NONE) {
            return refused(image, election.error(), election.message());
        }
        return new Applied(image.withTopic(topic.get().withPartition(c.partition(), election.next())), CommandResult.OK);
    }

    private static Applied reassignPartition(ClusterImage image, ReassignPartition c) {
        Optional<TopicImage> topic = image.topic(c.topicId());
        if (topic.isEmpty() || c.partition() < 0 || c.partition() >= topic.get().partitions().size()) {
            return refused(image, Errors.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + c.partition() + " of topic id " + c.topicId());
        }
        PartitionReassignments.Outcome outcome = PartitionReassignments.reassign(topic.get().partitions().get(c.partition()),
                c.targetReplicas(), image);
        if (outcome.error() != Errors.NONE) {
            return refused(image, outcome.error(), outcome.message());
        }
        return new Applied(image.withTopic(topic.get().withPartition(c.partition(), outcome.next())), CommandResult.OK);
    }

    private static Optional<BrokerRegistration> current(ClusterImage image, int brokerId, java.util.UUID incarnation) {
        return image.broker(brokerId).filter(b -> b.incarnation().equals(incarnation));
    }

    private static Applied refused(ClusterImage image, Errors error, String message) {
        return new Applied(image, CommandResult.error(error, message));
    }
}
