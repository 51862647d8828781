package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One partition's log dropped while its topic stays (a replica moved away), and opened empty again when it returns;
 * a cluster topic opened with only this broker's replicas.
 */
@Timeout(60)
class PartitionDeletionTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void aDroppedPartitionLosesItsDirectoryAndComesBackEmpty() throws Exception {
        try (LogManager manager = start(dir)) {
            manager.createTopic("moving", 2, Map.of(), false);
            appendOk(manager.log("moving", 1).orElseThrow(), TestBatches.batch(3, 1));
            appendOk(manager.log("moving", 0).orElseThrow(), TestBatches.batch(2, 1));

            manager.deletePartition("moving", 1);
            assertThat(manager.log("moving", 1)).isEmpty();
            assertThat(dir.resolve("moving-1")).doesNotExist();
            assertThat(manager.log("moving", 0).orElseThrow().logEndOffset()).isEqualTo(2);
            assertThat(manager.topic("moving").orElseThrow().partitions()).isEqualTo(2);
            manager.deletePartition("moving", 1); // already gone: nothing happens

            manager.ensurePartition("moving", 1);
            assertThat(manager.log("moving", 1).orElseThrow().logEndOffset()).isZero();
            assertThat(dir.resolve("moving-1")).isDirectory();
            manager.ensurePartition("moving", 1); // present: kept as it is
            appendOk(manager.log("moving", 1).orElseThrow(), TestBatches.batch(1, 1));
            assertThat(manager.log("moving", 1).orElseThrow().logEndOffset()).isEqualTo(1);
        }
    }

    @Test
    void aClusterTopicOpensOnlyTheHostedPartitionsAlsoWhenItGrows() throws Exception {
        try (LogManager manager = start(dir)) {
            java.util.UUID id = java.util.UUID.randomUUID();
            TopicInfo topic = manager.ensureTopic(id, "spread", 3, Map.of(), p -> p == 1);
            assertThat(topic.partitions()).isEqualTo(3);
            assertThat(manager.log("spread", 1)).isPresent();
            assertThat(manager.log("spread", 0)).isEmpty();
            assertThat(manager.log("spread", 2)).isEmpty();
            assertThat(dir.resolve("spread-0")).doesNotExist();
            assertThat(dir.resolve("spread-2")).doesNotExist();

            manager.ensureTopic(id, "spread", 5, Map.of(), p -> p == 1 || p == 4);
            assertThat(manager.topic("spread").orElseThrow().partitions()).isEqualTo(5);
            assertThat(manager.log("spread", 3)).isEmpty();
            assertThat(dir.resolve("spread-3")).doesNotExist();
            assertThat(manager.log("spread", 4)).isPresent();

            // Becoming a replica later opens the log then.
            manager.ensurePartition("spread", 0);
            assertThat(dir.resolve("spread-0")).isDirectory();

            // Without a choice (a broker running alone), every partition has a log, as always.
            manager.ensureTopic(java.util.UUID.randomUUID(), "alone", 2, Map.of());
            assertThat(manager.log("alone", 0)).isPresent();
            assertThat(manager.log("alone", 1)).isPresent();
        }
    }

    @Test
    void aClusterBrokerRestartsWithoutOpeningOtherBrokersPartitionsAndALoneOneWithAll() throws Exception {
        java.util.UUID id = java.util.UUID.randomUUID();
        try (LogManager manager = start(dir)) {
            manager.ensureTopic(id, "spread", 3, Map.of(), p -> p == 1);
            appendOk(manager.log("spread", 1).orElseThrow(), TestBatches.batch(2, 1));
        }
        try (LogManager restarted = new LogManager(storage(dir, SMALL, false), LogMetrics.NOOP)) {
            restarted.startup(true);
            assertThat(restarted.topic("spread").orElseThrow().partitions()).isEqualTo(3);
            assertThat(restarted.log("spread", 1).orElseThrow().logEndOffset()).isEqualTo(2);
            assertThat(restarted.log("spread", 0)).isEmpty();
            assertThat(dir.resolve("spread-0")).doesNotExist();
            assertThat(dir.resolve("spread-2")).doesNotExist();
        }
        // Alone, every stored partition is opened, as always (a missing directory comes back empty).
        try (LogManager alone = start(dir)) {
            assertThat(alone.log("spread", 0).orElseThrow().logEndOffset()).isZero();
            assertThat(alone.log("spread", 1).orElseThrow().logEndOffset()).isEqualTo(2);
        }
    }
}
