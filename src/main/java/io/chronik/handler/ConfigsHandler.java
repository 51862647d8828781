package io.chronik.handler;

import io.chronik.config.ChronikProperties;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
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
 * subtract). Topic configs are dynamic; broker configs come from application.yml and are read-only.
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

    private final LogManager logs;
    private final LogConfig brokerDefaults;
    private final ChronikProperties props;
    private final Scheduler io;

    public ConfigsHandler(LogManager logs, LogConfig brokerDefaults, ChronikProperties props, Scheduler io) {
        this.logs = logs;
        this.brokerDefaults = brokerDefaults;
        this.props = props;
        this.io = io;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_CONFIGS, Api.ALTER_CONFIGS, Api.INCREMENTAL_ALTER_CONFIGS);
    }

    @Override
    public Mono<ApiMessage> handle(KafkaRequest request) {
        return Mono.fromCallable(() -> switch (request.api()) {
            case DESCRIBE_CONFIGS -> describe(request.body());
            case ALTER_CONFIGS -> alter(request.body());
            case INCREMENTAL_ALTER_CONFIGS -> incrementalAlter(request.body());
            default -> throw new IllegalArgumentException("not a configs API: " + request.api());
        }).subscribeOn(io);
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

    private List<Entry> brokerConfigs() {
        List<Entry> entries = new ArrayList<>();
        entries.add(new Entry("broker.id", String.valueOf(props.getNodeId()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("node.id", String.valueOf(props.getNodeId()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("auto.create.topics.enable", String.valueOf(props.isAutoCreateTopics()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("num.partitions", String.valueOf(props.getDefaultPartitions()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("default.replication.factor", "1", SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.dirs", String.valueOf(props.getDataDir()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.segment.bytes", String.valueOf(brokerDefaults.segmentBytes()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.roll.ms", String.valueOf(brokerDefaults.segmentMs()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.retention.ms", String.valueOf(brokerDefaults.retentionMs()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.retention.bytes", String.valueOf(brokerDefaults.retentionBytes()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("message.max.bytes", String.valueOf(brokerDefaults.maxMessageBytes()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("socket.request.max.bytes", String.valueOf(props.getMaxRequestBytes().toBytes()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("min.insync.replicas", "1", SOURCE_STATIC_BROKER));
        ChronikProperties.Cleaner cleaner = props.getLog().getCleaner();
        entries.add(new Entry("log.cleanup.policy", "delete", SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.cleaner.enable", String.valueOf(cleaner.getThreads() > 0), SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.cleaner.threads", String.valueOf(cleaner.getThreads()), SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.cleaner.dedupe.buffer.size", String.valueOf(cleaner.getDedupeBufferSize().toBytes()),
                SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.cleaner.io.max.bytes.per.second", cleaner.getIoMaxBytesPerSecond() == null
                ? String.valueOf(Double.MAX_VALUE) : String.valueOf((double) cleaner.getIoMaxBytesPerSecond().toBytes()),
                SOURCE_STATIC_BROKER));
        entries.add(new Entry("log.cleaner.backoff.ms", String.valueOf(cleaner.getBackoff().toMillis()), SOURCE_STATIC_BROKER));
        return entries;
    }

    private DescribeConfigsResponseData describe(DescribeConfigsRequestData body) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsResource resource : body.resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            response.results().add(result);
            List<Entry> entries;
            boolean readOnly;
            if (resource.resourceType() == TOPIC) {
                TopicInfo topic = logs.topic(resource.resourceName()).orElse(null);
                if (topic == null) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("Topic " + resource.resourceName() + " does not exist");
                    continue;
                }
                entries = effectiveConfigs(brokerDefaults, topic);
                readOnly = false;
            } else if (resource.resourceType() == BROKER) {
                if (!isThisBroker(resource.resourceName())) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code())
                            .setErrorMessage("Unknown broker " + resource.resourceName());
                    continue;
                }
                entries = brokerConfigs();
                readOnly = true;
            } else {
                result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Unsupported resource type " + resource.resourceType());
                continue;
            }
            Set<String> wanted = resource.configurationKeys() == null ? null : new LinkedHashSet<>(resource.configurationKeys());
            result.setErrorCode(Errors.NONE.code());
            for (Entry entry : entries) {
                if (wanted == null || wanted.contains(entry.name())) {
                    result.configs().add(new DescribeConfigsResourceResult().setName(entry.name()).setValue(entry.value())
                            .setReadOnly(readOnly).setConfigSource(entry.source()).setIsSensitive(false));
                }
            }
        }
        return response;
    }

    private boolean isThisBroker(String name) {
        return name.isEmpty() || name.equals(String.valueOf(props.getNodeId()));
    }

    private AlterConfigsResponseData alter(AlterConfigsRequestData body) {
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        for (AlterConfigsRequestData.AlterConfigsResource resource : body.resources()) {
            var result = new AlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            response.responses().add(result);
            Map<String, String> overrides = new LinkedHashMap<>();
            resource.configs().forEach(c -> overrides.put(c.name(), c.value()));
            Errors error = apply(resource.resourceType(), resource.resourceName(), overrides, body.validateOnly(), result::setErrorMessage);
            result.setErrorCode(error.code());
        }
        return response;
    }

    private IncrementalAlterConfigsResponseData incrementalAlter(IncrementalAlterConfigsRequestData body) {
        IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : body.resources()) {
            var result = new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            response.responses().add(result);
            TopicInfo topic = resource.resourceType() == TOPIC ? logs.topic(resource.resourceName()).orElse(null) : null;
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
                continue;
            }
            Errors error = apply(resource.resourceType(), resource.resourceName(), overrides, body.validateOnly(), result::setErrorMessage);
            result.setErrorCode(error.code());
        }
        return response;
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

    private Errors apply(byte resourceType, String name, Map<String, String> overrides, boolean validateOnly,
                         java.util.function.Consumer<String> message) {
        if (resourceType == BROKER) {
            message.accept("Broker configuration is static in Chronik: set it in application.yml");
            return Errors.INVALID_REQUEST;
        }
        if (resourceType != TOPIC) {
            message.accept("Unsupported resource type " + resourceType);
            return Errors.INVALID_REQUEST;
        }
        try {
            logs.alterConfigs(name, overrides, validateOnly);
            return Errors.NONE;
        } catch (TopicException e) {
            message.accept(e.getMessage());
            return Errors.forCode(ErrorCodes.of(e.reason()));
        }
    }
}
