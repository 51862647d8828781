package io.chronik.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Owns every topic and partition log under the data directory: creates, deletes and recovers them,
 * persists topic metadata (write-then-rename), runs retention and group commit, and allocates producer ids.
 */
public final class LogManager implements AutoCloseable {
    private static final System.Logger LOGGER = System.getLogger(LogManager.class.getName());
    static final String CLEAN_SHUTDOWN_MARKER = ".clean-shutdown";
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Pattern PARTITION_DIR = Pattern.compile("(.+)-(\\d+)");
    /** A deleted partition's directory, renamed before its files are removed: {@code <topic>-<partition>.<id>-delete}. */
    static final String DELETE_DIR_SUFFIX = "-delete";
    private static final Pattern DELETE_DIR = Pattern.compile("(.+)-(\\d+)\\.([0-9a-f]{32})" + DELETE_DIR_SUFFIX);
    /** Directories of the data directory that other parts of the broker own (the cluster metadata quorum's log). */
    static final Set<String> FOREIGN_DIRECTORIES = Set.of("__cluster_metadata");
    private static final long LANE_DRAIN_TIMEOUT_MS = 30_000;
    private static final long CLEANER_STOP_TIMEOUT_MS = 10_000;
    /** How often logs with a flush.ms are checked for records waiting longer than that for an fsync. */
    private static final long FLUSH_CHECK_INTERVAL_MS = 1000;
    /** How often the high watermarks of logs with a role are checkpointed, as Kafka's default. */
    private static final long HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS = 5000;

    /** A topic's metadata and its partition logs; {@code info} is swapped whole on every change. */
    private static final class TopicState {
        volatile TopicInfo info;
        final Map<Integer, Log> logs = new ConcurrentHashMap<>();

        TopicState(TopicInfo info) {
            this.info = info;
        }
    }

    private final StorageConfig config;
    private final LogMetrics metrics;
    private final Map<String, TopicState> topics = new ConcurrentHashMap<>();
    private final Map<UUID, TopicState> topicsById = new ConcurrentHashMap<>();
    /** Serializes topic administration, startup and close. */
    private final Object adminLock = new Object();
    private final Set<LogSegment> pendingSegmentDeletes = ConcurrentHashMap.newKeySet();
    private final Set<PendingDelete> pendingTopicDeletes = ConcurrentHashMap.newKeySet();

    private TopicMetadataStore store;
    private ProducerIdAllocator producerIds;
    private AppendLanes lanes;
    private GroupCommitter committer;
    private ProducerSnapshotWriter snapshots;
    private LogCleaner cleaner;
    private final CleanerHook cleanerHook;
    private final Object checkpointLock = new Object();
    /** What the high watermark checkpoint file holds now (null: not written by this manager yet). */
    private String lastHighWatermarks;
    private ScheduledExecutorService scheduler;
    private volatile boolean ready;
    private boolean started;
    private boolean closed;

    /** Set by {@link #startup(boolean)}: recovery leaves partitions without a directory without a log. */
    private volatile boolean onlyExistingPartitions;

    public LogManager(StorageConfig config, LogMetrics metrics) {
        this(config, metrics, CleanerHook.fromSystemProperty());
    }

    LogManager(StorageConfig config, LogMetrics metrics, CleanerHook cleanerHook) {
        this.config = config;
        this.metrics = metrics == null ? LogMetrics.NOOP : metrics;
        this.cleanerHook = cleanerHook;
    }

    /** Loads topic metadata and recovers every partition log; then starts retention. */
    public void startup() throws IOException {
        startup(false);
    }

