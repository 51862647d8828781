package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class GroupCommitTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void acksAllAppendsCompleteAfterGroupCommit() throws Exception {
        AtomicLong fsyncedRecords = new AtomicLong();
        AtomicInteger rounds = new AtomicInteger();
        AtomicLong appendedRecords = new AtomicLong();
        LogMetrics metrics = new LogMetrics() {
            @Override
            public void appendCompleted(String topic, long nanos, int records, int bytes) {
                appendedRecords.addAndGet(records);
            }

            @Override
            public void fsyncCompleted(long nanos, long records) {
                rounds.incrementAndGet();
                fsyncedRecords.addAndGet(records);
            }
        };
        LogManager manager = new LogManager(storage(dir, SMALL, true), metrics);
        manager.startup();
        try {
            manager.createTopic("durable", 4, Map.of(), false);
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                Log log = manager.log("durable", i % 4).orElseThrow();
                futures.add(log.append(TestBatches.batch(2, i), true));
            }
            for (CompletableFuture<AppendResult> f : futures) {
                assertThat(await(f).error()).isEqualTo(LogError.NONE);
            }
            assertThat(fsyncedRecords.get()).isEqualTo(800);
            assertThat(appendedRecords.get()).isEqualTo(800);
            assertThat(rounds.get()).isBetween(1, 400);
            // acks=1 does not wait for (or count in) an fsync.
            assertThat(await(manager.log("durable", 0).orElseThrow().append(TestBatches.batch(1, 1), false)).error())
                    .isEqualTo(LogError.NONE);
            assertThat(fsyncedRecords.get()).isEqualTo(800);
        } finally {
            manager.close();
        }
    }
}
