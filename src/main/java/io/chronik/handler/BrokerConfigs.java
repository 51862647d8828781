package io.chronik.handler;

import io.chronik.config.ChronikProperties;
import io.chronik.log.CompactionConfig;
import io.chronik.log.LogCleanerConfig;
import io.chronik.log.LogConfig;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The broker-level settings Chronik honours, under their Kafka names, with the effective values of the
 * {@code chronik.*} settings behind them (read-only: broker configuration is static). What DescribeConfigs shows for
 * a broker, and the broker synonyms of topic settings.
 */
public final class BrokerConfigs {

    /**
     * One broker setting.
     *
     * @param value        its effective value
     * @param defaultValue its value when nothing sets it
     * @param setting      the {@code chronik.*} property behind it, or null when Chronik has none (then it is always
     *                     its default)
     */
    public record BrokerConfig(String name, String value, String defaultValue, ConfigType type, String setting,
                               String documentation) {
    }

    private static final String LONG_MAX = Long.toString(Long.MAX_VALUE);

    private final ChronikProperties props;
    private final LogConfig topicDefaults;
    private final BrokerIdentity identity;
    private final Predicate<String> explicitlySet;

    /**
     * @param topicDefaults the broker's defaults for topic settings
     * @param explicitlySet whether a {@code chronik.*} property was set by the operator (command line, environment,
     *                      an application.yml of their own) rather than left at Chronik's default
     */
    public BrokerConfigs(ChronikProperties props, LogConfig topicDefaults, BrokerIdentity identity,
                         Predicate<String> explicitlySet) {
        this.props = props;
        this.topicDefaults = topicDefaults;
        this.identity = identity;
        this.explicitlySet = explicitlySet;
    }

