package io.chronik.group;

import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ConsumerGroupCoordinator.Tp;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The record format of group membership in __consumer_offsets, and the writer that only writes what changed. */
class GroupRecordsTest {
    private static final Uuid TOPIC = Uuid.randomUuid();

    @Test
    void aClassicGroupRoundTripsWithItsMembersAndAssignments() {
        var member = new GroupRecords.ClassicMember("m-1", "instance-ü", "client", "/10.0.0.1", 10_000, 30_000,
                List.of(new Protocol("range", new byte[]{1, 2}), new Protocol("cooperative-sticky", new byte[0])),
                new byte[]{9, 8, 7});
        var dynamic = new GroupRecords.ClassicMember("m-2", null, "client", "/10.0.0.2", 45_000, 300_000, List.of(), null);
        var group = new GroupRecords.ClassicGroupValue("consumer", "range", 7, "m-1", 1_700_000_000_000L,
                List.of(member, dynamic));
        byte[] key = GroupRecords.classicGroupKey("group-é");
        assertThat(GroupRecords.decodeKey(ByteBuffer.wrap(key)))
                .isEqualTo(new GroupRecords.Key(GroupRecords.CLASSIC_GROUP_KEY, "group-é", null));
        var decoded = GroupRecords.classicGroup(ByteBuffer.wrap(GroupRecords.value(group)));
        assertThat(decoded.protocolType()).isEqualTo("consumer");
        assertThat(decoded.protocol()).isEqualTo("range");
        assertThat(decoded.generation()).isEqualTo(7);
        assertThat(decoded.leader()).isEqualTo("m-1");
        assertThat(decoded.stateTimestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(decoded.members()).hasSize(2);
        var first = decoded.members().get(0);
        assertThat(first.memberId()).isEqualTo("m-1");
        assertThat(first.groupInstanceId()).isEqualTo("instance-ü");
        assertThat(first.clientHost()).isEqualTo("/10.0.0.1");
        assertThat(first.sessionTimeoutMs()).isEqualTo(10_000);
        assertThat(first.rebalanceTimeoutMs()).isEqualTo(30_000);
        assertThat(first.protocols()).extracting(Protocol::name).containsExactly("range", "cooperative-sticky");
        assertThat(first.protocols().get(0).metadata()).containsExactly(1, 2);
        assertThat(first.assignment()).containsExactly(9, 8, 7);
        assertThat(decoded.members().get(1).groupInstanceId()).isNull();
        assertThat(decoded.members().get(1).assignment()).isNull();
    }

    @Test
    void anEmptyClassicGroupRoundTrips() {
        var empty = new GroupRecords.ClassicGroupValue("consumer", null, 3, null, 42, List.of());
        assertThat(GroupRecords.classicGroup(ByteBuffer.wrap(GroupRecords.value(empty)))).isEqualTo(empty);
    }

    @Test
    void consumerGroupAndMemberRecordsRoundTrip() {
        var group = new GroupRecords.ConsumerGroupValue(5, 5, "range", "orders:abc:6;");
        assertThat(GroupRecords.consumerGroup(ByteBuffer.wrap(GroupRecords.value(group)))).isEqualTo(group);
        var member = new GroupRecords.ConsumerMemberValue("instance", "rack-a", "client", "/host", List.of("a", "b"),
                "orders-.*", "uniform", 60_000, 5, 4, true, partitions(0, 1), partitions(2), partitions(0, 1, 3));
        assertThat(GroupRecords.consumerMember(ByteBuffer.wrap(GroupRecords.value(member)))).isEqualTo(member);
        var bare = new GroupRecords.ConsumerMemberValue(null, null, null, null, List.of(), null, null, 0, 0, -1, false,
                Set.of(), Set.of(), Set.of());
        assertThat(GroupRecords.consumerMember(ByteBuffer.wrap(GroupRecords.value(bare)))).isEqualTo(bare);
        assertThat(GroupRecords.decodeKey(ByteBuffer.wrap(GroupRecords.consumerMemberKey("g", "m"))))
                .isEqualTo(new GroupRecords.Key(GroupRecords.CONSUMER_MEMBER_KEY, "g", "m"));
        assertThat(GroupRecords.decodeKey(ByteBuffer.wrap(GroupRecords.consumerGroupKey("g"))))
                .isEqualTo(new GroupRecords.Key(GroupRecords.CONSUMER_GROUP_KEY, "g", null));
    }

    @Test
    void keysNameOneGroupOrMemberAndAreToldApartFromOffsetCommits() {
        assertThat(GroupRecords.consumerMemberKey("g", "m1")).isNotEqualTo(GroupRecords.consumerMemberKey("g", "m2"));
        assertThat(GroupRecords.classicGroupKey("g")).isEqualTo(GroupRecords.classicGroupKey("g"));
        assertThat(GroupRecords.isGroupRecord(ByteBuffer.wrap(GroupRecords.classicGroupKey("g")))).isTrue();
        assertThat(GroupRecords.isGroupRecord(ByteBuffer.wrap(GroupRecords.consumerGroupKey("g")))).isTrue();
        assertThat(GroupRecords.isGroupRecord(ByteBuffer.wrap(GroupRecords.consumerMemberKey("g", "m")))).isTrue();
        assertThat(GroupRecords.isGroupRecord(ByteBuffer.wrap(OffsetRecords.key("g", new TopicPartition("t", 0))))).isFalse();
        // The offsets' reader skips membership records, as it skips every key kind it does not know.
        assertThat(OffsetRecords.decode(ByteBuffer.wrap(GroupRecords.classicGroupKey("g")), ByteBuffer.wrap(new byte[]{0}))).isNull();
    }

    @Test
    void unknownValueVersionsAndTruncatedValuesAreRefused() {
        byte[] value = GroupRecords.value(new GroupRecords.ConsumerGroupValue(1, 1, "uniform", ""));
        byte[] future = value.clone();
        future[1] = 9;
        assertThatThrownBy(() -> GroupRecords.consumerGroup(ByteBuffer.wrap(future)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 9");
        byte[] truncated = java.util.Arrays.copyOf(value, value.length - 3);
        assertThatThrownBy(() -> GroupRecords.consumerGroup(ByteBuffer.wrap(truncated)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWriterWritesOnlyWhatChangedAndTombstonesWhatIsGone() {
        List<List<byte[][]>> writes = new ArrayList<>();
        CompletableFuture<Void>[] next = new CompletableFuture[]{CompletableFuture.completedFuture(null)};
        GroupStateStore store = new MemoryGroupStateStore() {
            @Override
            public CompletableFuture<Void> writeGroupRecords(String groupId, List<byte[][]> records) {
                writes.add(records);
                return next[0];
            }
        };
        GroupStateWriter writer = new GroupStateWriter(store);
        ByteBuffer group = ByteBuffer.wrap(GroupRecords.consumerGroupKey("g"));
        ByteBuffer m1 = ByteBuffer.wrap(GroupRecords.consumerMemberKey("g", "m1"));
        ByteBuffer m2 = ByteBuffer.wrap(GroupRecords.consumerMemberKey("g", "m2"));
        writer.write("g", map(group, new byte[]{1}, m1, new byte[]{1}, m2, new byte[]{1}), true).join();
        assertThat(writes).hasSize(1);
        assertThat(writes.get(0)).hasSize(3);
        // Nothing changed: nothing written.
        writer.write("g", map(group, new byte[]{1}, m1, new byte[]{1}), false).join();
        assertThat(writes).hasSize(1);
        // One member changed.
        writer.write("g", map(group, new byte[]{1}, m1, new byte[]{2}), false).join();
        assertThat(writes).hasSize(2);
        assertThat(writes.get(1)).hasSize(1);
        assertThat(writes.get(1).get(0)[0]).isEqualTo(m1.array());
        // The whole group without m2: m2 is tombstoned.
        writer.write("g", map(group, new byte[]{1}, m1, new byte[]{2}), true).join();
        assertThat(writes).hasSize(3);
        assertThat(writes.get(2)).hasSize(1);
        assertThat(writes.get(2).get(0)[0]).isEqualTo(m2.array());
        assertThat(writes.get(2).get(0)[1]).isNull();
        // A failed write is written again next time, even unchanged.
        next[0] = CompletableFuture.failedFuture(new org.apache.kafka.common.errors.NotEnoughReplicasException("x"));
        assertThat(writer.write("g", map(group, new byte[]{3}), false)).isCompletedExceptionally();
        next[0] = CompletableFuture.completedFuture(null);
        writer.write("g", map(group, new byte[]{3}), false).join();
        assertThat(writes).hasSize(5);
        // The group removed: a tombstone for each key it has.
        writer.write("g", Map.of(), true).join();
        assertThat(writes).hasSize(6);
        assertThat(writes.get(5)).hasSize(2).allSatisfy(r -> assertThat(r[1]).isNull());
        writer.write("g", Map.of(), true).join();
        assertThat(writes).hasSize(6);
        // Loaded records are what later writes compare with.
        writer.loaded("h", Map.of(ByteBuffer.wrap(GroupRecords.classicGroupKey("h")), new byte[]{4}));
        writer.write("h", map(ByteBuffer.wrap(GroupRecords.classicGroupKey("h")), new byte[]{4}), false).join();
        assertThat(writes).hasSize(6);
    }

    private static Map<ByteBuffer, byte[]> map(Object... keyValues) {
        Map<ByteBuffer, byte[]> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((ByteBuffer) keyValues[i], (byte[]) keyValues[i + 1]);
        }
        return map;
    }

    private static Set<Tp> partitions(int... ps) {
        Set<Tp> set = new LinkedHashSet<>();
        for (int p : ps) {
            set.add(new Tp(TOPIC, p));
        }
        return set;
    }
}
