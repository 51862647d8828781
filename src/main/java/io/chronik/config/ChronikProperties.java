package io.chronik.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DataSizeUnit;
import org.springframework.util.unit.DataSize;
import org.springframework.util.unit.DataUnit;
import org.springframework.validation.annotation.Validated;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every setting of a Chronik broker, bound from {@code chronik.*}. Invalid values stop startup before any
 * port opens, with a message naming the key and the value.
 */
@Validated
@ConfigurationProperties("chronik")
public class ChronikProperties {

    @Valid
    private final Listener listener = new Listener();
    @Valid
    private final Storage storage = new Storage();
    @Valid
    private final Group group = new Group();
    @Valid
    private final LogSettings log = new LogSettings();

    /** Host name Metadata responses tell clients to connect to. */
    @NotBlank
    private String advertisedHost = "localhost";
    /** Port Metadata responses tell clients to connect to; defaults to the bound listener port. */
    @Min(1)
    @Max(65535)
    private Integer advertisedPort;
    /** Broker id reported in Metadata. */
    @Min(0)
    private int nodeId = 0;
    /** Cluster id reported in Metadata and DescribeCluster. */
    @NotBlank
    private String clusterId = "chronik-cluster";
    @NotNull
    private Path dataDir = Path.of("./data");
    private boolean autoCreateTopics = true;
    @Min(1)
    @Max(100000)
    private int defaultPartitions = 1;
    /** Replication factor of topics created without one; default min(3, quorum voters or live brokers if more). */
    @Min(1)
    @Max(Short.MAX_VALUE)
    private Integer defaultReplicationFactor;
    /** Broker default for the topic config min.insync.replicas (Kafka's default 1). */
    @Min(1)
    @Max(Short.MAX_VALUE)
    private int minInsyncReplicas = 1;
    /** Requests handled concurrently per connection; past this Chronik stops reading the socket. */
    @Min(1)
    @Max(10000)
    private int maxInFlightPerConnection = 64;
    /** Largest request frame accepted; a larger one closes the connection. */
    @NotNull
    @DataSizeUnit(DataUnit.BYTES)
    private DataSize maxRequestBytes = DataSize.ofMegabytes(100);
    /**
     * Memory all connections together may hold in requests being read or handled (Kafka's queued.max.request.bytes);
     * past it Chronik stops reading sockets until requests are done. -1 means unbounded.
     */
    @NotNull
    @DataSizeUnit(DataUnit.BYTES)
    private DataSize maxQueuedRequestBytes = DataSize.ofMegabytes(256);

    public Listener getListener() { return listener; }
    public Storage getStorage() { return storage; }
    public Group getGroup() { return group; }
    public LogSettings getLog() { return log; }
    public String getAdvertisedHost() { return advertisedHost; }
    public void setAdvertisedHost(String advertisedHost) { this.advertisedHost = advertisedHost; }
    public Integer getAdvertisedPort() { return advertisedPort; }
    public void setAdvertisedPort(Integer advertisedPort) { this.advertisedPort = advertisedPort; }
    public int getNodeId() { return nodeId; }
    public void setNodeId(int nodeId) { this.nodeId = nodeId; }
    public String getClusterId() { return clusterId; }
    public void setClusterId(String clusterId) { this.clusterId = clusterId; }
    public Path getDataDir() { return dataDir; }
    public void setDataDir(Path dataDir) { this.dataDir = dataDir; }
    public boolean isAutoCreateTopics() { return autoCreateTopics; }
    public void setAutoCreateTopics(boolean autoCreateTopics) { this.autoCreateTopics = autoCreateTopics; }
    public int getDefaultPartitions() { return defaultPartitions; }
    public void setDefaultPartitions(int defaultPartitions) { this.defaultPartitions = defaultPartitions; }
    public Integer getDefaultReplicationFactor() { return defaultReplicationFactor; }
    public void setDefaultReplicationFactor(Integer v) { this.defaultReplicationFactor = v; }
    public int getMinInsyncReplicas() { return minInsyncReplicas; }
    public void setMinInsyncReplicas(int v) { this.minInsyncReplicas = v; }
    public int getMaxInFlightPerConnection() { return maxInFlightPerConnection; }
    public void setMaxInFlightPerConnection(int v) { this.maxInFlightPerConnection = v; }
    public DataSize getMaxRequestBytes() { return maxRequestBytes; }
    public void setMaxRequestBytes(DataSize maxRequestBytes) { this.maxRequestBytes = maxRequestBytes; }
    public DataSize getMaxQueuedRequestBytes() { return maxQueuedRequestBytes; }
    public void setMaxQueuedRequestBytes(DataSize v) { this.maxQueuedRequestBytes = v; }

