package io.chronik.replica;

import io.chronik.cluster.CommandResult;
import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.log.Log;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.LogMetrics;
import io.chronik.log.StorageConfig;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's high watermark over a real log: the smallest log end across the ISR, and while an ISR expansion is in
 * flight across the proposed members too (the maximal ISR), so a replica about to join holds every record
 * acknowledged from the proposal on.
 */
class PartitionHighWatermarkTest {
    @TempDir
    Path dir;

    @Test
    void whileAnExpansionIsInFlightTheJoiningReplicaHoldsTheHighWatermarkBack() throws Exception {
        LogConfig defaults = new LogConfig(1 << 20, 7L * 24 * 3600 * 1000, -1, -1, 1024 * 1024 + 12, 4096, false);
        LogManager logs = new LogManager(new StorageConfig(dir, defaults, false, 2, 1000, 3_600_000, 0), LogMetrics.NOOP);
        logs.startup();
        try {
            logs.createTopic("hw", 1, Map.of(), false);
            Log log = logs.log("hw", 0).orElseThrow();
            List<ChangePartition> proposals = new ArrayList<>();
            // The controller never answers: the expansion stays in flight.
            Partition partition = new Partition(UUID.randomUUID(), "hw", 0, log, 1,
                    change -> {
                        proposals.add(change);
                        return new CompletableFuture<CommandResult>();
                    }, id -> true);
            assertThat(partition.update(new PartitionRegistration(List.of(1, 2, 3), List.of(1, 2), 1, 0, 0), 1, 0))
                    .isEqualTo(Partition.Transition.BECOME_LEADER);
            log.becomeLeader(0).get(10, TimeUnit.SECONDS);
            partition.leaderEpochStarted(0);

            append(log, 5);
            partition.followerFetched(2, 5, 1);
            assertThat(log.highWatermark()).isEqualTo(5);

            // Replica 3 catches up with the high watermark: the leader proposes adding it.
            partition.followerFetched(3, 5, 2);
            assertThat(proposals).singleElement().satisfies(p -> assertThat(p.isr()).containsExactly(1, 2, 3));

            // Acknowledged from now on only once replica 3 holds it too, though the committed ISR is still [1, 2].
            append(log, 4);
            partition.followerFetched(2, 9, 3);
            assertThat(log.highWatermark()).isEqualTo(5);
            partition.followerFetched(3, 9, 4);
            assertThat(log.highWatermark()).isEqualTo(9);
        } finally {
            logs.close();
        }
    }

    private static void append(Log log, int count) throws Exception {
        SimpleRecord[] records = new SimpleRecord[count];
        for (int i = 0; i < count; i++) {
            records[i] = new SimpleRecord(0L, null, ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(log.append(MemoryRecords.withRecords(Compression.NONE, records).buffer(), false).get(10, TimeUnit.SECONDS)
                .error().name()).isEqualTo("NONE");
    }
}
