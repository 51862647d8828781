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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading the offset log of earlier releases: live offsets exactly, deletions, a torn or corrupt tail. */
class OffsetStoreTest {
    @TempDir
    Path dataDir;

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    @Test
    void theLiveOffsetsAndTheirMetadataAreReadExactly() throws Exception {
        assertThat(OffsetStore.read(dataDir)).isEmpty();
        new LegacyOffsetLog(dataDir)
                .commit("g", P0, new Committed(4, 3, "old", 999))
                .commit("g", P0, new Committed(5, 3, "héllo", 1000))
                .commit("g", P1, new Committed(7, -1, null, 1001))
                .commit("g2", P0, new Committed(1, -1, "", 1002))
                .delete("g2", P0);
        assertThat(OffsetStore.read(dataDir)).isEqualTo(Map.of("g", Map.of(
                P0, new Committed(5, 3, "héllo", 1000), P1, new Committed(7, -1, null, 1001))));
    }

    @Test
    void aTornOrCorruptTailEndsTheReadAndTheFileIsLeftAsItIs() throws Exception {
        LegacyOffsetLog legacy = new LegacyOffsetLog(dataDir)
                .commit("g", P0, new Committed(5, 0, "a", 1))
                .commit("g", P1, new Committed(6, 0, "b", 2));
        // A half-written record (torn write) after the intact ones.
        try (FileChannel ch = FileChannel.open(legacy.file(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[]{0, 0, 0, 40, 1, 2, 3, 4, 1, 0}));
        }
        long size = Files.size(legacy.file());
        assertThat(OffsetStore.read(dataDir)).isEqualTo(Map.of("g", Map.of(
                P0, new Committed(5, 0, "a", 1), P1, new Committed(6, 0, "b", 2))));
        assertThat(Files.size(legacy.file())).isEqualTo(size);

        // A record whose checksum does not match ends the read there too.
        Path corrupt = Files.createTempDirectory(dataDir, "corrupt");
        LegacyOffsetLog other = new LegacyOffsetLog(corrupt).commit("g", P0, new Committed(5, 0, "a", 1))
                .commit("g", P1, new Committed(6, 0, "b", 2));
        byte[] bytes = Files.readAllBytes(other.file());
        bytes[bytes.length - 1] ^= 1;
        Files.write(other.file(), bytes);
        assertThat(OffsetStore.read(corrupt)).isEqualTo(Map.of("g", Map.of(P0, new Committed(5, 0, "a", 1))));
    }
}