    /** Network transport for the Kafka listener. */
    public enum Transport { AUTO, EPOLL, NIO }

    public static class Listener {
        @NotBlank
        private String host = "0.0.0.0";
        /** Kafka listener port; 0 picks an ephemeral port (logged at startup). */
        @Min(0)
        @Max(65535)
        private int port = 9092;
        @NotNull
        private Transport transport = Transport.AUTO;
        /** Event-loop threads; 0 means one per core. */
        @Min(0)
        @Max(1024)
        private int ioThreads = 0;
        private boolean tcpNoDelay = true;
        /** SO_SNDBUF / SO_RCVBUF; 0 leaves the operating system's default. */
        @NotNull
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize sendBufferSize = DataSize.ofBytes(0);
        @NotNull
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize receiveBufferSize = DataSize.ofBytes(0);
        /** How long shutdown waits for in-flight requests before closing connections. */
        @NotNull
        private Duration shutdownGracePeriod = Duration.ofSeconds(5);
        /** Connections without traffic this long are closed (Kafka's connections.max.idle.ms); negative: never. */
        @NotNull
        private Duration connectionsMaxIdle = Duration.ofMinutes(10);
        /** Open connections at most; further ones wait to be accepted until one closes (Kafka's max.connections). */
        @Min(1)
        private int maxConnections = Integer.MAX_VALUE;
        /** Open connections per client address at most; further ones are closed at once (max.connections.per.ip). */
        @Min(1)
        private int maxConnectionsPerIp = Integer.MAX_VALUE;

        public String getHost() { return host; }
        public void setHost(String host) { this.host = host; }
        public int getPort() { return port; }
        public void setPort(int port) { this.port = port; }
        public Transport getTransport() { return transport; }
        public void setTransport(Transport transport) { this.transport = transport; }
        public int getIoThreads() { return ioThreads; }
        public void setIoThreads(int ioThreads) { this.ioThreads = ioThreads; }
        public boolean isTcpNoDelay() { return tcpNoDelay; }
        public void setTcpNoDelay(boolean tcpNoDelay) { this.tcpNoDelay = tcpNoDelay; }
        public DataSize getSendBufferSize() { return sendBufferSize; }
        public void setSendBufferSize(DataSize v) { this.sendBufferSize = v; }
        public DataSize getReceiveBufferSize() { return receiveBufferSize; }
        public void setReceiveBufferSize(DataSize v) { this.receiveBufferSize = v; }
        public Duration getShutdownGracePeriod() { return shutdownGracePeriod; }
        public void setShutdownGracePeriod(Duration v) { this.shutdownGracePeriod = v; }
        public Duration getConnectionsMaxIdle() { return connectionsMaxIdle; }
        public void setConnectionsMaxIdle(Duration v) { this.connectionsMaxIdle = v; }
        public int getMaxConnections() { return maxConnections; }
        public void setMaxConnections(int v) { this.maxConnections = v; }
        public int getMaxConnectionsPerIp() { return maxConnectionsPerIp; }
        public void setMaxConnectionsPerIp(int v) { this.maxConnectionsPerIp = v; }
    }