    /** Every setting, by name (built on use: the advertised port is known only once the listener is bound). */
    private Map<String, BrokerConfig> configs() {
        ChronikProperties.Storage s = props.getStorage();
        ChronikProperties.Group g = props.getGroup();
        LogConfig kafka = LogConfig.KAFKA_DEFAULTS;
        List<BrokerConfig> list = new ArrayList<>();
        String nodeId = Integer.toString(props.getNodeId());
        list.add(new BrokerConfig("advertised.listeners", "PLAINTEXT://" + identity.host() + ":" + identity.port(),
                null, ConfigType.LIST, "chronik.advertised-host", "Listeners clients are told to connect to"));
        list.add(new BrokerConfig("auto.create.topics.enable", Boolean.toString(props.isAutoCreateTopics()), "true",
                ConfigType.BOOLEAN, "chronik.auto-create-topics", "Create a topic when a client asks for its metadata"));
        list.add(new BrokerConfig("broker.id", nodeId, "0", ConfigType.INT, "chronik.node-id", "The broker's id"));
        list.add(new BrokerConfig("compression.gzip.level", Integer.toString(topicDefaults.compressionGzipLevel()),
                "-1", ConfigType.INT, null, "Default gzip level of topics with compression.type=gzip"));
        list.add(new BrokerConfig("compression.lz4.level", Integer.toString(topicDefaults.compressionLz4Level()),
                "9", ConfigType.INT, null, "Default lz4 level of topics with compression.type=lz4"));
        list.add(new BrokerConfig("compression.type", topicDefaults.compressionType(), "producer", ConfigType.STRING,
                null, "Default compression.type of topics"));
        list.add(new BrokerConfig("compression.zstd.level", Integer.toString(topicDefaults.compressionZstdLevel()),
                "3", ConfigType.INT, null, "Default zstd level of topics with compression.type=zstd"));
        list.add(new BrokerConfig("default.replication.factor", "1", "1", ConfigType.INT, null,
                "Replication factor of automatically created topics (a single broker keeps one replica)"));
        list.add(new BrokerConfig("group.consumer.heartbeat.interval.ms", ms(g.getConsumerHeartbeatInterval()), "5000",
                ConfigType.INT, "chronik.group.consumer-heartbeat-interval",
                "Heartbeat interval of consumer-protocol group members"));
        list.add(new BrokerConfig("group.consumer.session.timeout.ms", ms(g.getConsumerSessionTimeout()), "45000",
                ConfigType.INT, "chronik.group.consumer-session-timeout",
                "Session timeout of consumer-protocol group members"));
        list.add(new BrokerConfig("group.initial.rebalance.delay.ms", ms(g.getInitialRebalanceDelay()), "3000",
                ConfigType.INT, "chronik.group.initial-rebalance-delay",
                "How long the first rebalance of an empty classic group waits for more members"));
        list.add(new BrokerConfig("group.max.session.timeout.ms", ms(g.getMaxSessionTimeout()), "1800000",
                ConfigType.INT, "chronik.group.max-session-timeout", "Longest session timeout a classic group member may ask for"));
        list.add(new BrokerConfig("group.min.session.timeout.ms", ms(g.getMinSessionTimeout()), "6000",
                ConfigType.INT, "chronik.group.min-session-timeout", "Shortest session timeout a classic group member may ask for"));
        ChronikProperties.Cleaner cleaner = props.getLog().getCleaner();
        CompactionConfig compaction = topicDefaults.compaction();
        list.add(new BrokerConfig("log.cleaner.backoff.ms", ms(cleaner.getBackoff()), "15000", ConfigType.LONG,
                "chronik.log.cleaner.backoff", "How long a cleaner thread sleeps when no log needs cleaning"));
        list.add(new BrokerConfig("log.cleaner.dedupe.buffer.size", Long.toString(cleaner.getDedupeBufferSize().toBytes()),
                Long.toString(LogCleanerConfig.DEFAULT_DEDUPE_BUFFER_SIZE), ConfigType.LONG,
                "chronik.log.cleaner.dedupe-buffer-size", "Memory of the key-to-offset maps of all cleaner threads"));
        list.add(new BrokerConfig("log.cleaner.delete.retention.ms", Long.toString(compaction.deleteRetentionMs()),
                "86400000", ConfigType.LONG, null, "Default delete.retention.ms of topics"));
        list.add(new BrokerConfig("log.cleaner.enable", Boolean.toString(cleaner.getThreads() > 0), "true",
                ConfigType.BOOLEAN, "chronik.log.cleaner.threads",
                "Whether compacted topics are cleaned (chronik.log.cleaner.threads=0 turns it off)"));
        list.add(new BrokerConfig("log.cleaner.io.max.bytes.per.second", cleaner.getIoMaxBytesPerSecond() == null
                ? Double.toString(Double.MAX_VALUE) : Double.toString((double) cleaner.getIoMaxBytesPerSecond().toBytes()),
                Double.toString(Double.MAX_VALUE), ConfigType.DOUBLE, "chronik.log.cleaner.io-max-bytes-per-second",
                "Read plus write rate of all cleaner threads together"));
        list.add(new BrokerConfig("log.cleaner.max.compaction.lag.ms", Long.toString(compaction.maxCompactionLagMs()),
                LONG_MAX, ConfigType.LONG, null, "Default max.compaction.lag.ms of topics"));
        list.add(new BrokerConfig("log.cleaner.min.cleanable.ratio", Double.toString(compaction.minCleanableRatio()),
                "0.5", ConfigType.DOUBLE, null, "Default min.cleanable.dirty.ratio of topics"));
        list.add(new BrokerConfig("log.cleaner.min.compaction.lag.ms", Long.toString(compaction.minCompactionLagMs()),
                "0", ConfigType.LONG, null, "Default min.compaction.lag.ms of topics"));
        list.add(new BrokerConfig("log.cleaner.threads", Integer.toString(cleaner.getThreads()), "1", ConfigType.INT,
                "chronik.log.cleaner.threads", "Log cleaner threads"));
        list.add(new BrokerConfig("log.cleanup.policy", "delete", "delete", ConfigType.LIST, null,
                "Default cleanup.policy of topics"));
        list.add(new BrokerConfig("log.dirs", String.valueOf(props.getDataDir()), "./data", ConfigType.STRING,
                "chronik.data-dir", "The directory partitions are stored in"));
        list.add(new BrokerConfig("log.flush.interval.messages", Long.toString(topicDefaults.flushMessages()), LONG_MAX,
                ConfigType.LONG, null, "Default flush.messages of topics"));
        list.add(new BrokerConfig("log.flush.interval.ms", Long.toString(topicDefaults.flushMs()), LONG_MAX,
                ConfigType.LONG, null, "Default flush.ms of topics"));
        list.add(new BrokerConfig("log.index.interval.bytes", Integer.toString(topicDefaults.indexIntervalBytes()),
                Integer.toString(kafka.indexIntervalBytes()), ConfigType.INT, null, "Default index.interval.bytes of topics"));
        list.add(new BrokerConfig("log.index.size.max.bytes", Integer.toString(topicDefaults.segmentIndexBytes()),
                Integer.toString(kafka.segmentIndexBytes()), ConfigType.INT, null, "Default segment.index.bytes of topics"));
        list.add(new BrokerConfig("log.message.timestamp.after.max.ms", Long.toString(topicDefaults.timestampAfterMaxMs()),
                "3600000", ConfigType.LONG, null, "Default message.timestamp.after.max.ms of topics"));
        list.add(new BrokerConfig("log.message.timestamp.before.max.ms",
                Long.toString(topicDefaults.timestampBeforeMaxMs()), LONG_MAX, ConfigType.LONG, null,
                "Default message.timestamp.before.max.ms of topics"));
        list.add(new BrokerConfig("log.message.timestamp.type", topicDefaults.logAppendTime() ? "LogAppendTime" : "CreateTime",
                "CreateTime", ConfigType.STRING, null, "Default message.timestamp.type of topics"));
        list.add(new BrokerConfig("log.preallocate", Boolean.toString(topicDefaults.preallocate()), "false",
                ConfigType.BOOLEAN, null, "Default preallocate of topics"));
        list.add(new BrokerConfig("log.retention.bytes", Long.toString(topicDefaults.retentionBytes()),
                Long.toString(kafka.retentionBytes()), ConfigType.LONG, "chronik.storage.retention-bytes",
                "Default retention.bytes of topics"));
        list.add(new BrokerConfig("log.retention.check.interval.ms", ms(s.getRetentionCheckInterval()), "60000",
                ConfigType.LONG, "chronik.storage.retention-check-interval", "How often retention runs"));
        list.add(new BrokerConfig("log.retention.ms", Long.toString(topicDefaults.retentionMs()),
                Long.toString(kafka.retentionMs()), ConfigType.LONG, "chronik.storage.retention-ms",
                "Default retention.ms of topics"));
        list.add(new BrokerConfig("log.roll.jitter.ms", Long.toString(topicDefaults.segmentJitterMs()), "0",
                ConfigType.LONG, null, "Default segment.jitter.ms of topics"));
        list.add(new BrokerConfig("log.roll.ms", Long.toString(topicDefaults.segmentMs()), Long.toString(kafka.segmentMs()),
                ConfigType.LONG, "chronik.storage.segment-ms", "Default segment.ms of topics"));
        list.add(new BrokerConfig("log.segment.bytes", Integer.toString(topicDefaults.segmentBytes()),
                Integer.toString(kafka.segmentBytes()), ConfigType.INT, "chronik.storage.segment-bytes",
                "Default segment.bytes of topics"));
        list.add(new BrokerConfig("log.segment.delete.delay.ms", Long.toString(topicDefaults.fileDeleteDelayMs()),
                "60000", ConfigType.LONG, "chronik.storage.file-delete-delay",
                "Default file.delete.delay.ms of topics, and how long a deleted topic's files stay"));
        list.add(new BrokerConfig("message.max.bytes", Integer.toString(topicDefaults.maxMessageBytes()),
                Integer.toString(kafka.maxMessageBytes()), ConfigType.INT, "chronik.storage.max-message-bytes",
                "Default max.message.bytes of topics"));
        list.add(new BrokerConfig("min.insync.replicas", "1", "1", ConfigType.INT, null,
                "Default min.insync.replicas of topics (a single broker is the only replica)"));
        list.add(new BrokerConfig("producer.id.expiration.ms", Long.toString(topicDefaults.producerIdExpirationMs()),
                "86400000", ConfigType.INT, "chronik.storage.producer-id-expiration",
                "Default producer.id.expiration.ms of topics: an idle idempotent producer is forgotten after it"));
        list.add(new BrokerConfig("producer.id.expiration.check.interval.ms",
                ms(s.getProducerIdExpirationCheckInterval()), "600000", ConfigType.INT,
                "chronik.storage.producer-id-expiration-check-interval", "How often idle producers are looked for"));
        list.add(new BrokerConfig("node.id", nodeId, "0", ConfigType.INT, "chronik.node-id", "The broker's id"));
        list.add(new BrokerConfig("num.partitions", Integer.toString(props.getDefaultPartitions()), "1", ConfigType.INT,
                "chronik.default-partitions", "Partitions of automatically created topics"));
        list.add(new BrokerConfig("offsets.retention.minutes", Long.toString(g.getOffsetsRetention().toMinutes()),
                "10080", ConfigType.INT, "chronik.group.offsets-retention",
                "Committed offsets of a group that stays empty this long expire"));
        list.add(new BrokerConfig("offsets.topic.num.partitions", Integer.toString(g.getOffsetsTopicPartitions()), "50",
                ConfigType.INT, "chronik.group.offsets-topic-partitions",
                "Partitions group ids are hashed onto to place their coordinator in a cluster"));
        list.add(new BrokerConfig("socket.request.max.bytes", Long.toString(props.getMaxRequestBytes().toBytes()),
                "104857600", ConfigType.INT, "chronik.max-request-bytes", "Largest request a client may send"));
        list.add(new BrokerConfig("unclean.leader.election.enable", "false", "false", ConfigType.BOOLEAN, null,
                "Default unclean.leader.election.enable of topics (a single broker has no other replica to elect)"));
        Map<String, BrokerConfig> byName = new LinkedHashMap<>();
        list.forEach(c -> byName.put(c.name(), c));
        return Collections.unmodifiableMap(byName);
    }

    /** Every setting, sorted by name. */
    public List<BrokerConfig> all() {
        return List.copyOf(configs().values());
    }

    /** The settings by Kafka name. */
    public Map<String, BrokerConfig> byName() {
        return configs();
    }

    /** Whether the operator set the Chronik property behind {@code config}. */
    public boolean explicitlySet(BrokerConfig config) {
        return config.setting() != null && explicitlySet.test(config.setting());
    }

    private static String ms(java.time.Duration d) {
        return Long.toString(d.toMillis());
    }
}
