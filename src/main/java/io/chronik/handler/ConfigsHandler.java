package io.chronik.handler;

import io.chronik.config.ChronikProperties;
import io.chronik.log.LogConfig;
import io.chronik.log.TopicConfigs;
import io.chronik.log.TopicException;
import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.errors.ApiException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DescribeConfigs, AlterConfigs (replaces a topic's overrides) and IncrementalAlterConfigs (set, delete, append,
 * subtract). Topic configs are dynamic; broker configs come from Chronik's settings and are read-only, except the
 * replication throttle rates, which a cluster keeps in its metadata ({@link DynamicBrokerConfigs}). Descriptions
 * carry sources, synonyms, types and documentation as Kafka's do (see {@link ConfigDescriber}).
 */
public final class ConfigsHandler implements RequestHandler {
    static final byte TOPIC = 2;
    static final byte BROKER = 4;
    static final byte SOURCE_DYNAMIC_TOPIC = 1;
    static final byte SOURCE_STATIC_BROKER = 4;
    static final byte SOURCE_DEFAULT = 5;
    private static final byte OP_SET = 0;
    private static final byte OP_DELETE = 1;
    private static final byte OP_APPEND = 2;
    private static final byte OP_SUBTRACT = 3;
    private static final Set<String> LIST_KEYS = Set.of("cleanup.policy");
    private final TopicAdmin admin;
    private final LogConfig brokerDefaults;
    private final ChronikProperties props;
    private final Scheduler io;
    private final ConfigDescriber describer;