    public static class Storage {
        /** Answer acks=all only after fsync (group commit). */
        private boolean fsyncOnAcksAll = true;
        @Min(1)
        @Max(256)
        private int appendThreads = 2;
        @Min(16)
        private int maxPendingAppendsPerLane = 16384;
        /** Threads for fetch reads and administrative file work. */
        @Min(1)
        @Max(1024)
        private int ioThreads = 8;
        @NotNull
        private Duration retentionCheckInterval = Duration.ofMinutes(1);
        @NotNull
        private Duration fileDeleteDelay = Duration.ofMinutes(1);
        /** Broker defaults for topics (Kafka's log.* settings). */
        @NotNull
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize segmentBytes = DataSize.ofGigabytes(1);
        @NotNull
        private Duration segmentMs = Duration.ofDays(7);
        /** Negative keeps data forever. */
        @NotNull
        private Duration retentionMs = Duration.ofDays(7);
        @NotNull
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize retentionBytes = DataSize.ofBytes(-1);
        @NotNull
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize maxMessageBytes = DataSize.ofBytes(1024 * 1024 + 12);
        /** Broker default for producer.id.expiration.ms: an idempotent producer idle this long is forgotten. */
        @NotNull
        private Duration producerIdExpiration = Duration.ofDays(1);
        /** How often idle idempotent producers are looked for (Kafka's producer.id.expiration.check.interval.ms). */
        @NotNull
        private Duration producerIdExpirationCheckInterval = Duration.ofMinutes(10);

        public boolean isFsyncOnAcksAll() { return fsyncOnAcksAll; }
        public void setFsyncOnAcksAll(boolean v) { this.fsyncOnAcksAll = v; }
        public int getAppendThreads() { return appendThreads; }
        public void setAppendThreads(int v) { this.appendThreads = v; }
        public int getMaxPendingAppendsPerLane() { return maxPendingAppendsPerLane; }
        public void setMaxPendingAppendsPerLane(int v) { this.maxPendingAppendsPerLane = v; }
        public int getIoThreads() { return ioThreads; }
        public void setIoThreads(int v) { this.ioThreads = v; }
        public Duration getRetentionCheckInterval() { return retentionCheckInterval; }
        public void setRetentionCheckInterval(Duration v) { this.retentionCheckInterval = v; }
        public Duration getFileDeleteDelay() { return fileDeleteDelay; }
        public void setFileDeleteDelay(Duration v) { this.fileDeleteDelay = v; }
        public DataSize getSegmentBytes() { return segmentBytes; }
        public void setSegmentBytes(DataSize v) { this.segmentBytes = v; }
        public Duration getSegmentMs() { return segmentMs; }
        public void setSegmentMs(Duration v) { this.segmentMs = v; }
        public Duration getRetentionMs() { return retentionMs; }
        public void setRetentionMs(Duration v) { this.retentionMs = v; }
        public DataSize getRetentionBytes() { return retentionBytes; }
        public void setRetentionBytes(DataSize v) { this.retentionBytes = v; }
        public DataSize getMaxMessageBytes() { return maxMessageBytes; }
        public void setMaxMessageBytes(DataSize v) { this.maxMessageBytes = v; }
        public Duration getProducerIdExpiration() { return producerIdExpiration; }
        public void setProducerIdExpiration(Duration v) { this.producerIdExpiration = v; }
        public Duration getProducerIdExpirationCheckInterval() { return producerIdExpirationCheckInterval; }
        public void setProducerIdExpirationCheckInterval(Duration v) { this.producerIdExpirationCheckInterval = v; }
    }

    /** Log settings ({@code chronik.log.*}). */
    public static class LogSettings {
        @Valid
        private final Cleaner cleaner = new Cleaner();

        public Cleaner getCleaner() { return cleaner; }
    }

    /** The log cleaner, which compacts cleanup.policy=compact topics ({@code chronik.log.cleaner.*}). */
    public static class Cleaner {
        /** Cleaner threads (Kafka's log.cleaner.threads); 0 turns compaction off. */
        @Min(0)
        @Max(64)
        private int threads = 1;
        /** Read plus write rate of all cleaner threads together; unset means unlimited. */
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize ioMaxBytesPerSecond;
        /** Memory of the key-to-offset maps of all cleaner threads together (Kafka's log.cleaner.dedupe.buffer.size). */
        @NotNull
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize dedupeBufferSize = DataSize.ofBytes(io.chronik.log.LogCleanerConfig.DEFAULT_DEDUPE_BUFFER_SIZE);
        /** How long a cleaner thread sleeps when no log needs cleaning (Kafka's log.cleaner.backoff.ms). */
        @NotNull
        @DurationMin(millis = 1)
        private Duration backoff = Duration.ofSeconds(15);

