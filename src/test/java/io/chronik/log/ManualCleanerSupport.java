package io.chronik.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A log manager without cleaner threads on a temp dir, for tests that run cleaner rounds themselves with
 * {@link LogCleaner#cleanOnce}; closed after each test.
 */
abstract class ManualCleanerSupport extends LogTestSupport {
    static final long HOUR = 3_600_000L;

    @TempDir
    Path dir;
    LogManager manager;

    /** Starts the manager; replaced segments are deleted after {@code fileDeleteDelayMs}. */
    LogManager startManual(long fileDeleteDelayMs) throws IOException {
        StorageConfig cfg = new StorageConfig(dir, SMALL, false, 1, 1000, 3_600_000, fileDeleteDelayMs,
                StorageConfig.DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                new LogCleanerConfig(0, Double.MAX_VALUE, 4 << 20, 15_000));
        manager = new LogManager(cfg, LogMetrics.NOOP, CleanerHook.NONE);
        manager.startup();
        return manager;
    }

    @AfterEach
    void closeManager() {
        if (manager != null) {
            manager.close();
        }
    }
}
