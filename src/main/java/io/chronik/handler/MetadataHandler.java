package io.chronik.handler;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.ClusterView;
import io.chronik.config.ChronikProperties;
import io.chronik.log.Log;
import io.chronik.log.LogManager;
import io.chronik.log.TopicException;
import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Metadata: alone, this broker as the only broker and the leader of every partition; in a cluster, the cluster image
 * (see {@link ClusterMetadata}). Auto-creates topics when allowed.
 */
public final class MetadataHandler implements RequestHandler {
    private final LogManager logs;
    private final BrokerIdentity broker;
    private final ChronikProperties props;
    private final Scheduler io;
    private final ClusterMetadata cluster;

    public MetadataHandler(LogManager logs, BrokerIdentity broker, ChronikProperties props, Scheduler io) {
        this(logs, broker, props, io, null, null, null);
    }

    /** In a cluster ({@code view} not null) every answer comes from {@code image}; topics are created through {@code admin}. */
    public MetadataHandler(LogManager logs, BrokerIdentity broker, ChronikProperties props, Scheduler io,
                           java.util.function.Supplier<ClusterImage> image, ClusterView view, TopicAdmin admin) {
        this.logs = logs;
        this.broker = broker;
        this.props = props;
        this.io = io;
        this.cluster = view == null ? null : new ClusterMetadata(image, view, broker, admin);
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.METADATA);
    }

    @Override
    public Mono<MetadataResponseData> handle(KafkaRequest request) {
        MetadataRequestData body = request.body();
        if (cluster != null) {
            return cluster.respond(body, request.version(), props.isAutoCreateTopics());
        }
        // Auto-creation writes files, so the whole request runs on the io scheduler.
        return Mono.fromCallable(() -> respond(body, request.version())).subscribeOn(io);
    }

    private MetadataResponseData respond(MetadataRequestData body, short version) {
        MetadataResponseData response = new MetadataResponseData()
                .setClusterId(broker.clusterId())
                .setControllerId(broker.nodeId());
        response.brokers().add(new MetadataResponseBroker().setNodeId(broker.nodeId()).setHost(broker.host())
                .setPort(broker.port()));
        boolean allTopics = body.topics() == null || (version == 0 && body.topics().isEmpty());
        if (allTopics) {
            for (TopicInfo topic : logs.topics()) {
                response.topics().add(describe(topic));
            }
            return response;
        }
        boolean autoCreate = props.isAutoCreateTopics() && (version < 4 || body.allowAutoTopicCreation());
        for (MetadataRequestTopic requested : body.topics()) {
            response.topics().add(lookup(requested, autoCreate));
        }
        return response;
    }

    private MetadataResponseTopic lookup(MetadataRequestTopic requested, boolean autoCreate) {
        if (requested.name() == null) {
            Uuid id = requested.topicId();
            return logs.topic(TopicIds.toUuid(id)).map(this::describe)
                    .orElseGet(() -> new MetadataResponseTopic().setTopicId(id).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
        }
        String name = requested.name();
        Optional<TopicInfo> topic = logs.topic(name);
        if (topic.isEmpty() && autoCreate) {
            try {
                topic = Optional.of(logs.createTopic(name, props.getDefaultPartitions(), Map.of(), false));
            } catch (TopicException e) {
                if (e.reason() == TopicException.Reason.TOPIC_ALREADY_EXISTS) {
                    topic = logs.topic(name);
                } else {
                    return new MetadataResponseTopic().setName(name).setErrorCode(ErrorCodes.of(e.reason()));
                }
            }
        }
        return topic.map(this::describe).orElseGet(() -> new MetadataResponseTopic().setName(name)
                .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
    }

    private MetadataResponseTopic describe(TopicInfo topic) {
        List<MetadataResponsePartition> partitions = new ArrayList<>(topic.partitions());
        List<Integer> replicas = List.of(broker.nodeId());
        for (int p = 0; p < topic.partitions(); p++) {
            Optional<Log> log = logs.log(topic.name(), p);
            int leaderEpoch = log.map(Log::leaderEpoch).orElse(0);
            // A partition a storage error took offline: its replica is reported offline, as Kafka reports replicas
            // on a failed log directory; clients keep sending to it and get KAFKA_STORAGE_ERROR.
            boolean offline = log.map(Log::isOffline).orElse(false);
            partitions.add(new MetadataResponsePartition().setPartitionIndex(p).setLeaderId(broker.nodeId())
                    .setLeaderEpoch(leaderEpoch).setReplicaNodes(replicas).setIsrNodes(replicas)
                    .setOfflineReplicas(offline ? replicas : List.of())
                    .setErrorCode(offline ? Errors.KAFKA_STORAGE_ERROR.code() : Errors.NONE.code()));
        }
        return new MetadataResponseTopic().setName(topic.name()).setTopicId(TopicIds.toKafka(topic.id()))
                .setIsInternal(CoordinatorPlacement.isInternal(topic.name())).setPartitions(partitions);
    }
}
