package io.chronik.group;

import io.chronik.group.ConsumerGroup.Member;
import io.chronik.group.ConsumerGroupCoordinator.Tp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static io.chronik.group.ConsumerGroupCoordinator.cancel;

/**
 * The consumer-protocol (KIP-848) groups this broker serves and their durable side. A group is stored as one record
 * of its epochs and one per member ({@link GroupRecords}), written behind each change with only what changed; a
 * coordinator that loads the group's partition rebuilds the group from them ({@link #load}), and one that stops
 * serving the partition drops its groups ({@link #unload}). The protocol is {@link ConsumerGroupCoordinator}'s.
 */
final class ConsumerGroupState {
    private static final Logger log = LoggerFactory.getLogger(ConsumerGroupState.class);
    private final Map<String, ConsumerGroup> groups = new ConcurrentHashMap<>();
    private final GroupStateWriter writer;
    private final ScheduledExecutorService timers;
    /** Starts the session and revocation deadlines of a group just rebuilt from its records (under its monitor). */
    private final Consumer<ConsumerGroup> startDeadlines;

    ConsumerGroupState(GroupStateWriter writer, ScheduledExecutorService timers, Consumer<ConsumerGroup> startDeadlines) {
        this.writer = writer;
        this.timers = timers;
        this.startDeadlines = startDeadlines;
    }

    /** The group, created when there is none. */
    ConsumerGroup getOrCreate(String groupId) {
        return groups.computeIfAbsent(groupId, ConsumerGroup::new);
    }

    /** The group, or null when there is no such consumer group in memory. */
    ConsumerGroup get(String groupId) {
        return groups.get(groupId);
    }

    boolean contains(String groupId) {
        return groups.containsKey(groupId);
    }

    List<String> groupIds() {
        return new ArrayList<>(groups.keySet());
    }

    /** Forgets the group and removes its records; the caller holds the group's monitor. */
    void delete(ConsumerGroup group) {
        groups.remove(group.groupId, group);
        writer.write(group.groupId, Map.of(), true);
    }

    /**
     * Writes what changed of the group (caller holds its monitor): its epochs, and the records of the named members
     * (a tombstone for one that is gone), or of every member when the target assignment moved or members left.
     * Nothing for a group that was never written and has no members.
     */
    CompletableFuture<Void> persist(ConsumerGroup group, String... memberIds) {
        if (groups.get(group.groupId) != group || (group.epoch == 0 && group.members.isEmpty())) {
            return CompletableFuture.completedFuture(null);
        }
        Map<ByteBuffer, byte[]> update = new HashMap<>();
        update.put(ByteBuffer.wrap(GroupRecords.consumerGroupKey(group.groupId)), GroupRecords.value(groupRecord(group)));
        boolean complete = group.allDirty;
        group.allDirty = false;
        if (complete) {
            group.members.values().forEach(m -> update.put(memberKey(group, m.memberId), GroupRecords.value(memberRecord(group, m))));
        } else {
            for (String memberId : memberIds) {
                if (memberId != null && !memberId.isEmpty()) {
                    Member m = group.members.get(memberId);
                    update.put(memberKey(group, memberId), m == null ? null : GroupRecords.value(memberRecord(group, m)));
                }
            }
        }
        CompletableFuture<Void> written = writer.write(group.groupId, update, complete);
        written.exceptionally(failure -> {
            log.debug("Could not write consumer group {}: {}", group.groupId, failure.toString());
            return null;
        });
        return written;
    }

    private static ByteBuffer memberKey(ConsumerGroup group, String memberId) {
        return ByteBuffer.wrap(GroupRecords.consumerMemberKey(group.groupId, memberId));
    }

    /**
     * A coordinator that just loaded the group's partition takes the group over as stored: sessions (and pending
     * revocations' deadlines) start now, so a member that heartbeats in time at its epoch keeps its assignment.
     */
    void load(String groupId, GroupRecords.ConsumerGroupValue stored, Map<String, GroupRecords.ConsumerMemberValue> members) {
        ConsumerGroup group = fromRecords(groupId, stored, members);
        synchronized (group) {
            startDeadlines.accept(group);
        }
        ConsumerGroup previous = groups.put(groupId, group);
        if (previous != null) {
            timers.execute(() -> retire(previous));
        }
    }

