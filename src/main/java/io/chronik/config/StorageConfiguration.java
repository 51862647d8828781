package io.chronik.config;

import io.chronik.log.LogCleanerConfig;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.LogMetrics;
import io.chronik.log.StorageConfig;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Creates the storage engine: checks the data directory, then recovers every log before any port opens. */
@Configuration(proxyBeanMethods = false)
public class StorageConfiguration {
    private static final long MIN_DEDUPE_BYTES_PER_THREAD = 1 << 20;

    /** Broker-wide topic defaults (Kafka's log.* settings), from chronik.storage.*. */
    @Bean
    LogConfig brokerTopicDefaults(ChronikProperties props) {
        ChronikProperties.Storage s = props.getStorage();
        return new LogConfig(
                toInt("chronik.storage.segment-bytes", s.getSegmentBytes().toBytes(), 14),
                positiveMillis("chronik.storage.segment-ms", s.getSegmentMs().toMillis()),
                s.getRetentionMs().isNegative() ? -1 : s.getRetentionMs().toMillis(),
                s.getRetentionBytes().toBytes() < 0 ? -1 : s.getRetentionBytes().toBytes(),
                toInt("chronik.storage.max-message-bytes", s.getMaxMessageBytes().toBytes(), 0),
                LogConfig.KAFKA_DEFAULTS.indexIntervalBytes(),
                false).withFileDeleteDelayMs(Math.max(0, s.getFileDeleteDelay().toMillis()))
                .withProducerIdExpirationMs(
                        toIntMillis("chronik.storage.producer-id-expiration", s.getProducerIdExpiration().toMillis()));
    }

    @Bean(destroyMethod = "close")
    LogManager logManager(ChronikProperties props, ClusterProperties cluster, LogConfig defaults,
                          ObjectProvider<LogMetrics> metrics) {
        Path dataDir = checkDataDir(props.getDataDir());
        ChronikProperties.Storage s = props.getStorage();
        StorageConfig config = new StorageConfig(dataDir, defaults, s.isFsyncOnAcksAll(), s.getAppendThreads(),
                s.getMaxPendingAppendsPerLane(), positiveMillis("chronik.storage.retention-check-interval",
                s.getRetentionCheckInterval().toMillis()), Math.max(0, s.getFileDeleteDelay().toMillis()),
                positiveMillis("chronik.storage.producer-id-expiration-check-interval",
                        s.getProducerIdExpirationCheckInterval().toMillis()),
                cleanerConfig(props.getLog().getCleaner(), Runtime.getRuntime().maxMemory()));
        LogManager manager = new LogManager(config, metrics.getIfAvailable(() -> LogMetrics.NOOP));
        try {
            // In a cluster a broker keeps logs of its own replicas only: recovery opens no others.
            manager.startup(cluster.getVoters() != null);
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException("log recovery failed in " + dataDir + ": " + e.getMessage(), e);
        }
        return manager;
    }

    /** Fetch reads and administrative file work: bounded threads, bounded queue, never an event loop. */
    @Bean(destroyMethod = "dispose")
    Scheduler ioScheduler(ChronikProperties props) {
        return Schedulers.newBoundedElastic(props.getStorage().getIoThreads(), 100_000, "chronik-io");
    }

    /** The log cleaner's settings, checked against each other and the heap. */
    static LogCleanerConfig cleanerConfig(ChronikProperties.Cleaner c, long maxHeapBytes) {
        String prefix = "chronik.log.cleaner.";
        double rate = Double.MAX_VALUE;
        if (c.getIoMaxBytesPerSecond() != null) {
            long bytes = c.getIoMaxBytesPerSecond().toBytes();
            if (bytes <= 0) {
                throw new InvalidConfigurationException(prefix + "io-max-bytes-per-second", c.getIoMaxBytesPerSecond(),
                        "must be positive (leave it unset for no limit)");
            }
            rate = bytes;
        }
        long dedupe = c.getDedupeBufferSize().toBytes();
        int threads = Math.max(1, c.getThreads());
        if (dedupe / threads < MIN_DEDUPE_BYTES_PER_THREAD) {
            throw new InvalidConfigurationException(prefix + "dedupe-buffer-size", c.getDedupeBufferSize(),
                    "must be at least 1MB per cleaner thread (" + prefix + "threads=" + c.getThreads() + ")");
        }
        if (dedupe > maxHeapBytes / 2) {
            throw new InvalidConfigurationException(prefix + "dedupe-buffer-size", c.getDedupeBufferSize(),
                    "must be at most half the maximum heap (" + maxHeapBytes / 2 / (1 << 20) + "MB)");
        }
        return new LogCleanerConfig(c.getThreads(), rate, dedupe, c.getBackoff().toMillis());
    }

    static Path checkDataDir(Path dir) {
        String key = "chronik.data-dir";
        try {
            Files.createDirectories(dir);
        } catch (IOException | RuntimeException e) {
            throw new InvalidConfigurationException(key, dir, "cannot create directory (" + e + ")");
        }
        if (!Files.isDirectory(dir)) {
            throw new InvalidConfigurationException(key, dir, "not a directory");
        }
        Path probe = dir.resolve(".write-probe");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException | RuntimeException e) {
            throw new InvalidConfigurationException(key, dir, "directory is not writable (" + e + ")");
        }
        return dir.toAbsolutePath().normalize();
    }

    private static int toInt(String key, long value, int min) {
        if (value < min || value > Integer.MAX_VALUE) {
            throw new InvalidConfigurationException(key, value, "must be between " + min + " and " + Integer.MAX_VALUE + " bytes");
        }
        return (int) value;
    }

    /** A positive duration that fits Kafka's int milliseconds. */
    private static long toIntMillis(String key, long millis) {
        if (millis > Integer.MAX_VALUE) {
            throw new InvalidConfigurationException(key, millis + "ms", "must be at most " + Integer.MAX_VALUE + "ms");
        }
        return positiveMillis(key, millis);
    }

    private static long positiveMillis(String key, long millis) {
        if (millis <= 0) {
            throw new InvalidConfigurationException(key, millis + "ms", "must be positive");
        }
        return millis;
    }
}
