package io.chronik.handler;

import io.chronik.log.LogConfig;
import io.chronik.log.TopicConfigs;
import io.chronik.log.TopicInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Describes topic and broker configuration as Kafka does: each entry with its source (where its value comes from),
 * its synonyms in order of precedence (a topic override, then the broker setting it defaults to, then that setting's
 * default), its type, and its documentation when asked for.
 */
final class ConfigDescriber {
    /** The broker setting each topic setting defaults to (Kafka's names). */
    private static final Map<String, String> BROKER_SYNONYMS = Map.ofEntries(
            Map.entry("cleanup.policy", "log.cleanup.policy"),
            Map.entry("compression.gzip.level", "compression.gzip.level"),
            Map.entry("compression.lz4.level", "compression.lz4.level"),
            Map.entry("compression.type", "compression.type"),
            Map.entry("compression.zstd.level", "compression.zstd.level"),
            Map.entry("delete.retention.ms", "log.cleaner.delete.retention.ms"),
            Map.entry("file.delete.delay.ms", "log.segment.delete.delay.ms"),
            Map.entry("flush.messages", "log.flush.interval.messages"),
            Map.entry("flush.ms", "log.flush.interval.ms"),
            Map.entry("index.interval.bytes", "log.index.interval.bytes"),
            Map.entry("local.retention.bytes", "log.local.retention.bytes"),
            Map.entry("local.retention.ms", "log.local.retention.ms"),
            Map.entry("max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms"),
            Map.entry("max.message.bytes", "message.max.bytes"),
            Map.entry("message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms"),
            Map.entry("message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms"),
            Map.entry("message.timestamp.type", "log.message.timestamp.type"),
            Map.entry("min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio"),
            Map.entry("min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms"),
            Map.entry("min.insync.replicas", "min.insync.replicas"),
            Map.entry("preallocate", "log.preallocate"),
            Map.entry("producer.id.expiration.ms", "producer.id.expiration.ms"),
            Map.entry("retention.bytes", "log.retention.bytes"),
            Map.entry("retention.ms", "log.retention.ms"),
            Map.entry("segment.bytes", "log.segment.bytes"),
            Map.entry("segment.index.bytes", "log.index.size.max.bytes"),
            Map.entry("segment.jitter.ms", "log.roll.jitter.ms"),
            Map.entry("segment.ms", "log.roll.ms"),
            Map.entry("unclean.leader.election.enable", "unclean.leader.election.enable"));

    /** Types of the topic settings that are not longs. */
    private static final Map<String, ConfigType> TOPIC_TYPES = Map.ofEntries(
            Map.entry("cleanup.policy", ConfigType.LIST),
            Map.entry("compression.type", ConfigType.STRING),
            Map.entry("compression.gzip.level", ConfigType.INT),
            Map.entry("compression.lz4.level", ConfigType.INT),
            Map.entry("compression.zstd.level", ConfigType.INT),
            Map.entry("follower.replication.throttled.replicas", ConfigType.LIST),
            Map.entry("index.interval.bytes", ConfigType.INT),
            Map.entry("leader.replication.throttled.replicas", ConfigType.LIST),
            Map.entry("max.message.bytes", ConfigType.INT),
            Map.entry("message.timestamp.type", ConfigType.STRING),
            Map.entry("min.cleanable.dirty.ratio", ConfigType.DOUBLE),
            Map.entry("min.insync.replicas", ConfigType.INT),
            Map.entry("preallocate", ConfigType.BOOLEAN),
            Map.entry("producer.id.expiration.ms", ConfigType.INT),
            Map.entry("remote.log.copy.disable", ConfigType.BOOLEAN),
            Map.entry("remote.log.delete.on.disable", ConfigType.BOOLEAN),
            Map.entry("remote.storage.enable", ConfigType.BOOLEAN),
            Map.entry("segment.bytes", ConfigType.INT),
            Map.entry("segment.index.bytes", ConfigType.INT),
            Map.entry("unclean.leader.election.enable", ConfigType.BOOLEAN));

    /** Kafka's documentation of every topic setting, from the client library's TopicConfig. */
    private static final Map<String, String> TOPIC_DOCS = topicDocs();
    /** Each topic setting's value when neither the topic nor the broker sets it. */
    private static final SortedMap<String, String> KAFKA_TOPIC_DEFAULTS =
            TopicConfigs.effective(LogConfig.KAFKA_DEFAULTS, Map.of());

    private final BrokerConfigs broker;

    ConfigDescriber(BrokerConfigs broker) {
        this.broker = broker;
    }

    /** The topic's settings (every known key, or those in {@code wanted} when not null). */
    List<DescribeConfigsResourceResult> topic(TopicInfo topic, LogConfig brokerDefaults, Set<String> wanted,
                                              boolean includeSynonyms, boolean includeDocumentation) {
        Map<String, BrokerConfigs.BrokerConfig> brokerConfigs = broker.byName();
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        TopicConfigs.effective(brokerDefaults, topic.overrides()).forEach((name, value) -> {
            if (wanted != null && !wanted.contains(name)) {
                return;
            }
            List<DescribeConfigsSynonym> synonyms = new ArrayList<>();
            if (topic.overrides().containsKey(name)) {
                synonyms.add(synonym(name, value, ConfigSource.TOPIC_CONFIG));
            }
            String brokerName = BROKER_SYNONYMS.get(name);
            if (brokerName != null) {
                BrokerConfigs.BrokerConfig setting = brokerConfigs.get(brokerName);
                if (setting == null) {
                    synonyms.add(synonym(brokerName, KAFKA_TOPIC_DEFAULTS.get(name), ConfigSource.DEFAULT_CONFIG));
                } else {
                    addBrokerSynonyms(setting, synonyms);
                }
            }
            out.add(entry(name, value, false, TOPIC_TYPES.getOrDefault(name, ConfigType.LONG), TOPIC_DOCS.get(name),
                    synonyms, includeSynonyms, includeDocumentation));
        });
        return out;
    }

