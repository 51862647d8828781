package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The durable offset log: replay, torn and corrupt tails, compaction, expiry. */
class OffsetStoreTest {
    @TempDir
    Path dataDir;

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    private Path logFile() {
        return dataDir.resolve("__chronik_offsets").resolve("offsets.log");
    }

    @Test
    void offsetsAndMetadataSurviveAReopenExactly() throws Exception {
        try (OffsetStore store = new OffsetStore(dataDir)) {
            store.commit("g", Map.of(P0, new Committed(5, 3, "héllo", 1000), P1, new Committed(7, -1, null, 1001)))
                    .get(10, TimeUnit.SECONDS);
            store.commit("g2", Map.of(P0, new Committed(1, -1, "", 1002))).get(10, TimeUnit.SECONDS);
            store.delete("g2", List.of(P0)).get(10, TimeUnit.SECONDS);
        }
        try (OffsetStore store = new OffsetStore(dataDir)) {
            assertThat(store.offsets("g")).containsEntry(P0, new Committed(5, 3, "héllo", 1000))
                    .containsEntry(P1, new Committed(7, -1, null, 1001));
            assertThat(store.groups()).containsExactly("g");
            assertThat(store.allOffsets()).containsOnlyKeys("g");
        }
    }

    @Test
    void aTornOrCorruptTailIsCutOffAndEverythingBeforeItKept() throws Exception {
        try (OffsetStore store = new OffsetStore(dataDir)) {
            store.commit("g", Map.of(P0, new Committed(5, 0, "a", 1))).get(10, TimeUnit.SECONDS);
            store.commit("g", Map.of(P1, new Committed(6, 0, "b", 2))).get(10, TimeUnit.SECONDS);
        }
        long intact = Files.size(logFile());
        // A half-written record (torn write) after the intact ones.
        try (FileChannel ch = FileChannel.open(logFile(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[]{0, 0, 0, 40, 1, 2, 3, 4, 1, 0}));
        }
        try (OffsetStore store = new OffsetStore(dataDir)) {
            assertThat(store.offsets("g")).containsOnlyKeys(P0, P1);
            store.commit("g", Map.of(P1, new Committed(9, 0, "c", 3))).get(10, TimeUnit.SECONDS);
        }
        try (OffsetStore store = new OffsetStore(dataDir)) {
            assertThat(store.offsets("g").get(P1).offset()).isEqualTo(9);
        }
        // A flipped byte in the last record: its CRC fails, so it (and only it) is dropped.
        byte[] bytes = Files.readAllBytes(logFile());
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(logFile(), bytes);
        try (OffsetStore store = new OffsetStore(dataDir)) {
            assertThat(store.offsets("g").get(P1).offset()).isEqualTo(6);
            assertThat(store.offsets("g").get(P0).offset()).isEqualTo(5);
            assertThat(store.logSize()).isEqualTo(intact);
        }
    }

    @Test
    void theLogIsCompactedAsItGrowsAndKeepsOnlyLiveOffsets() throws Exception {
        try (OffsetStore store = new OffsetStore(dataDir, 16 * 1024)) {
            CompletableFuture<?> last = null;
            for (int i = 0; i < 5000; i++) {
                last = store.commit("g" + (i % 5), Map.of(new TopicPartition("t", i % 3), new Committed(i, 0, "m" + i, i)));
            }
            last.get(30, TimeUnit.SECONDS);
            // 15 live offsets of ~40 bytes each; without compaction the log would be ~200 KB. Compaction follows the
            // write that crosses the threshold, just after its commits are acknowledged.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (store.logSize() >= 64 * 1024) {
                assertThat(System.nanoTime()).as("log compacted").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(store.offsets("g4").get(new TopicPartition("t", 4999 % 3)).offset()).isEqualTo(4999);
        }
        try (OffsetStore store = new OffsetStore(dataDir)) {
            Map<String, Integer> perGroup = new HashMap<>();
            store.allOffsets().forEach((g, m) -> perGroup.put(g, m.size()));
            assertThat(perGroup).hasSize(5).allSatisfy((g, n) -> assertThat(n).isEqualTo(3));
            assertThat(store.offsets("g4").get(new TopicPartition("t", 4999 % 3))).isEqualTo(new Committed(4999, 0, "m4999", 4999));
        }
        assertThat(Files.exists(dataDir.resolve("__chronik_offsets").resolve("offsets.log.tmp"))).isFalse();
    }

    @Test
    void offsetsOfAGroupWithoutMembersExpireAfterTheRetention() throws Exception {
        OffsetStore store = new OffsetStore(dataDir);
        try (GroupCoordinator coordinator = new GroupCoordinator(store, 0, 1500)) {
            store.commit("idle", Map.of(P0, new Committed(1, 0, "", System.currentTimeMillis()))).get(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!store.offsets("idle").isEmpty()) {
                assertThat(System.nanoTime()).as("offsets expire").isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(coordinator.list()).noneMatch(g -> g.groupId().equals("idle"));
        }
    }
}