    /** The groups of a partition this broker no longer serves are dropped. */
    void unload(Predicate<String> inPartition) {
        List<ConsumerGroup> dropped = new ArrayList<>();
        groups.forEach((id, group) -> {
            if (inPartition.test(id)) {
                dropped.add(group);
            }
        });
        if (!dropped.isEmpty()) {
            timers.execute(() -> dropped.forEach(this::retire));
        }
    }

    private void retire(ConsumerGroup group) {
        groups.remove(group.groupId, group);
        synchronized (group) {
            group.members.values().forEach(m -> {
                cancel(m.session);
                cancel(m.revocation);
            });
        }
    }

    // ---- as stored (GroupRecords) ----

    private static GroupRecords.ConsumerGroupValue groupRecord(ConsumerGroup group) {
        return new GroupRecords.ConsumerGroupValue(group.epoch, group.assignmentEpoch, group.assignor, group.fingerprint);
    }

    private static GroupRecords.ConsumerMemberValue memberRecord(ConsumerGroup group, Member m) {
        return new GroupRecords.ConsumerMemberValue(m.instanceId, m.rackId, m.clientId, m.clientHost, m.topics,
                m.regex == null ? null : m.regex.pattern(), m.assignor, m.rebalanceTimeoutMs, m.epoch, m.previousEpoch,
                m.departed, sorted(m.assigned), sorted(m.pendingRevocation), sorted(group.target.getOrDefault(m.memberId, Set.of())));
    }

    /** In a fixed order, so an unchanged member encodes to the same bytes. */
    private static Set<Tp> sorted(Set<Tp> partitions) {
        Set<Tp> sorted = new LinkedHashSet<>();
        partitions.stream().sorted(Comparator.comparing((Tp tp) -> tp.topicId().toString())
                .thenComparingInt(Tp::partition)).forEach(sorted::add);
        return sorted;
    }

    /**
     * The group rebuilt from its records by a coordinator that just loaded it. Each member is taken to still own what
     * it was assigned or is revoking, until it reports otherwise; sessions are the caller's to start.
     */
    private static ConsumerGroup fromRecords(String groupId, GroupRecords.ConsumerGroupValue stored,
                                             Map<String, GroupRecords.ConsumerMemberValue> storedMembers) {
        ConsumerGroup group = new ConsumerGroup(groupId);
        if (stored != null) {
            group.epoch = stored.groupEpoch();
            group.assignmentEpoch = stored.assignmentEpoch();
            group.assignor = stored.assignor() == null ? "uniform" : stored.assignor();
            group.fingerprint = stored.fingerprint() == null ? "" : stored.fingerprint();
        }
        storedMembers.forEach((memberId, m) -> {
            Member member = new Member(memberId);
            member.instanceId = m.instanceId();
            member.rackId = m.rackId();
            member.clientId = m.clientId();
            member.clientHost = m.clientHost();
            member.topics = m.topics();
            member.regex = m.regex() == null ? null : Pattern.compile(m.regex());
            member.assignor = m.assignor();
            member.rebalanceTimeoutMs = m.rebalanceTimeoutMs();
            member.epoch = m.memberEpoch();
            member.previousEpoch = m.previousEpoch();
            member.departed = m.departed();
            member.assigned = new HashSet<>(m.assigned());
            member.pendingRevocation = new HashSet<>(m.pendingRevocation());
            Set<Tp> owned = new HashSet<>(m.assigned());
            owned.addAll(m.pendingRevocation());
            member.owned = Set.copyOf(owned);
            member.sendAssignment = false;
            group.members.put(memberId, member);
            group.target.put(memberId, new HashSet<>(m.target()));
        });
        return group;
    }
}