    /**
     * This broker's settings (all, or those in {@code wanted} when not null): the static ones read-only, then the
     * dynamic ones that are set, for this broker ({@code own}) or as the cluster-wide default ({@code defaults}).
     */
    List<DescribeConfigsResourceResult> broker(Map<String, String> own, Map<String, String> defaults, Set<String> wanted,
                                               boolean includeSynonyms, boolean includeDocumentation) {
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        java.util.SortedSet<String> dynamic = new java.util.TreeSet<>(own.keySet());
        dynamic.addAll(defaults.keySet());
        for (String name : dynamic) {
            if (wanted != null && !wanted.contains(name)) {
                continue;
            }
            List<DescribeConfigsSynonym> synonyms = new ArrayList<>();
            if (own.containsKey(name)) {
                synonyms.add(synonym(name, own.get(name), ConfigSource.DYNAMIC_BROKER_CONFIG));
            }
            if (defaults.containsKey(name)) {
                synonyms.add(synonym(name, defaults.get(name), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG));
            }
            out.add(entry(name, synonyms.get(0).value(), false, ConfigType.LONG, DynamicBrokerConfigs.DOCS.get(name), synonyms,
                    includeSynonyms, includeDocumentation));
        }
        for (BrokerConfigs.BrokerConfig setting : broker.all()) {
            if (wanted != null && !wanted.contains(setting.name())) {
                continue;
            }
            List<DescribeConfigsSynonym> synonyms = new ArrayList<>();
            addBrokerSynonyms(setting, synonyms);
            out.add(entry(setting.name(), setting.value(), true, setting.type(), setting.documentation(), synonyms,
                    includeSynonyms, includeDocumentation));
        }
        return out;
    }

    /** The cluster-wide dynamic broker defaults (the broker resource named ""): only what is set. */
    List<DescribeConfigsResourceResult> dynamicDefaults(Map<String, String> defaults, Set<String> wanted,
                                                        boolean includeSynonyms, boolean includeDocumentation) {
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        new java.util.TreeMap<>(defaults).forEach((name, value) -> {
            if (wanted == null || wanted.contains(name)) {
                out.add(entry(name, value, false, ConfigType.LONG, DynamicBrokerConfigs.DOCS.get(name),
                        List.of(synonym(name, value, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)), includeSynonyms,
                        includeDocumentation));
            }
        });
        return out;
    }

    /** A broker setting as a synonym: its operator-set value, then its default. */
    private void addBrokerSynonyms(BrokerConfigs.BrokerConfig setting, List<DescribeConfigsSynonym> synonyms) {
        if (broker.explicitlySet(setting)) {
            synonyms.add(synonym(setting.name(), setting.value(), ConfigSource.STATIC_BROKER_CONFIG));
        }
        if (setting.defaultValue() != null) {
            synonyms.add(synonym(setting.name(), setting.defaultValue(), ConfigSource.DEFAULT_CONFIG));
        }
    }

    private static DescribeConfigsResourceResult entry(String name, String value, boolean readOnly, ConfigType type,
                                                       String documentation, List<DescribeConfigsSynonym> synonyms,
                                                       boolean includeSynonyms, boolean includeDocumentation) {
        byte source = synonyms.isEmpty() ? ConfigSource.DEFAULT_CONFIG.id() : synonyms.get(0).source();
        return new DescribeConfigsResourceResult().setName(name).setValue(value).setReadOnly(readOnly)
                .setConfigSource(source).setIsSensitive(false).setConfigType(type.id())
                .setSynonyms(includeSynonyms ? synonyms : new ArrayList<>())
                .setDocumentation(includeDocumentation ? documentation : null);
    }

    private static DescribeConfigsSynonym synonym(String name, String value, ConfigSource source) {
        return new DescribeConfigsSynonym().setName(name).setValue(value).setSource(source.id());
    }

    /** TopicConfig pairs each X_CONFIG name with an X_DOC text. */
    private static Map<String, String> topicDocs() {
        Map<String, String> docs = new HashMap<>();
        for (Field field : TopicConfig.class.getFields()) {
            String fieldName = field.getName();
            if (!fieldName.endsWith("_CONFIG") || !Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            try {
                Field doc = TopicConfig.class.getField(fieldName.substring(0, fieldName.length() - "_CONFIG".length()) + "_DOC");
                docs.put((String) field.get(null), (String) doc.get(null));
            } catch (NoSuchFieldException | IllegalAccessException | ClassCastException ignored) {
                // a setting without documentation is described without it
            }
        }
        // A broker setting in Kafka that Chronik also takes per topic.
        docs.put("producer.id.expiration.ms", "The time in ms that a topic partition leader will wait before expiring "
                + "the state of an idempotent producer that has not appended to the partition.");
        // Replication throttles: Kafka documents them with its quota configs, not in TopicConfig.
        docs.put("leader.replication.throttled.replicas", "A list of replicas whose replication is throttled on the leader "
                + "side, as [PartitionId]:[BrokerId],[PartitionId]:[BrokerId],..., or the wildcard '*' for every replica "
                + "of the topic. The leader limits what it sends to such replicas outside the ISR to "
                + "leader.replication.throttled.rate.");
        docs.put("follower.replication.throttled.replicas", "A list of replicas whose replication is throttled on the "
                + "follower side, as [PartitionId]:[BrokerId],[PartitionId]:[BrokerId],..., or the wildcard '*' for every "
                + "replica of the topic. Such a follower limits what it fetches to follower.replication.throttled.rate.");
        return Map.copyOf(docs);
    }
}
