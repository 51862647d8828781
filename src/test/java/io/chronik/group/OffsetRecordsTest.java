package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The record format of committed offsets in __consumer_offsets. */
class OffsetRecordsTest {
    private static final TopicPartition TP = new TopicPartition("orders-é", 7);

    @Test
    void aCommitRoundTrips() {
        Committed committed = new Committed(42, 3, "meta-ü", 1_700_000_000_000L);
        OffsetRecords.Entry entry = OffsetRecords.decode(ByteBuffer.wrap(OffsetRecords.key("group-1", TP)),
                ByteBuffer.wrap(OffsetRecords.value(committed)));
        assertThat(entry).isEqualTo(new OffsetRecords.Entry("group-1", TP, committed));
    }

    @Test
    void nullMetadataAndNoLeaderEpochRoundTrip() {
        Committed committed = new Committed(0, -1, null, 5);
        OffsetRecords.Entry entry = OffsetRecords.decode(ByteBuffer.wrap(OffsetRecords.key("", TP)),
                ByteBuffer.wrap(OffsetRecords.value(committed)));
        assertThat(entry.committed()).isEqualTo(committed);
        assertThat(entry.group()).isEmpty();
    }

    @Test
    void aRecordWithoutValueIsADeletion() {
        OffsetRecords.Entry entry = OffsetRecords.decode(ByteBuffer.wrap(OffsetRecords.key("g", TP)), null);
        assertThat(entry).isEqualTo(new OffsetRecords.Entry("g", TP, null));
    }

    @Test
    void theKeyStartsWithItsVersionAndNamesGroupAndPartition() {
        byte[] key = OffsetRecords.key("g", new TopicPartition("t", 1));
        // version 0, "g", "t", partition 1
        assertThat(key).containsExactly(0, 0, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 1);
        assertThat(OffsetRecords.key("g", new TopicPartition("t", 1))).isEqualTo(key);
    }

    @Test
    void recordsOfAnotherKindAreSkipped() {
        byte[] key = OffsetRecords.key("g", TP);
        key[1] = 2; // a group metadata key, say: not known to this version
        assertThat(OffsetRecords.decode(ByteBuffer.wrap(key), null)).isNull();
    }

    @Test
    void garbageIsRefused() {
        byte[] key = OffsetRecords.key("group", TP);
        assertThatThrownBy(() -> OffsetRecords.decode(ByteBuffer.wrap(Arrays.copyOf(key, key.length - 2)), null))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] value = OffsetRecords.value(new Committed(1, 1, "m", 1));
        value[1] = 9;
        assertThatThrownBy(() -> OffsetRecords.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(value)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OffsetRecords.decode(null, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
