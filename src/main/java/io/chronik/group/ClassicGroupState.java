package io.chronik.group;

import io.chronik.group.ClassicGroup.Member;
import io.chronik.group.ClassicGroup.State;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static io.chronik.group.ClassicRebalancer.cancel;
import static io.chronik.group.ClassicRebalancer.joinError;
import static io.chronik.group.ClassicRebalancer.locked;
import static io.chronik.group.ClassicRebalancer.syncError;

/**
 * The classic groups this broker serves and their durable side. A group's record ({@link GroupRecords}: the current
 * generation with its members and their assignments) is written when a generation's assignment is stored, when the
 * group becomes Empty or Dead and when a static member's new member id takes over; a coordinator that loads the
 * group's partition rebuilds the group from it ({@link #load}), and one that stops serving the partition drops its
 * groups, answering their waiting members NOT_COORDINATOR ({@link #unload}). Membership is
 * {@link ClassicGroupCoordinator}'s.
 */
final class ClassicGroupState {
    private static final Logger log = LoggerFactory.getLogger(ClassicGroupState.class);
    private final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    private final GroupStateWriter writer;
    private final ScheduledExecutorService timers;
    /** Starts the sessions of a group just rebuilt from its record (called under the group's monitor). */
    private final Consumer<ClassicGroup> startSessions;

    ClassicGroupState(GroupStateWriter writer, ScheduledExecutorService timers, Consumer<ClassicGroup> startSessions) {
        this.writer = writer;
        this.timers = timers;
        this.startSessions = startSessions;
    }

    /** The group, created Empty when there is none. */
    ClassicGroup getOrCreate(String groupId) {
        return groups.computeIfAbsent(groupId, ClassicGroup::new);
    }

    /** The group, or null when there is no such classic group in memory. */
    ClassicGroup get(String groupId) {
        return groups.get(groupId);
    }

    /** The ids of the classic groups known in memory (with or without members). */
    Set<String> groupIds() {
        return Set.copyOf(groups.keySet());
    }

    /** Makes the group Dead, forgets it and writes its tombstone; the caller holds the group's monitor. */
    void delete(ClassicGroup group) {
        group.state = State.DEAD;
        groups.remove(group.groupId, group);
        persist(group);
    }

    /**
     * Writes the group's record (a tombstone once it is Dead); the caller holds the group's monitor. Called when a
     * generation's assignment is stored (SyncGroup of the leader), when the group becomes Empty or Dead, and when a
     * static member's new member id takes over; completes once durable.
     */
    CompletableFuture<Void> persist(ClassicGroup group) {
        ByteBuffer key = ByteBuffer.wrap(GroupRecords.classicGroupKey(group.groupId));
        Map<ByteBuffer, byte[]> update = new HashMap<>();
        update.put(key, group.state == State.DEAD ? null : GroupRecords.value(toRecord(group)));
        CompletableFuture<Void> written = writer.write(group.groupId, update, false);
        written.exceptionally(failure -> {
            log.debug("Could not write group {}: {}", group.groupId, failure.toString());
            return null;
        });
        return written;
    }

    /**
     * A coordinator that just loaded the group's partition takes the group over as stored, each member's session
     * starting now: a member that heartbeats in time carries on in its generation without a rebalance.
     */
    void load(String groupId, GroupRecords.ClassicGroupValue stored) {
        ClassicGroup group = fromRecord(groupId, stored);
        locked(group, () -> startSessions.accept(group));
        ClassicGroup previous = groups.put(groupId, group);
        if (previous != null) {
            timers.execute(() -> retire(previous, Errors.NOT_COORDINATOR));
        }
    }

    /** The groups of a partition this broker no longer serves are dropped (their waiting members told so). */
    void unload(Predicate<String> inPartition) {
        List<ClassicGroup> dropped = new ArrayList<>();
        groups.forEach((id, group) -> {
            if (inPartition.test(id)) {
                dropped.add(group);
            }
        });
        if (!dropped.isEmpty()) {
            timers.execute(() -> dropped.forEach(group -> retire(group, Errors.NOT_COORDINATOR)));
        }
    }

    private void retire(ClassicGroup group, Errors error) {
        groups.remove(group.groupId, group);
        locked(group, () -> {
            for (Member m : group.members.values()) {
                cancel(m);
                if (m.join != null) {
                    group.answer(m.join, joinError(error, m.memberId));
                    m.join = null;
                }
                if (m.sync != null) {
                    group.answer(m.sync, syncError(error));
                    m.sync = null;
                }
            }
            if (group.rebalanceTimer != null) {
                group.rebalanceTimer.cancel(false);
                group.rebalanceTimer = null;
            }
            group.members.clear();
            group.state = State.DEAD;
        });
    }

    /**
     * The group as {@link GroupRecords} stores it: the current generation with its members and their assignments
     * (written when a generation's assignment is known, Stable, and when the group becomes Empty).
     */
    private static GroupRecords.ClassicGroupValue toRecord(ClassicGroup group) {
        List<GroupRecords.ClassicMember> stored = new ArrayList<>(group.members.size());
        for (Member m : group.members.values()) {
            stored.add(new GroupRecords.ClassicMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    m.sessionTimeoutMs, m.rebalanceTimeoutMs, m.protocols, m.assignment));
        }
        return new GroupRecords.ClassicGroupValue(group.protocolType, group.protocolName, group.generation, group.leaderId,
                group.members.isEmpty() ? group.emptySince : System.currentTimeMillis(), stored);
    }

    /**
     * A group rebuilt from its record by a coordinator that just loaded it: Stable with the stored generation, members
     * and assignments, or Empty when it has no members. Member sessions are the caller's to start.
     */
    private static ClassicGroup fromRecord(String groupId, GroupRecords.ClassicGroupValue stored) {
        ClassicGroup group = new ClassicGroup(groupId);
        group.protocolType = stored.protocolType();
        group.generation = stored.generation();
        if (stored.members().isEmpty()) {
            group.state = State.EMPTY;
            group.emptySince = stored.stateTimestamp();
            return group;
        }
        group.state = State.STABLE;
        group.protocolName = stored.protocol();
        group.leaderId = stored.leader();
        for (GroupRecords.ClassicMember m : stored.members()) {
            Member member = new Member(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost());
            member.sessionTimeoutMs = m.sessionTimeoutMs();
            member.rebalanceTimeoutMs = m.rebalanceTimeoutMs();
            member.protocolType = stored.protocolType();
            member.protocols = List.copyOf(m.protocols());
            member.assignment = m.assignment() == null ? new byte[0] : m.assignment();
            group.members.put(member.memberId, member);
            if (member.groupInstanceId != null) {
                group.staticMembers.put(member.groupInstanceId, member.memberId);
            }
        }
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        return group;
    }
}
