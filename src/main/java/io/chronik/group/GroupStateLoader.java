package io.chronik.group;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Hands the membership records of a {@code __consumer_offsets} partition this broker has just loaded to
 * {@link ClassicGroupState} and {@link ConsumerGroupState}, which rebuild its groups from them (and to the writer,
 * which compares later writes with them), and drops a partition's groups when this broker stops serving it.
 */
final class GroupStateLoader implements GroupStateStore.Listener {
    private static final Logger log = LoggerFactory.getLogger(GroupStateLoader.class);

    private final GroupStateStore store;
    private final GroupStateWriter writer;
    private final ClassicGroupState classicGroups;
    private final ConsumerGroupState consumerGroups;

    GroupStateLoader(GroupStateStore store, GroupStateWriter writer, ClassicGroupState classicGroups,
                     ConsumerGroupState consumerGroups) {
        this.store = store;
        this.writer = writer;
        this.classicGroups = classicGroups;
        this.consumerGroups = consumerGroups;
    }

    /** One group's records of a loaded partition. */
    private static final class Loaded {
        final Map<ByteBuffer, byte[]> records = new HashMap<>();
        GroupRecords.ClassicGroupValue classic;
        GroupRecords.ConsumerGroupValue consumer;
        final Map<String, GroupRecords.ConsumerMemberValue> members = new HashMap<>();
    }

    @Override
    public void loaded(int partition, Map<ByteBuffer, byte[]> records) {
        Map<String, Loaded> groups = new HashMap<>();
        for (Map.Entry<ByteBuffer, byte[]> record : records.entrySet()) {
            try {
                GroupRecords.Key key = GroupRecords.decodeKey(record.getKey());
                Loaded group = groups.computeIfAbsent(key.group(), g -> new Loaded());
                ByteBuffer value = ByteBuffer.wrap(record.getValue());
                switch (key.kind()) {
                    case GroupRecords.CLASSIC_GROUP_KEY -> group.classic = GroupRecords.classicGroup(value);
                    case GroupRecords.CONSUMER_GROUP_KEY -> group.consumer = GroupRecords.consumerGroup(value);
                    default -> group.members.put(key.memberId(), GroupRecords.consumerMember(value));
                }
                group.records.put(record.getKey(), record.getValue());
            } catch (IllegalArgumentException e) {
                log.warn("Skipping an unreadable group record in {}-{}: {}", OffsetsTopicStore.TOPIC, partition,
                        e.getMessage());
            }
        }
        int classic = 0;
        int consumer = 0;
        for (Map.Entry<String, Loaded> entry : groups.entrySet()) {
            String groupId = entry.getKey();
            Loaded group = entry.getValue();
            writer.loaded(groupId, group.records);
            if (group.classic != null) {
                classicGroups.load(groupId, group.classic);
                classic++;
            }
            if (group.consumer != null || !group.members.isEmpty()) {
                consumerGroups.load(groupId, group.consumer, group.members);
                consumer++;
            }
        }
        if (classic + consumer > 0) {
            log.info("Loaded {} classic and {} consumer groups of {}-{}", classic, consumer, OffsetsTopicStore.TOPIC,
                    partition);
        }
    }

    @Override
    public void unloaded(int partition) {
        Set<String> ids = new HashSet<>(classicGroups.groupIds());
        ids.addAll(consumerGroups.groupIds());
        ids.removeIf(id -> store.partitionOf(id) != partition);
        if (ids.isEmpty()) {
            return;
        }
        classicGroups.unload(ids::contains);
        consumerGroups.unload(ids::contains);
        ids.forEach(writer::forget);
    }
}
