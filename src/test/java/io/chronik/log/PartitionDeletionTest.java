package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One partition's log dropped while its topic stays (a replica moved away), and opened empty again when it returns. */
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
}