        public int getThreads() { return threads; }
        public void setThreads(int v) { this.threads = v; }
        public DataSize getIoMaxBytesPerSecond() { return ioMaxBytesPerSecond; }
        public void setIoMaxBytesPerSecond(DataSize v) { this.ioMaxBytesPerSecond = v; }
        public DataSize getDedupeBufferSize() { return dedupeBufferSize; }
        public void setDedupeBufferSize(DataSize v) { this.dedupeBufferSize = v; }
        public Duration getBackoff() { return backoff; }
        public void setBackoff(Duration v) { this.backoff = v; }
    }

    /** Consumer group settings ({@code chronik.group.*}). */
    public static class Group {
        /** How long the first rebalance of an empty group waits for more members (Kafka's default 3 s). */
        @NotNull
        @DurationMin(millis = 0)
        private Duration initialRebalanceDelay = Duration.ofSeconds(3);
        /** Committed offsets of a group that stays empty this long expire (Kafka's default 7 days). */
        @NotNull
        @DurationMin(millis = 1)
        private Duration offsetsRetention = Duration.ofDays(7);

        /** Classic groups: the shortest session timeout a member may ask for (Kafka's group.min.session.timeout.ms). */
        @NotNull
        @DurationMin(millis = 1)
        @DurationMax(minutes = 30)
        private Duration minSessionTimeout = Duration.ofSeconds(6);
        /** Classic groups: the longest session timeout a member may ask for (Kafka's group.max.session.timeout.ms). */
        @NotNull
        @DurationMin(millis = 1)
        @DurationMax(minutes = 30)
        private Duration maxSessionTimeout = Duration.ofMinutes(30);

        /** Consumer protocol (KIP-848, group.protocol=consumer): a member silent this long is removed (Kafka's default 45 s). */
        @NotNull
        @DurationMin(seconds = 1)
        @DurationMax(minutes = 30)
        private Duration consumerSessionTimeout = Duration.ofSeconds(45);
        /** Consumer protocol: how often members heartbeat (Kafka's default 5 s). */
        @NotNull
        @DurationMin(millis = 100)
        @DurationMax(minutes = 5)
        private Duration consumerHeartbeatInterval = Duration.ofSeconds(5);
        /**
         * The number of partitions of __consumer_offsets when it is created (alone at startup, in a cluster at the first
         * coordinator lookup; Kafka's offsets.topic.num.partitions); every broker of a cluster must use the same value.
         */
        @Min(1)
        @Max(1000)
        private int offsetsTopicPartitions = 50;

        public Duration getInitialRebalanceDelay() { return initialRebalanceDelay; }
        public void setInitialRebalanceDelay(Duration v) { this.initialRebalanceDelay = v; }
        public Duration getOffsetsRetention() { return offsetsRetention; }
        public void setOffsetsRetention(Duration v) { this.offsetsRetention = v; }
        public Duration getMinSessionTimeout() { return minSessionTimeout; }
        public void setMinSessionTimeout(Duration v) { this.minSessionTimeout = v; }
        public Duration getMaxSessionTimeout() { return maxSessionTimeout; }
        public void setMaxSessionTimeout(Duration v) { this.maxSessionTimeout = v; }
        public Duration getConsumerSessionTimeout() { return consumerSessionTimeout; }
        public void setConsumerSessionTimeout(Duration v) { this.consumerSessionTimeout = v; }
        public Duration getConsumerHeartbeatInterval() { return consumerHeartbeatInterval; }
        public void setConsumerHeartbeatInterval(Duration v) { this.consumerHeartbeatInterval = v; }
        public int getOffsetsTopicPartitions() { return offsetsTopicPartitions; }
        public void setOffsetsTopicPartitions(int v) { this.offsetsTopicPartitions = v; }
    }
}
