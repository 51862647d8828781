package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class OffsetMapTest {
    private static ByteBuffer key(String k) {
        return ByteBuffer.wrap(k.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void keepsTheLatestOffsetPerKeyWithinItsMemory() {
        OffsetMap map = new OffsetMap(24 * 1000);
        assertThat(map.slots()).isEqualTo(997); // the largest prime at most 1000
        for (int i = 0; i < 800; i++) {
            map.put(key("key-" + (i % 400)), i);
        }
        assertThat(map.size()).isEqualTo(400);
        assertThat(map.latestOffset()).isEqualTo(799);
        for (int k = 0; k < 400; k++) {
            assertThat(map.get(key("key-" + k))).isEqualTo(400 + k);
        }
        assertThat(map.get(key("absent"))).isEqualTo(-1);
        ByteBuffer shared = key("xkey-7").position(1);
        map.put(shared, 5000);
        assertThat(shared.position()).as("the key buffer is not consumed").isEqualTo(1);
        assertThat(map.get(key("key-7"))).isEqualTo(5000);
        assertThat(map.averageProbes()).isLessThan(3);

        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.latestOffset()).isEqualTo(-1);
        assertThat(map.get(key("key-1"))).isEqualTo(-1);
        map.updateLatestOffset(42);
        assertThat(map.latestOffset()).isEqualTo(42);
    }

    @Test
    void fillsUpToItsLoadFactorWithoutLosingEntries() {
        OffsetMap map = new OffsetMap(24 * 10_000);
        int max = (int) (map.slots() * Cleaner.LOAD_FACTOR);
        for (int i = 0; i < max; i++) {
            map.put(key("k" + i), i);
        }
        for (int i = 0; i < max; i++) {
            assertThat(map.get(key("k" + i))).isEqualTo(i);
        }
        assertThat(map.utilization()).isGreaterThan(0.89);
    }
}
