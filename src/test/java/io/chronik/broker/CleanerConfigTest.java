package io.chronik.broker;

import io.chronik.testing.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Invalid chronik.log.cleaner.* settings stop startup, naming the setting. */
class CleanerConfigTest {
    @TempDir
    Path dataDir;

    @ParameterizedTest
    @CsvSource({
            "chronik.log.cleaner.threads,-1,chronik.log.cleaner.threads",
            "chronik.log.cleaner.threads,65,chronik.log.cleaner.threads",
            "chronik.log.cleaner.backoff,0s,chronik.log.cleaner.backoff",
            "chronik.log.cleaner.io-max-bytes-per-second,0,chronik.log.cleaner.io-max-bytes-per-second",
            "chronik.log.cleaner.dedupe-buffer-size,512KB,chronik.log.cleaner.dedupe-buffer-size",
            "chronik.log.cleaner.dedupe-buffer-size,64GB,chronik.log.cleaner.dedupe-buffer-size"})
    void invalidCleanerSettingsStopStartup(String key, String value, String named) {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir, Map.of(key, value)).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains(named);
    }

    @Test
    void threeThreadsNeedAtLeastThreeMegabytesOfDedupeBuffer() {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir, Map.of("chronik.log.cleaner.threads", "3",
                "chronik.log.cleaner.dedupe-buffer-size", "2MB")).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains("chronik.log.cleaner.dedupe-buffer-size", "chronik.log.cleaner.threads=3");
    }
}
