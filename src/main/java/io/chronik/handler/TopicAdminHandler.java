package io.chronik.handler;

import io.chronik.config.ChronikProperties;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.TopicException;
import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** CreateTopics, DeleteTopics and CreatePartitions. All file work runs on the io scheduler. */
public final class TopicAdminHandler implements RequestHandler {
    private final LogManager logs;
    private final LogConfig brokerDefaults;
    private final ChronikProperties props;
    private final int nodeId;
    private final Scheduler io;

    public TopicAdminHandler(LogManager logs, LogConfig brokerDefaults, ChronikProperties props, Scheduler io) {
        this.logs = logs;
        this.brokerDefaults = brokerDefaults;
        this.props = props;
        this.nodeId = props.getNodeId();
        this.io = io;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.CREATE_TOPICS, Api.DELETE_TOPICS, Api.CREATE_PARTITIONS);
    }

    @Override
    public Mono<ApiMessage> handle(KafkaRequest request) {
        return Mono.fromCallable(() -> switch (request.api()) {
            case CREATE_TOPICS -> createTopics(request.body());
            case DELETE_TOPICS -> deleteTopics(request.body(), request.version());
            case CREATE_PARTITIONS -> createPartitions(request.body());
            default -> throw new IllegalArgumentException("not a topic administration API: " + request.api());
        }).subscribeOn(io);
    }

    private CreateTopicsResponseData createTopics(CreateTopicsRequestData body) {
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        Set<String> seen = new HashSet<>();
        for (CreatableTopic topic : body.topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(topic.name());
            response.topics().add(result);
            if (!seen.add(topic.name())) {
                error(result, Errors.INVALID_REQUEST, "Topic " + topic.name() + " appears more than once in the request");
                continue;
            }
            try {
                int partitions = partitionCount(topic);
                Map<String, String> configs = new LinkedHashMap<>();
                for (CreatableTopicConfig config : topic.configs()) {
                    configs.put(config.name(), config.value());
                }
                TopicInfo created = logs.createTopic(topic.name(), partitions, configs, body.validateOnly());
                result.setTopicId(TopicIds.toKafka(created.id())).setNumPartitions(created.partitions())
                        .setReplicationFactor((short) 1).setErrorCode(Errors.NONE.code());
                ConfigsHandler.effectiveConfigs(brokerDefaults, created).forEach(entry -> result.configs().add(
                        new CreatableTopicConfigs().setName(entry.name()).setValue(entry.value())
                                .setConfigSource(entry.source()).setReadOnly(false).setIsSensitive(false)));
            } catch (TopicException e) {
                error(result, Errors.forCode(ErrorCodes.of(e.reason())), e.getMessage());
            }
        }
        return response;
    }

    private int partitionCount(CreatableTopic topic) {
        if (topic.replicationFactor() != -1 && topic.replicationFactor() != 1) {
            throw new TopicException(TopicException.Reason.INVALID_REPLICATION_FACTOR, "Replication factor "
                    + topic.replicationFactor() + " is larger than the 1 available broker");
        }
        if (!topic.assignments().isEmpty()) {
            if (topic.numPartitions() != -1 || topic.replicationFactor() != -1) {
                throw new TopicException(TopicException.Reason.INVALID_REPLICATION_FACTOR,
                        "Both numPartitions or replicationFactor and manual assignment were set");
            }
            for (CreatableReplicaAssignment assignment : topic.assignments()) {
                if (!assignment.brokerIds().equals(java.util.List.of(nodeId))) {
                    throw new TopicException(TopicException.Reason.INVALID_REPLICATION_FACTOR,
                            "Partition " + assignment.partitionIndex() + " is assigned to brokers "
                                    + assignment.brokerIds() + "; the only broker is " + nodeId);
                }
            }
            return topic.assignments().size();
        }
        return topic.numPartitions() == -1 ? props.getDefaultPartitions() : topic.numPartitions();
    }

    private static void error(CreatableTopicResult result, Errors error, String message) {
        result.setErrorCode(error.code()).setErrorMessage(message).setNumPartitions(-1).setReplicationFactor((short) -1)
                .setTopicConfigErrorCode(error.code());
    }

    private DeleteTopicsResponseData deleteTopics(DeleteTopicsRequestData body, short version) {
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        if (version < 6) {
            for (String name : body.topicNames()) {
                response.responses().add(delete(name, null));
            }
            return response;
        }
        for (DeleteTopicState state : body.topics()) {
            if (state.name() != null) {
                response.responses().add(delete(state.name(), null));
            } else {
                Optional<TopicInfo> topic = logs.topic(TopicIds.toUuid(state.topicId()));
                response.responses().add(topic.isPresent() ? delete(topic.get().name(), state.topicId())
                        : new DeletableTopicResult().setTopicId(state.topicId()).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
            }
        }
        return response;
    }

    private DeletableTopicResult delete(String name, Uuid id) {
        DeletableTopicResult result = new DeletableTopicResult().setName(name);
        Optional<TopicInfo> topic = logs.topic(name);
        result.setTopicId(id != null ? id : topic.map(t -> TopicIds.toKafka(t.id())).orElse(Uuid.ZERO_UUID));
        try {
            logs.deleteTopic(name);
            result.setErrorCode(Errors.NONE.code());
        } catch (TopicException e) {
            result.setErrorCode(ErrorCodes.of(e.reason())).setErrorMessage(e.getMessage());
        }
        return result;
    }

    private CreatePartitionsResponseData createPartitions(CreatePartitionsRequestData body) {
        CreatePartitionsResponseData response = new CreatePartitionsResponseData();
        for (CreatePartitionsTopic topic : body.topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(topic.name());
            response.results().add(result);
            try {
                logs.createPartitions(topic.name(), topic.count(), body.validateOnly());
                result.setErrorCode(Errors.NONE.code());
            } catch (TopicException e) {
                result.setErrorCode(ErrorCodes.of(e.reason())).setErrorMessage(e.getMessage());
            }
        }
        return response;
    }
}