    public ConfigsHandler(TopicAdmin admin, LogConfig brokerDefaults, ChronikProperties props, Scheduler io,
                          BrokerConfigs brokerConfigs) {
        this.admin = admin;
        this.brokerDefaults = brokerDefaults;
        this.props = props;
        this.io = io;
        this.describer = new ConfigDescriber(brokerConfigs);
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_CONFIGS, Api.ALTER_CONFIGS, Api.INCREMENTAL_ALTER_CONFIGS);
    }

    @Override
    public Mono<ApiMessage> handle(KafkaRequest request) {
        Mono<ApiMessage> answer = switch (request.api()) {
            case DESCRIBE_CONFIGS -> Mono.fromCallable(() -> (ApiMessage) describe(request.body(), request.version())).subscribeOn(io);
            case ALTER_CONFIGS -> Mono.defer(() -> alter(request.body())).cast(ApiMessage.class);
            case INCREMENTAL_ALTER_CONFIGS -> Mono.defer(() -> incrementalAlter(request.body())).cast(ApiMessage.class);
            default -> null;
        };
        if (answer == null) {
            return Mono.error(new IllegalArgumentException("not a configs API: " + request.api()));
        }
        // A named topic this broker does not know may have been created a moment ago through another broker.
        return admin.catchUpIfUnknown(topicsNamed(request)).then(answer);
    }

    /** The topic resources a configs request names. */
    private static List<String> topicsNamed(KafkaRequest request) {
        List<String> topics = new ArrayList<>();
        switch (request.api()) {
            case DESCRIBE_CONFIGS -> ((DescribeConfigsRequestData) request.body()).resources()
                    .forEach(r -> addTopic(topics, r.resourceType(), r.resourceName()));
            case ALTER_CONFIGS -> ((AlterConfigsRequestData) request.body()).resources()
                    .forEach(r -> addTopic(topics, r.resourceType(), r.resourceName()));
            case INCREMENTAL_ALTER_CONFIGS -> ((IncrementalAlterConfigsRequestData) request.body()).resources()
                    .forEach(r -> addTopic(topics, r.resourceType(), r.resourceName()));
            default -> {
            }
        }
        return topics;
    }

    private static void addTopic(List<String> topics, byte resourceType, String name) {
        if (resourceType == TOPIC) {
            topics.add(name);
        }
    }

    /** One described config entry. */
    record Entry(String name, String value, byte source) {
    }

    /** Every known topic key with its effective value and where it comes from. */
    static List<Entry> effectiveConfigs(LogConfig brokerDefaults, TopicInfo topic) {
        List<Entry> entries = new ArrayList<>();
        TopicConfigs.effective(brokerDefaults, topic.overrides()).forEach((name, value) -> entries.add(
                new Entry(name, value, topic.overrides().containsKey(name) ? SOURCE_DYNAMIC_TOPIC : SOURCE_DEFAULT)));
        return entries;
    }

    private DescribeConfigsResponseData describe(DescribeConfigsRequestData body, short version) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        boolean synonyms = body.includeSynonyms();
        // Documentation exists from version 3 on.
        boolean documentation = version >= 3 && body.includeDocumentation();
        for (DescribeConfigsResource resource : body.resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName()).setErrorCode(Errors.NONE.code());
            response.results().add(result);
            Set<String> wanted = resource.configurationKeys() == null ? null : new LinkedHashSet<>(resource.configurationKeys());
            if (resource.resourceType() == TOPIC) {
                TopicInfo topic = admin.topic(resource.resourceName()).orElse(null);
                if (topic == null) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("Topic " + resource.resourceName() + " does not exist");
                    continue;
                }
                result.setConfigs(describer.topic(topic, brokerDefaults, wanted, synonyms, documentation));
            } else if (resource.resourceType() == BROKER) {
                String problem = brokerProblem(resource.resourceName());
                if (problem != null) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(problem);
                } else if (resource.resourceName().isEmpty()) {
                    // The empty name stands for the cluster-wide dynamic defaults.
                    result.setConfigs(describer.dynamicDefaults(admin.dynamicBrokerConfigs(""), wanted, synonyms, documentation));
                } else {
                    result.setConfigs(describer.broker(admin.dynamicBrokerConfigs(resource.resourceName()),
                            admin.dynamicBrokerConfigs(""), wanted, synonyms, documentation));
                }
            } else {
                result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Unsupported resource type " + resource.resourceType());
            }
        }
        return response;
    }

    /** Why a broker resource name is not this broker (null when it is, or is the empty default resource). */
    private String brokerProblem(String name) {
        if (name.isEmpty()) {
            return null;
        }
        try {
            int id = Integer.parseInt(name);
            return id == props.getNodeId() ? null
                    : "Unexpected broker id, expected " + props.getNodeId() + " or empty string, but received " + name;
        } catch (NumberFormatException e) {
            return "Broker id must be an integer, but it is: " + name;
        }
    }

    private Mono<AlterConfigsResponseData> alter(AlterConfigsRequestData body) {
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        List<Mono<?>> changes = new ArrayList<>();
        for (AlterConfigsRequestData.AlterConfigsResource resource : body.resources()) {
            var result = new AlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            response.responses().add(result);
            Map<String, String> overrides = new LinkedHashMap<>();
            resource.configs().forEach(c -> overrides.put(c.name(), c.value()));
            if (resource.resourceType() == BROKER) {
                changes.add(Mono.defer(() -> alterBroker(resource.resourceName(), DynamicBrokerConfigs.replacing(overrides),
                        body.validateOnly(), result::setErrorMessage)).doOnNext(error -> result.setErrorCode(error.code())));
                continue;
            }
            changes.add(apply(resource.resourceType(), resource.resourceName(), overrides, body.validateOnly(), result::setErrorMessage)
                    .doOnNext(error -> result.setErrorCode(error.code())));
        }
        return Flux.concat(changes).then(Mono.just(response));
    }

    private Mono<IncrementalAlterConfigsResponseData> incrementalAlter(IncrementalAlterConfigsRequestData body) {
        IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
        List<Mono<?>> changes = new ArrayList<>();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : body.resources()) {
            var result = new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            response.responses().add(result);
            // Read when this resource's turn comes, so it sees the changes of the resources before it.
            changes.add(Mono.defer(() -> incrementalAlter(resource, result, body.validateOnly())));
        }
        return Flux.concat(changes).then(Mono.just(response));
    }

    private Mono<Errors> incrementalAlter(IncrementalAlterConfigsRequestData.AlterConfigsResource resource,
                                          IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse result, boolean validateOnly) {
        if (resource.resourceType() == BROKER) {
            return alterBroker(resource.resourceName(), DynamicBrokerConfigs.incremental(resource.configs()), validateOnly,
                    result::setErrorMessage).doOnNext(error -> result.setErrorCode(error.code()));
        }
        TopicInfo topic = resource.resourceType() == TOPIC ? admin.topic(resource.resourceName()).orElse(null) : null;
        Map<String, String> overrides = new LinkedHashMap<>(topic == null ? Map.of() : topic.overrides());
        String problem = null;
        for (IncrementalAlterConfigsRequestData.AlterableConfig config : resource.configs()) {
            problem = applyOperation(overrides, topic, config.name(), config.configOperation(), config.value());
            if (problem != null) {
                break;
            }
        }
        if (problem != null) {
            result.setErrorCode(Errors.INVALID_CONFIG.code()).setErrorMessage(problem);
            return Mono.just(Errors.INVALID_CONFIG);
        }
        return apply(resource.resourceType(), resource.resourceName(), overrides, validateOnly, result::setErrorMessage)
                .doOnNext(error -> result.setErrorCode(error.code()));
    }

    /** Applies one incremental operation to {@code overrides}; returns a problem description or null. */
    private String applyOperation(Map<String, String> overrides, TopicInfo topic, String name, byte op, String value) {
        switch (op) {
            case OP_SET -> overrides.put(name, value);
            case OP_DELETE -> overrides.remove(name);
            case OP_APPEND, OP_SUBTRACT -> {
                if (!LIST_KEYS.contains(name)) {
                    return "Config " + name + " is not a list; APPEND and SUBTRACT apply only to " + LIST_KEYS;
                }
                String current = overrides.getOrDefault(name, topic == null ? ""
                        : TopicConfigs.effective(brokerDefaults, topic.overrides()).getOrDefault(name, ""));
                Set<String> items = new LinkedHashSet<>(split(current));
                if (op == OP_APPEND) {
                    items.addAll(split(value));
                } else {
                    split(value).forEach(items::remove);
                }
                overrides.put(name, String.join(",", items));
            }
            default -> {
                return "Unknown config operation " + op + " for " + name;
            }
        }
        return null;
    }

    private static List<String> split(String list) {
        return list == null || list.isBlank() ? List.of()
                : Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** Sets and deletes dynamic configs of a broker resource (this broker, or "" for the cluster-wide default). */
    private Mono<Errors> alterBroker(String name, DynamicBrokerConfigs.Change change, boolean validateOnly,
                                     java.util.function.Consumer<String> message) {
        String problem = brokerProblem(name);
        if (problem != null) {
            message.accept(problem);
            return Mono.just(Errors.INVALID_REQUEST);
        }
        if (!change.ok()) {
            message.accept(change.message());
            return Mono.just(change.error());
        }
        if (change.set().isEmpty() && change.deleted().isEmpty()) {
            return Mono.just(Errors.NONE);
        }
        return admin.alterBrokerConfigs(name, change.set(), change.deleted(), validateOnly).thenReturn(Errors.NONE)
                .onErrorResume(e -> e instanceof TopicException || e instanceof ApiException, e -> {
                    message.accept(ErrorCodes.message(e));
                    return Mono.just(ErrorCodes.of(e));
                });
    }

    private Mono<Errors> apply(byte resourceType, String name, Map<String, String> overrides, boolean validateOnly,
                               java.util.function.Consumer<String> message) {
        if (resourceType != TOPIC) {
            message.accept("Unsupported resource type " + resourceType);
            return Mono.just(Errors.INVALID_REQUEST);
        }
        return admin.alterConfigs(name, overrides, validateOnly).thenReturn(Errors.NONE)
                .onErrorResume(e -> e instanceof TopicException || e instanceof ApiException, e -> {
                    message.accept(ErrorCodes.message(e));
                    return Mono.just(ErrorCodes.of(e));
                });
    }
}
