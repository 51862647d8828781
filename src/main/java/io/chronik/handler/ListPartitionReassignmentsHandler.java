package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.cluster.TopicImage;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * ListPartitionReassignments ({@code kafka-reassign-partitions --verify/--list}): the partitions being moved, with
 * their replicas and the adding and removing ones, from this broker's metadata image. Topics null means every
 * topic; unknown topics and partitions that are not being moved are left out, as Kafka answers. Cluster only.
 */
public final class ListPartitionReassignmentsHandler implements RequestHandler {
    private final Supplier<ClusterImage> image;

    public ListPartitionReassignmentsHandler(Supplier<ClusterImage> image) {
        this.image = image;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.LIST_PARTITION_REASSIGNMENTS);
    }

    @Override
    public Mono<ListPartitionReassignmentsResponseData> handle(KafkaRequest request) {
        ListPartitionReassignmentsRequestData body = request.body();
        ClusterImage current = image.get();
        List<OngoingTopicReassignment> topics = new ArrayList<>();
        if (body.topics() == null) {
            for (TopicImage topic : current.topics().values()) {
                List<Integer> all = new ArrayList<>();
                for (int p = 0; p < topic.partitions().size(); p++) {
                    all.add(p);
                }
                add(topics, topic, all);
            }
        } else {
            for (ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics requested : body.topics()) {
                current.topic(requested.name()).ifPresent(topic -> add(topics, topic, requested.partitionIndexes()));
            }
        }
        return Mono.just(new ListPartitionReassignmentsResponseData().setErrorCode(Errors.NONE.code()).setTopics(topics));
    }

    private static void add(List<OngoingTopicReassignment> topics, TopicImage topic, List<Integer> partitions) {
        List<OngoingPartitionReassignment> ongoing = new ArrayList<>();
        for (int p : partitions) {
            if (p >= 0 && p < topic.partitions().size() && topic.partitions().get(p).reassigning()) {
                PartitionRegistration r = topic.partitions().get(p);
                ongoing.add(new OngoingPartitionReassignment().setPartitionIndex(p).setReplicas(new ArrayList<>(r.replicas()))
                        .setAddingReplicas(new ArrayList<>(r.adding())).setRemovingReplicas(new ArrayList<>(r.removing())));
            }
        }
        if (!ongoing.isEmpty()) {
            topics.add(new OngoingTopicReassignment().setName(topic.name()).setPartitions(ongoing));
        }
    }
}