    /**
     * Like {@link #startup()}; with {@code onlyExistingPartitions} (in a cluster, where a broker keeps logs of its own
     * replicas only) a stored topic's partition without a directory stays without a log instead of being opened empty,
     * so a restart makes no directories for other brokers' partitions ({@link #ensurePartition} opens one later).
     */
    public void startup(boolean onlyExistingPartitions) throws IOException {
        this.onlyExistingPartitions = onlyExistingPartitions;
        synchronized (adminLock) {
            if (closed) {
                throw new IllegalStateException("log manager is closed");
            }
            if (started) {
                return;
            }
            started = true;
            Path dataDir = config.dataDir();
            Files.createDirectories(dataDir);
            Path marker = dataDir.resolve(CLEAN_SHUTDOWN_MARKER);
            // Removed before anything is touched: a crash from here on is unclean again.
            boolean fresh = !Files.exists(dataDir.resolve(TopicMetadataStore.DIR));
            boolean clean = Files.deleteIfExists(marker);
            if (clean) {
                AtomicFiles.syncDirectory(dataDir);
            }
            store = new TopicMetadataStore(dataDir);
            producerIds = new ProducerIdAllocator(dataDir);
            lanes = new AppendLanes(config.appendThreads(), config.maxPendingAppendsPerLane());
            committer = new GroupCommitter(metrics);
            snapshots = new ProducerSnapshotWriter();
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "chronik-log-scheduler");
                t.setDaemon(true);
                return t;
            });
            List<TopicMetadataStore.StoredTopic> stored = store.loadAll();
            deleteOrphanDirectories(stored);
            recoverAll(stored, clean);
            restoreHighWatermarks();
            cleaner = new LogCleaner(config.cleaner(), metrics, dataDir, this::allLogs, cleanerHook);
            cleaner.startup();
            scheduler.scheduleWithFixedDelay(this::runRetention, config.retentionCheckIntervalMs(),
                    config.retentionCheckIntervalMs(), TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::runProducerExpiration, config.producerIdExpirationCheckIntervalMs(),
                    config.producerIdExpirationCheckIntervalMs(), TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::runTimedFlushes, FLUSH_CHECK_INTERVAL_MS, FLUSH_CHECK_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::runHighWatermarkCheckpoint, HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS,
                    HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS, TimeUnit.MILLISECONDS);
            ready = true;
            LOGGER.log(System.Logger.Level.INFO, "Loaded {0} topics from {1} ({2})", topics.size(), dataDir,
                    fresh ? "new data directory" : clean ? "after a clean shutdown" : "recovered after an unclean shutdown");
        }
    }

    /** Recovers partitions in parallel: after a crash each one may be CRC-checking its active segment. */
    private void recoverAll(List<TopicMetadataStore.StoredTopic> stored, boolean clean) throws IOException {
        int partitions = stored.stream().mapToInt(TopicMetadataStore.StoredTopic::partitions).sum();
        if (partitions == 0) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(
                Math.min(partitions, Math.max(1, Runtime.getRuntime().availableProcessors())));
        List<TopicState> states = new ArrayList<>();
        List<Future<Log>> opening = new ArrayList<>();
        try {
            for (TopicMetadataStore.StoredTopic t : stored) {
                LogConfig cfg;
                try {
                    cfg = config.defaults().withOverrides(t.overrides());
                } catch (TopicException e) {
                    throw new IOException("topic " + t.name() + " has an invalid stored configuration: "
                            + e.getMessage(), e);
                }
                states.add(new TopicState(new TopicInfo(t.name(), t.id(), t.partitions(),
                        Collections.unmodifiableSortedMap(new TreeMap<>(t.overrides())), cfg)));
                for (int p = 0; p < t.partitions(); p++) {
                    int partition = p;
                    if (onlyExistingPartitions && !Files.isDirectory(partitionDir(t.name(), partition))) {
                        continue;
                    }
                    opening.add(pool.submit(() -> openLog(t.name(), partition, cfg, clean)));
                }
            }
            IOException failure = null;
            List<Log> opened = new ArrayList<>();
            for (Future<Log> f : opening) {
                try {
                    opened.add(f.get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof IOException io ? io
                                : new IOException("recovery failed: " + e.getCause(), e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new IOException("interrupted during recovery");
                }
            }
            if (failure != null) {
                opened.forEach(Log::halt);
                throw failure;
            }
            for (Log log : opened) {
                TopicState state = states.stream().filter(s -> s.info.name().equals(log.topic())).findFirst().orElseThrow();
                state.logs.put(log.partition(), log);
            }
            for (TopicState state : states) {
                topics.put(state.info.name(), state);
                topicsById.put(state.info.id(), state);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private Log openLog(String topic, int partition, LogConfig cfg, boolean clean) throws IOException {
        Path dir = partitionDir(topic, partition);
        LogRecovery.Loaded loaded = LogRecovery.load(dir, cfg, clean, System.currentTimeMillis());
        return new Log(topic, partition, dir, cfg, loaded, new LogServices(config, metrics,
                lanes.laneFor(topic, partition), committer, segment -> deleteSegmentLater(segment, topic), snapshots));
    }

    private Path partitionDir(String topic, int partition) {
        return config.dataDir().resolve(topic + "-" + partition);
    }

    /**
     * Removes what deletions left behind: directories renamed for deletion (a topic deleted before a crash, its files
     * not yet removed), and partition directories no topic owns any more (a crash between removing the topic's
     * metadata and renaming its directories).
     */
    private void deleteOrphanDirectories(List<TopicMetadataStore.StoredTopic> stored) throws IOException {
        Set<String> owned = new HashSet<>();
        for (TopicMetadataStore.StoredTopic t : stored) {
            for (int p = 0; p < t.partitions(); p++) {
                owned.add(t.name() + "-" + p);
            }
        }
        try (Stream<Path> entries = Files.list(config.dataDir())) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!Files.isDirectory(p)) {
                    continue;
                }
                if (DELETE_DIR.matcher(name).matches()) {
                    LOGGER.log(System.Logger.Level.INFO, "Deleting {0}: its topic was deleted", p);
                    AtomicFiles.deleteTree(p);
                } else if (PARTITION_DIR.matcher(name).matches() && !owned.contains(name)
                        && !FOREIGN_DIRECTORIES.contains(name) && looksLikePartition(p)) {
                    LOGGER.log(System.Logger.Level.INFO, "Deleting {0}: no topic owns it", p);
                    AtomicFiles.deleteTree(p);
                }
            }
        }
    }

    private static boolean looksLikePartition(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.allMatch(f -> {
                String n = f.getFileName().toString();
                return n.endsWith(".log") || n.endsWith(".index") || n.endsWith(".timeindex")
                        || n.endsWith(AtomicFiles.DELETED_SUFFIX)
                        || n.endsWith(SegmentSwap.CLEANED_SUFFIX) || n.endsWith(SegmentSwap.SWAP_SUFFIX)
                        || n.endsWith(ProducerStateManager.SNAPSHOT_SUFFIX) || n.endsWith(AtomicFiles.TMP_SUFFIX)
                        || n.equals(LogRecovery.LOG_START_FILE) || n.equals(LeaderEpochCache.FILE);
            });
        }
    }

    /** True once startup (recovery) has finished. */
    /** The directory every partition lives in (Chronik has one log directory). */
    public Path dataDir() {
        return config.dataDir();
    }

    public boolean isReady() {
        return ready;
    }

    public Optional<TopicInfo> topic(String name) {
        TopicState state = name == null ? null : topics.get(name);
        return state == null ? Optional.empty() : Optional.of(state.info);
    }

    public Optional<TopicInfo> topic(UUID id) {
        TopicState state = id == null ? null : topicsById.get(id);
        return state == null ? Optional.empty() : Optional.of(state.info);
    }

    public List<TopicInfo> topics() {
        List<TopicInfo> list = new ArrayList<>();
        topics.values().forEach(s -> list.add(s.info));
        list.sort(Comparator.comparing(TopicInfo::name));
        return list;
    }

    /** Throws TopicException (TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_CONFIG). */
    public TopicInfo createTopic(String name, int partitions, Map<String, String> configs, boolean validateOnly) {
        return createTopic(name, null, partitions, configs, validateOnly);
    }

    /**
     * Makes the local topic {@code name} what the cluster metadata says: created with the cluster's topic id if it is
     * missing, grown to {@code partitions}, its overrides replaced by {@code configs}. A local topic of that name with
     * another id must be deleted first (TOPIC_ALREADY_EXISTS otherwise).
     */
    public TopicInfo ensureTopic(UUID id, String name, int partitions, Map<String, String> configs) {
        return ensureTopic(id, name, partitions, configs, p -> true);
    }

    /**
     * Like {@link #ensureTopic(UUID, String, int, Map)}, opening logs only for the partitions {@code hosted} names
     * (in a cluster, this broker's replicas): the others are known but have no local log until {@link
     * #ensurePartition} opens one.
     */
    public TopicInfo ensureTopic(UUID id, String name, int partitions, Map<String, String> configs,
                                 java.util.function.IntPredicate hosted) {
        synchronized (adminLock) {
            requireStarted();
            TopicState state = topics.get(name);
            if (state == null) {
                return createTopic(name, id, partitions, configs, false, hosted);
            }
            TopicInfo info = state.info;
            if (!info.id().equals(id)) {
                throw new TopicException(TopicException.Reason.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' exists with id "
                        + info.id() + ", not " + id + ".");
            }
            if (partitions > info.partitions()) {
                info = createPartitions(name, partitions, false, hosted);
            }
            if (!info.overrides().equals(copyOverrides(configs))) {
                info = alterConfigs(name, configs, false);
            }
            return info;
        }
    }

    private TopicInfo createTopic(String name, UUID id, int partitions, Map<String, String> configs, boolean validateOnly) {
        return createTopic(name, id, partitions, configs, validateOnly, p -> true);
    }

    private TopicInfo createTopic(String name, UUID id, int partitions, Map<String, String> configs, boolean validateOnly,
                                  java.util.function.IntPredicate hosted) {
        validateTopicName(name);
        if (partitions < 1) {
            throw new TopicException(TopicException.Reason.INVALID_PARTITIONS,
                    "Number of partitions must be larger than 0, got " + partitions + ".");
        }
        Map<String, String> overrides = copyOverrides(configs);
        LogConfig cfg = config.defaults().withOverrides(overrides);
        synchronized (adminLock) {
            requireStarted();
            if (topics.containsKey(name) || (id != null && topicsById.containsKey(id))) {
                throw new TopicException(TopicException.Reason.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists.");
            }
            TopicInfo info = new TopicInfo(name, id == null ? newTopicId() : id, partitions, overrides, cfg);
            if (validateOnly) {
                return info;
            }
            finishPendingDelete(name);
            TopicState state = new TopicState(info);
            try {
                addPartitions(state, 0, partitions, cfg, hosted);
                store.write(new TopicMetadataStore.StoredTopic(name, info.id(), partitions, overrides));
            } catch (IOException e) {
                state.logs.values().forEach(l -> {
                    l.markDeleted();
                    l.close();
                    AtomicFiles.deleteTree(l.dir());
                });
                throw new TopicException(TopicException.Reason.KAFKA_STORAGE_ERROR,
                        "Cannot create topic '" + name + "': " + e);
            }
            topics.put(name, state);
            topicsById.put(info.id(), state);
            return info;
        }
    }

    /** Opens empty logs for partitions [from, to); a leftover directory of an older topic is cleared first. */
    private void addPartitions(TopicState state, int from, int to, LogConfig cfg) throws IOException {
        addPartitions(state, from, to, cfg, p -> true);
    }

    /** Like {@link #addPartitions(TopicState, int, int, LogConfig)}, for the partitions {@code hosted} names only. */
    private void addPartitions(TopicState state, int from, int to, LogConfig cfg, java.util.function.IntPredicate hosted)
            throws IOException {
        String name = state.info.name();
        for (int p = from; p < to; p++) {
            if (!hosted.test(p)) {
                continue;
            }
            Path dir = partitionDir(name, p);
            if (Files.exists(dir) && !AtomicFiles.deleteTree(dir)) {
                throw new IOException("cannot clear leftover directory " + dir);
            }
            state.logs.put(p, openLog(name, p, cfg, true));
        }
    }

    /**
     * Throws TopicException(UNKNOWN_TOPIC_OR_PARTITION). The topic's metadata goes first (durably), then its partition
     * directories are renamed to {@code <topic>-<partition>.<id>-delete} (durably) and removed after
     * file.delete.delay: a crash at any point leaves either the whole topic, or none of it once restarted.
     */
    public void deleteTopic(String name) {
        synchronized (adminLock) {
            requireStarted();
            TopicState state = name == null ? null : topics.get(name);
            if (state == null) {
                throw unknownTopic(name);
            }
            try {
                store.delete(name);
            } catch (IOException e) {
                throw new TopicException(TopicException.Reason.KAFKA_STORAGE_ERROR,
                        "Cannot delete topic '" + name + "': " + e);
            }
            topics.remove(name);
            topicsById.remove(state.info.id());
            List<Log> logs = new ArrayList<>(state.logs.values());
            logs.forEach(Log::markDeleted);
            cleaner.forget(logs);
            // Files stay for file.delete.delay (open ones until the last fetch holding them has sent them).
            PendingDelete deletion = new PendingDelete(name, logs, renameForDeletion(logs));
            pendingTopicDeletes.add(deletion);
            schedule(() -> runPendingDelete(deletion), config.fileDeleteDelayMs());
        }
    }

    /**
     * Drops one partition's local log while its topic stays (in a cluster: this broker no longer holds a replica of
     * it). Its directory is renamed and removed after file.delete.delay, as a deleted topic's are; {@link
     * #ensurePartition} opens an empty log again should the partition come back. A missing log is ignored.
     */
    public void deletePartition(String name, int partition) {
        synchronized (adminLock) {
            requireStarted();
            TopicState state = name == null ? null : topics.get(name);
            Log log = state == null ? null : state.logs.remove(partition);
            if (log == null) {
                return;
            }
            log.markDeleted();
            cleaner.forget(List.of(log));
            PendingDelete deletion = new PendingDelete(name, List.of(log), renameForDeletion(List.of(log)));
            pendingTopicDeletes.add(deletion);
            schedule(() -> runPendingDelete(deletion), config.fileDeleteDelayMs());
        }
    }

    /** Opens an empty log for a partition of a known topic that has none (dropped by {@link #deletePartition}). */
    public void ensurePartition(String name, int partition) {
        synchronized (adminLock) {
            requireStarted();
            TopicState state = topics.get(name);
            if (state == null || partition < 0 || partition >= state.info.partitions()) {
                throw unknownTopic(name);
            }
            if (!state.logs.containsKey(partition)) {
                try {
                    addPartitions(state, partition, partition + 1, state.info.config());
                } catch (IOException e) {
                    throw new TopicException(TopicException.Reason.KAFKA_STORAGE_ERROR,
                            "Cannot open partition " + name + "-" + partition + ": " + e);
                }
            }
        }
    }

    /**
     * Renames each log's directory out of the way; returns the directories to remove. One that cannot be renamed
     * stays under its name (its topic is gone: a restart removes it) and is removed before a topic re-uses the name.
     */
    private List<Path> renameForDeletion(List<Log> logs) {
        List<Path> dirs = new ArrayList<>();
        for (Log log : logs) {
            Path target = config.dataDir().resolve(deleteDirName(log.topic(), log.partition()));
            try {
                Files.move(log.dir(), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                dirs.add(target);
            } catch (IOException e) {
                LOGGER.log(System.Logger.Level.WARNING, "cannot rename " + log.dir() + " for deletion", e);
                dirs.add(log.dir());
            }
        }
        try {
            AtomicFiles.syncDirectory(config.dataDir());
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "cannot sync " + config.dataDir() + " after renaming deleted partitions", e);
        }
        return dirs;
    }

    /** {@code <topic>-<partition>.<32 hex digits>-delete}, the topic name cut so the whole fits in 255 characters. */
    static String deleteDirName(String topic, int partition) {
        String suffix = "-" + partition + "." + UUID.randomUUID().toString().replace("-", "") + DELETE_DIR_SUFFIX;
        return topic.substring(0, Math.min(topic.length(), 255 - suffix.length())) + suffix;
    }

    /**
     * The files of a deleted topic, removed once: by the delayed task, or earlier by a topic re-created under the
     * same name while a directory could not be renamed. Whoever comes second waits until the first has finished.
     */
    private static final class PendingDelete implements Runnable {
        private final String topic;
        private final List<Log> logs;
        private final List<Path> dirs;
        private boolean done;

        PendingDelete(String topic, List<Log> logs, List<Path> dirs) {
            this.topic = topic;
            this.logs = logs;
            this.dirs = dirs;
        }

        /** Whether a directory still has a live partition's name, so a new topic of the same name must wait for it. */
        boolean holdsLiveNames() {
            for (int i = 0; i < logs.size(); i++) {
                if (dirs.get(i).equals(logs.get(i).dir())) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            logs.forEach(Log::close);
            dirs.forEach(AtomicFiles::deleteTree);
        }
    }

    private void runPendingDelete(PendingDelete deletion) {
        deletion.run();
        pendingTopicDeletes.remove(deletion);
    }

    /** A topic re-created under a deleted one's name must not find old files under its names: delete them now. */
    private void finishPendingDelete(String name) {
        for (PendingDelete deletion : new ArrayList<>(pendingTopicDeletes)) {
            if (deletion.topic.equals(name) && deletion.holdsLiveNames()) {
                runPendingDelete(deletion);
            }
        }
    }

    /** Grows a topic to {@code totalCount} partitions; INVALID_PARTITIONS if not larger. */
    public TopicInfo createPartitions(String name, int totalCount, boolean validateOnly) {
        return createPartitions(name, totalCount, validateOnly, p -> true);
    }

    private TopicInfo createPartitions(String name, int totalCount, boolean validateOnly, java.util.function.IntPredicate hosted) {
        synchronized (adminLock) {
            requireStarted();
            TopicState state = name == null ? null : topics.get(name);
            if (state == null) {
                throw unknownTopic(name);
            }
            TopicInfo info = state.info;
            if (totalCount <= info.partitions()) {
                throw new TopicException(TopicException.Reason.INVALID_PARTITIONS, totalCount == info.partitions()
                        ? "Topic already has " + info.partitions() + " partitions."
                        : "Topic currently has " + info.partitions() + " partitions, which is higher than the requested "
                        + totalCount + ".");
            }
            TopicInfo grown = new TopicInfo(info.name(), info.id(), totalCount, info.overrides(), info.config());
            if (validateOnly) {
                return grown;
            }
            try {
                addPartitions(state, info.partitions(), totalCount, info.config(), hosted);
                store.write(new TopicMetadataStore.StoredTopic(name, info.id(), totalCount, info.overrides()));
            } catch (IOException e) {
                for (int p = info.partitions(); p < totalCount; p++) {
                    Log log = state.logs.remove(p);
                    if (log != null) {
                        log.markDeleted();
                        log.close();
                        AtomicFiles.deleteTree(log.dir());
                    }
                }
                throw new TopicException(TopicException.Reason.KAFKA_STORAGE_ERROR,
                        "Cannot add partitions to '" + name + "': " + e);
            }
            state.info = grown;
            return grown;
        }
    }

    /** Replaces the topic's whole override set (callers compute incremental changes); validated first. */
    public TopicInfo alterConfigs(String name, Map<String, String> overrides, boolean validateOnly) {
        Map<String, String> copy = copyOverrides(overrides);
        LogConfig cfg = config.defaults().withOverrides(copy);
        synchronized (adminLock) {
            requireStarted();
            TopicState state = name == null ? null : topics.get(name);
            if (state == null) {
                throw unknownTopic(name);
            }
            TopicInfo info = state.info;
            TopicInfo altered = new TopicInfo(info.name(), info.id(), info.partitions(), copy, cfg);
            if (validateOnly) {
                return altered;
            }
            try {
                store.write(new TopicMetadataStore.StoredTopic(name, info.id(), info.partitions(), copy));
            } catch (IOException e) {
                throw new TopicException(TopicException.Reason.KAFKA_STORAGE_ERROR,
                        "Cannot store the configuration of '" + name + "': " + e);
            }
            state.info = altered;
            state.logs.values().forEach(l -> l.updateConfig(cfg));
            return altered;
        }
    }

    public Optional<Log> log(String topic, int partition) {
        TopicState state = topic == null ? null : topics.get(topic);
        return state == null ? Optional.empty() : Optional.ofNullable(state.logs.get(partition));
    }

    /** A producer id never handed out before, also across restarts. */
    public long nextProducerId() {
        ProducerIdAllocator allocator;
        synchronized (adminLock) {
            requireStarted();
            allocator = producerIds;
        }
        try {
            return allocator.allocate();
        } catch (IOException e) {
            throw new LogException(LogError.KAFKA_STORAGE_ERROR, "cannot persist producer id block: " + e, e);
        }
    }

    /** Flushes and closes every log, writes producer-state snapshots and the clean-shutdown marker. */
    @Override
    public void close() {
        synchronized (adminLock) {
            if (closed) {
                return;
            }
            closed = true;
            boolean recovered = ready;
            ready = false;
            if (lanes == null) {
                return;
            }
            stopCleaner();
            scheduler.shutdownNow();
            lanes.shutdown(LANE_DRAIN_TIMEOUT_MS);
            committer.close();
            snapshots.close();
            if (recovered) {
                runHighWatermarkCheckpoint();
            }
            boolean ok = recovered;
            for (TopicState state : topics.values()) {
                for (Log log : state.logs.values()) {
                    ok &= log.close();
                }
            }
            new ArrayList<>(pendingTopicDeletes).forEach(this::runPendingDelete);
            for (LogSegment segment : new ArrayList<>(pendingSegmentDeletes)) {
                if (pendingSegmentDeletes.remove(segment)) {
                    segment.deleteFiles();
                }
            }
            if (ok) {
                try {
                    AtomicFiles.write(config.dataDir().resolve(CLEAN_SHUTDOWN_MARKER), new byte[0]);
                } catch (IOException e) {
                    LOGGER.log(System.Logger.Level.ERROR, "cannot write the clean-shutdown marker", e);
                }
            }
        }
    }

    /**
     * Stops every thread and closes files without flushing, snapshotting or marking a clean shutdown: the
     * state a crash (kill -9) leaves on disk once the page cache is written. For recovery tests.
     */
    void halt() {
        synchronized (adminLock) {
            if (closed) {
                return;
            }
            closed = true;
            ready = false;
            if (lanes == null) {
                return;
            }
            stopCleaner();
            scheduler.shutdownNow();
            lanes.halt();
            committer.close();
            snapshots.halt();
            topics.values().forEach(s -> s.logs.values().forEach(Log::halt));
            // Deleted topics and segments keep their files as they are (renamed, not yet removed).
            pendingTopicDeletes.forEach(d -> d.logs.forEach(Log::halt));
            pendingSegmentDeletes.forEach(LogSegment::close);
        }
    }

    /** The log cleaner (compaction). */
    LogCleaner cleaner() {
        return cleaner;
    }

    /** Every partition log of every topic. */
    private List<Log> allLogs() {
        List<Log> all = new ArrayList<>();
        topics.values().forEach(s -> all.addAll(s.logs.values()));
        return all;
    }

    /** Before the lanes stop: a cleaner waiting for its swap on a lane gets its answer. */
    private void stopCleaner() {
        if (cleaner != null) {
            cleaner.shutdown(CLEANER_STOP_TIMEOUT_MS);
        }
    }

    // ---- helpers ----

    private void runRetention() {
        try {
            for (TopicState state : topics.values()) {
                state.logs.values().forEach(Log::scheduleRetention);
            }
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "retention check failed", e);
        }
    }

    private void runProducerExpiration() {
        try {
            for (TopicState state : topics.values()) {
                state.logs.values().forEach(Log::scheduleProducerExpiration);
            }
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "producer id expiration check failed", e);
        }
    }

    /**
     * A segment removed from its log: its files are renamed {@code .deleted} at once (durably, so a crash never
     * brings it back) and removed after the topic's file.delete.delay.ms; its channel closes when the last slice
     * holding it is released. Throws UncheckedIOException when the rename fails.
     */
    private void deleteSegmentLater(LogSegment segment, String topic) {
        try {
            if (segment.renameForDeletion()) {
                AtomicFiles.syncDirectory(segment.file().getParent());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot rename " + segment + " for deletion", e);
        }
        TopicState state = topics.get(topic);
        long delayMs = state == null ? config.fileDeleteDelayMs() : state.info.config().fileDeleteDelayMs();
        pendingSegmentDeletes.add(segment);
        schedule(() -> {
            if (pendingSegmentDeletes.remove(segment)) {
                segment.deleteFiles();
            }
        }, delayMs);
    }

    /**
     * Writes {@code replication-offset-checkpoint} in the data directory (Kafka's format: version 0, the number of
     * entries, then {@code topic partition highWatermark} lines) with the high watermark of every log that has a role;
     * atomically and fsynced. Skipped when nothing changed since the last write, and while no log ever had a role.
     */
    public void checkpointHighWatermarks() throws IOException {
        synchronized (checkpointLock) {
            List<String> lines = new ArrayList<>();
            for (TopicState state : topics.values()) {
                for (Log log : state.logs.values()) {
                    if (log.hasRole() && !log.isDeleted()) {
                        lines.add(log.topic() + " " + log.partition() + " " + log.highWatermark());
                    }
                }
            }
            StringBuilder text = new StringBuilder("0\n").append(lines.size()).append('\n');
            lines.forEach(line -> text.append(line).append('\n'));
            String content = text.toString();
            Path file = HighWatermarkCheckpoint.path(config.dataDir());
            if (content.equals(lastHighWatermarks) || (lines.isEmpty() && lastHighWatermarks == null
                    && !Files.exists(file))) {
                return;
            }
            AtomicFiles.write(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            lastHighWatermarks = content;
        }
    }

    private void runHighWatermarkCheckpoint() {
        try {
            checkpointHighWatermarks();
        } catch (IOException | RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "high watermark checkpoint failed", e);
        }
    }

    /** Each log in the checkpoint starts its first role at min(checkpointed high watermark, log end). */
    private void restoreHighWatermarks() {
        HighWatermarkCheckpoint.read(config.dataDir()).forEach((topic, partitions) -> partitions.forEach(
                (partition, offset) -> log(topic, partition).ifPresent(log -> log.restoreHighWatermark(offset))));
    }

    /** flush.ms for logs that stopped receiving appends: their last records are fsynced once they are old enough. */
    private void runTimedFlushes() {
        try {
            for (TopicState state : topics.values()) {
                if (state.info.config().flushMs() != Long.MAX_VALUE) {
                    state.logs.values().forEach(Log::scheduleTimedFlush);
                }
            }
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "flush check failed", e);
        }
    }

    private void schedule(Runnable task, long delayMs) {
        try {
            scheduler.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            task.run(); // shutting down: close() would otherwise miss it
        }
    }

    private void requireStarted() {
        if (!started || closed) {
            throw new IllegalStateException("log manager is not running");
        }
    }

    private UUID newTopicId() {
        while (true) {
            UUID id = UUID.randomUUID();
            // Like Kafka: never the zero or metadata id, never one whose base64 form starts with '-'.
            boolean reserved = (id.getMostSignificantBits() == 0 && id.getLeastSignificantBits() <= 1)
                    || (id.getMostSignificantBits() >>> 58) == 62;
            if (!reserved && !topicsById.containsKey(id)) {
                return id;
            }
        }
    }

    private static Map<String, String> copyOverrides(Map<String, String> configs) {
        TreeMap<String, String> copy = new TreeMap<>();
        if (configs != null) {
            copy.putAll(configs);
        }
        return Collections.unmodifiableSortedMap(copy);
    }

    private static TopicException unknownTopic(String name) {
        return new TopicException(TopicException.Reason.UNKNOWN_TOPIC_OR_PARTITION,
                "Topic '" + name + "' does not exist.");
    }

    /** Throws TopicException(INVALID_TOPIC_EXCEPTION) for a name Kafka does not allow. */
    public static void validateTopicName(String name) {
        if (name == null || name.isEmpty()) {
            throw new TopicException(TopicException.Reason.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new TopicException(TopicException.Reason.INVALID_TOPIC_EXCEPTION,
                    "Topic name cannot be \".\" or \"..\"");
        }
        if (name.length() > 249) {
            throw new TopicException(TopicException.Reason.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be "
                    + "longer than 249 characters, topic name: " + name);
        }
        if (!TOPIC_NAME.matcher(name).matches()) {
            throw new TopicException(TopicException.Reason.INVALID_TOPIC_EXCEPTION, "Topic name '" + name
                    + "' is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'");
        }
    }
}
