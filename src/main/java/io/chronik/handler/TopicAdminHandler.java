package io.chronik.handler;

import io.chronik.log.LogConfig;
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
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * CreateTopics, DeleteTopics and CreatePartitions through {@link TopicAdmin}: alone, storage does them on the io
 * scheduler; in a cluster, through the metadata quorum. Topics of one request are handled one after the other.
 */
public final class TopicAdminHandler implements RequestHandler {
    private final TopicAdmin admin;
    private final LogConfig brokerDefaults;

    public TopicAdminHandler(TopicAdmin admin, LogConfig brokerDefaults) {
        this.admin = admin;
        this.brokerDefaults = brokerDefaults;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.CREATE_TOPICS, Api.DELETE_TOPICS, Api.CREATE_PARTITIONS);
    }

    @Override
    public Mono<ApiMessage> handle(KafkaRequest request) {
        return switch (request.api()) {
            case CREATE_TOPICS -> createTopics(request.body()).cast(ApiMessage.class);
            case DELETE_TOPICS -> deleteTopics(request.body(), request.version()).cast(ApiMessage.class);
            case CREATE_PARTITIONS -> createPartitions(request.body()).cast(ApiMessage.class);
            default -> Mono.error(new IllegalArgumentException("not a topic administration API: " + request.api()));
        };
    }

    /** A refusal of one topic, answered in its result; anything else fails the request. */
    private static boolean refusal(Throwable e) {
        return e instanceof TopicException || e instanceof ApiException;
    }

    private Mono<CreateTopicsResponseData> createTopics(CreateTopicsRequestData body) {
        Set<String> seen = new HashSet<>();
        List<Mono<CreatableTopicResult>> results = new ArrayList<>();
        for (CreatableTopic topic : body.topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(topic.name());
            if (!seen.add(topic.name())) {
                error(result, Errors.INVALID_REQUEST, "Topic " + topic.name() + " appears more than once in the request");
                results.add(Mono.just(result));
                continue;
            }
            Map<String, String> configs = new LinkedHashMap<>();
            for (CreatableTopicConfig config : topic.configs()) {
                configs.put(config.name(), config.value());
            }
            Map<Integer, List<Integer>> assignments = new LinkedHashMap<>();
            for (CreatableReplicaAssignment assignment : topic.assignments()) {
                assignments.put(assignment.partitionIndex(), assignment.brokerIds());
            }
            results.add(admin.createTopic(topic.name(), topic.numPartitions(), topic.replicationFactor(), assignments, configs,
                            body.validateOnly())
                    .map(created -> created(result, created))
                    .onErrorResume(TopicAdminHandler::refusal, e -> Mono.just(error(result, ErrorCodes.of(e), ErrorCodes.message(e)))));
        }
        return Flux.concat(results).collectList().map(list -> {
            CreateTopicsResponseData response = new CreateTopicsResponseData();
            response.topics().addAll(list);
            return response;
        });
    }

    private CreatableTopicResult created(CreatableTopicResult result, TopicAdmin.CreatedTopic created) {
        TopicInfo info = created.info();
        result.setTopicId(TopicIds.toKafka(info.id())).setNumPartitions(info.partitions())
                .setReplicationFactor((short) created.replicationFactor()).setErrorCode(Errors.NONE.code());
        ConfigsHandler.effectiveConfigs(brokerDefaults, info).forEach(entry -> result.configs().add(
                new CreatableTopicConfigs().setName(entry.name()).setValue(entry.value())
                        .setConfigSource(entry.source()).setReadOnly(false).setIsSensitive(false)));
        return result;
    }

    private static CreatableTopicResult error(CreatableTopicResult result, Errors error, String message) {
        return result.setErrorCode(error.code()).setErrorMessage(message).setNumPartitions(-1).setReplicationFactor((short) -1)
                .setTopicConfigErrorCode(error.code());
    }

    private Mono<DeleteTopicsResponseData> deleteTopics(DeleteTopicsRequestData body, short version) {
        List<Mono<DeletableTopicResult>> results = new ArrayList<>();
        if (version < 6) {
            for (String name : body.topicNames()) {
                results.add(delete(name, null));
            }
        } else {
            for (DeleteTopicState state : body.topics()) {
                if (state.name() != null) {
                    results.add(delete(state.name(), null));
                } else {
                    Optional<TopicInfo> topic = admin.topic(TopicIds.toUuid(state.topicId()));
                    results.add(topic.isPresent() ? delete(topic.get().name(), state.topicId())
                            : Mono.just(new DeletableTopicResult().setTopicId(state.topicId()).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())));
                }
            }
        }
        return Flux.concat(results).collectList().map(list -> {
            DeleteTopicsResponseData response = new DeleteTopicsResponseData();
            response.responses().addAll(list);
            return response;
        });
    }

    private Mono<DeletableTopicResult> delete(String name, Uuid id) {
        return Mono.defer(() -> {
            DeletableTopicResult result = new DeletableTopicResult().setName(name);
            Optional<TopicInfo> topic = admin.topic(name);
            result.setTopicId(id != null ? id : topic.map(t -> TopicIds.toKafka(t.id())).orElse(Uuid.ZERO_UUID));
            return admin.deleteTopic(name)
                    .map(deleted -> result.setErrorCode(Errors.NONE.code()))
                    .onErrorResume(TopicAdminHandler::refusal, e -> Mono.just(result.setErrorCode(ErrorCodes.of(e).code())
                            .setErrorMessage(ErrorCodes.message(e))));
        });
    }

    private Mono<CreatePartitionsResponseData> createPartitions(CreatePartitionsRequestData body) {
        List<Mono<CreatePartitionsTopicResult>> results = new ArrayList<>();
        for (CreatePartitionsTopic topic : body.topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(topic.name());
            List<List<Integer>> assignments = topic.assignments() == null ? null
                    : topic.assignments().stream().map(a -> a.brokerIds()).toList();
            results.add(admin.createPartitions(topic.name(), topic.count(), assignments, body.validateOnly())
                    .map(grown -> result.setErrorCode(Errors.NONE.code()))
                    .onErrorResume(TopicAdminHandler::refusal, e -> Mono.just(result.setErrorCode(ErrorCodes.of(e).code())
                            .setErrorMessage(ErrorCodes.message(e)))));
        }
        return Flux.concat(results).collectList().map(list -> {
            CreatePartitionsResponseData response = new CreatePartitionsResponseData();
            response.results().addAll(list);
            return response;
        });
    }
}
