package io.chronik.group;

import io.chronik.testing.TestBroker;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Invalid chronik.group.* settings stop startup, naming the setting. */
class GroupConfigTest {
    @TempDir
    Path dataDir;

    @ParameterizedTest
    @CsvSource({"chronik.group.initial-rebalance-delay,-1s,initialRebalanceDelay", "chronik.group.offsets-retention,0s,offsetsRetention",
            "chronik.group.max-session-timeout,31m,maxSessionTimeout", "chronik.group.min-session-timeout,31m,minSessionTimeout",
            "chronik.group.offsets-topic-partitions,0,offsetsTopicPartitions"})
    void invalidGroupSettingsStopStartup(String key, String value, String field) {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir, Map.of(key, value)).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains(field);
    }

    @org.junit.jupiter.api.Test
    void aMinimumSessionTimeoutAboveTheMaximumStopsStartup() {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir,
                Map.of("chronik.group.min-session-timeout", "10m", "chronik.group.max-session-timeout", "5m")).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains("chronik.group.min-session-timeout", "chronik.group.max-session-timeout");
    }
}
