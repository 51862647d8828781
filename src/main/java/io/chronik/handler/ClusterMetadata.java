package io.chronik.handler;

import io.chronik.cluster.BrokerRegistration;
import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.ClusterView;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.cluster.TopicImage;
import io.chronik.log.LogManager;
import io.chronik.log.TopicException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Metadata in a cluster, answered by every broker from its image of the cluster metadata: the live (unfenced)
 * brokers, a live broker as the controller (this one, see {@link #controllerFor}), and per partition the leader
 * (-1 with LEADER_NOT_AVAILABLE), leader epoch, replicas, ISR and offline replicas (those whose broker is fenced or
 * not registered). A missing topic is created through the quorum when auto-creation is allowed; until this
 * broker's image has it, it is reported as LEADER_NOT_AVAILABLE, which clients retry, as Kafka reports a topic it is
 * creating.
 */
final class ClusterMetadata {
    private final Supplier<ClusterImage> image;
    private final ClusterView cluster;
    private final BrokerIdentity broker;
    private final TopicAdmin admin;

    ClusterMetadata(Supplier<ClusterImage> image, ClusterView cluster, BrokerIdentity broker, TopicAdmin admin) {
        this.image = image;
        this.cluster = cluster;
        this.broker = broker;
        this.admin = admin;
    }

    /**
     * The "controller" clients send admin requests (and kafkajs its InitProducerId) to. Every broker serves those,
     * so, as Kafka's brokers name a live broker here, this one names itself while it is live: a quorum leader that
     * was just killed is still named by the others until the next election, and clients would keep trying it.
     */
    private int controllerFor(ClusterImage current) {
        if (current.isLive(broker.nodeId())) {
            return broker.nodeId();
        }
        int leader = cluster.controllerId();
        return current.isLive(leader) ? leader
                : current.liveBrokers().stream().mapToInt(BrokerRegistration::id).findFirst().orElse(-1);
    }

    Mono<MetadataResponseData> respond(MetadataRequestData body, short version, boolean autoCreateAllowed) {
        ClusterImage current = image.get();
        MetadataResponseData response = new MetadataResponseData().setClusterId(broker.clusterId())
                .setControllerId(controllerFor(current));
        for (BrokerRegistration live : current.liveBrokers()) {
            response.brokers().add(new MetadataResponseBroker().setNodeId(live.id()).setHost(live.host()).setPort(live.port()));
        }
        boolean allTopics = body.topics() == null || (version == 0 && body.topics().isEmpty());
        if (allTopics) {
            current.topics().values().forEach(t -> response.topics().add(describe(t, current)));
            return Mono.just(response);
        }
        boolean autoCreate = autoCreateAllowed && (version < 4 || body.allowAutoTopicCreation());
        List<Mono<MetadataResponseTopic>> topics = new ArrayList<>();
        for (MetadataRequestTopic requested : body.topics()) {
            topics.add(lookup(requested, current, autoCreate));
        }
        return Flux.mergeSequential(topics).collectList().map(list -> {
            response.topics().addAll(list);
            return response;
        });
    }

    private Mono<MetadataResponseTopic> lookup(MetadataRequestTopic requested, ClusterImage current, boolean autoCreate) {
        if (requested.name() == null) {
            Uuid id = requested.topicId();
            return Mono.just(current.topic(TopicIds.toUuid(id)).map(t -> describe(t, current))
                    .orElseGet(() -> new MetadataResponseTopic().setTopicId(id).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())));
        }
        String name = requested.name();
        TopicImage topic = current.topic(name).orElse(null);
        if (topic != null) {
            return Mono.just(describe(topic, current));
        }
        if (!autoCreate) {
            return Mono.just(missing(name, Errors.UNKNOWN_TOPIC_OR_PARTITION));
        }
        try {
            LogManager.validateTopicName(name);
        } catch (TopicException e) {
            return Mono.just(missing(name, Errors.INVALID_TOPIC_EXCEPTION));
        }
        return admin.createTopic(name, -1, (short) -1, Map.of(), Map.of(), false)
                .map(created -> Errors.NONE)
                .onErrorResume(e -> e instanceof TopicException || e instanceof ApiException, e -> Mono.just(
                        e instanceof TimeoutException ? Errors.LEADER_NOT_AVAILABLE : ErrorCodes.of(e)))
                .map(error -> {
                    if (error != Errors.NONE && error != Errors.TOPIC_ALREADY_EXISTS) {
                        return missing(name, error);
                    }
                    ClusterImage now = image.get();
                    return now.topic(name).map(t -> describe(t, now)).orElseGet(() -> missing(name, Errors.LEADER_NOT_AVAILABLE));
                });
    }

    private static MetadataResponseTopic missing(String name, Errors error) {
        return new MetadataResponseTopic().setName(name).setErrorCode(error.code());
    }

    static MetadataResponseTopic describe(TopicImage topic, ClusterImage current) {
        List<MetadataResponsePartition> partitions = new ArrayList<>(topic.partitions().size());
        for (int p = 0; p < topic.partitions().size(); p++) {
            PartitionRegistration registration = topic.partitions().get(p);
            List<Integer> offline = registration.replicas().stream().filter(r -> !current.isLive(r)).toList();
            boolean leaderless = registration.leader() == PartitionRegistration.NO_LEADER;
            partitions.add(new MetadataResponsePartition().setPartitionIndex(p).setLeaderId(registration.leader())
                    .setLeaderEpoch(registration.leaderEpoch()).setReplicaNodes(registration.replicas())
                    .setIsrNodes(registration.isr()).setOfflineReplicas(offline)
                    .setErrorCode(leaderless ? Errors.LEADER_NOT_AVAILABLE.code() : Errors.NONE.code()));
        }
        return new MetadataResponseTopic().setName(topic.name()).setTopicId(TopicIds.toKafka(topic.id()))
                .setIsInternal(CoordinatorPlacement.isInternal(topic.name())).setPartitions(partitions).setErrorCode(Errors.NONE.code());
    }
}
