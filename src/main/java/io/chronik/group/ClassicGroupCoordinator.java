package io.chronik.group;

import io.chronik.group.ClassicGroup.Join;
import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Member;
import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ClassicGroup.State;
import io.chronik.group.ClassicGroup.SyncResult;
import io.chronik.group.GroupCoordinator.GroupView;
import io.chronik.group.GroupCoordinator.MemberView;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

import static io.chronik.group.ClassicRebalancer.cancel;
import static io.chronik.group.ClassicRebalancer.joinError;
import static io.chronik.group.ClassicRebalancer.locked;
import static io.chronik.group.ClassicRebalancer.syncError;

/**
 * Membership of classic groups as Kafka runs it: JoinGroup (member ids, static members), SyncGroup, Heartbeat and
 * LeaveGroup, and whether a member may commit. JoinGroup answers park until every known member has rejoined (or
 * the rebalance timeout evicts the rest); SyncGroup answers park until the leader sends the assignment; the
 * rebalance itself and every deadline are {@link ClassicRebalancer}'s. A group's record ({@link GroupRecords}) is
 * written when a generation's assignment is stored, when it becomes Empty or Dead and when a static member's new
 * member id takes over, and a coordinator that loads the group's partition rebuilds it ({@link #load}). Never blocks
 * the caller.
 */
final class ClassicGroupCoordinator {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClassicGroupCoordinator.class);
    private final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    private final ClassicRebalancer rebalancer;
    private final Predicate<String> consumerGroupInUse;
    private final int minSessionTimeoutMs;
    private final int maxSessionTimeoutMs;
    private final GroupStateWriter writer;
    private final ScheduledExecutorService timers;

    /**
     * Session timeouts outside [min, max] are refused with INVALID_SESSION_TIMEOUT; a group id that a consumer
     * protocol group with members uses ({@code consumerGroupInUse}) is refused with INCONSISTENT_GROUP_PROTOCOL.
     */
    ClassicGroupCoordinator(ScheduledExecutorService timers, Predicate<String> consumerGroupInUse, long initialRebalanceDelayMs,
                            int minSessionTimeoutMs, int maxSessionTimeoutMs, GroupStateWriter writer) {
        this.writer = writer;
        this.timers = timers;
        this.rebalancer = new ClassicRebalancer(timers, initialRebalanceDelayMs, this::persist);
        this.consumerGroupInUse = consumerGroupInUse;
        this.minSessionTimeoutMs = minSessionTimeoutMs;
        this.maxSessionTimeoutMs = maxSessionTimeoutMs;
    }

    private ClassicGroup group(String groupId) {
        return groups.computeIfAbsent(groupId, ClassicGroup::new);
    }

    public CompletableFuture<JoinResult> join(Join request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(joinError(Errors.INVALID_GROUP_ID, request.memberId()));
        }
        if (request.sessionTimeoutMs() < minSessionTimeoutMs || request.sessionTimeoutMs() > maxSessionTimeoutMs) {
            return CompletableFuture.completedFuture(joinError(Errors.INVALID_SESSION_TIMEOUT, request.memberId()));
        }
        if (consumerGroupInUse.test(request.groupId())) {
            return CompletableFuture.completedFuture(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId()));
        }
        ClassicGroup group = group(request.groupId());
        return locked(group, () -> {
            if (group.state == State.DEAD) {
                return CompletableFuture.completedFuture(joinError(Errors.COORDINATOR_NOT_AVAILABLE, request.memberId()));
            }
            if (group.protocolType != null && !group.members.isEmpty() && !group.protocolType.equals(request.protocolType())) {
                return CompletableFuture.completedFuture(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId()));
            }
            if (request.protocols().isEmpty() || (!group.members.isEmpty() && !supportedByAll(group, request.memberId(), request.protocols()))) {
                return CompletableFuture.completedFuture(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId()));
            }
            String memberId = request.memberId();
            if (memberId.isEmpty()) {
                memberId = request.clientId() + "-" + UUID.randomUUID();
                if (request.groupInstanceId() != null) {
                    String previous = group.staticMembers.get(request.groupInstanceId());
                    if (previous != null && group.members.containsKey(previous)) {
                        return replaceStaticMember(group, previous, memberId, request);
                    }
                    group.staticMembers.put(request.groupInstanceId(), memberId);
                } else if (request.requireKnownMemberId()) {
                    group.pendingMemberIds.add(memberId);
                    rebalancer.schedulePendingExpiry(group, memberId, request.sessionTimeoutMs());
                    return CompletableFuture.completedFuture(joinError(Errors.MEMBER_ID_REQUIRED, memberId));
                }
                return addMemberAndRebalance(group, memberId, request);
            }
            if (group.pendingMemberIds.remove(memberId)) {
                return addMemberAndRebalance(group, memberId, request);
            }
            Errors identity = identityError(group, memberId, request.groupInstanceId());
            if (identity != Errors.NONE) {
                return CompletableFuture.completedFuture(joinError(identity, memberId));
            }
            Member member = group.members.get(memberId);
            boolean unchanged = sameProtocols(member.protocols, request.protocols());
            member.protocols = request.protocols();
            member.sessionTimeoutMs = request.sessionTimeoutMs();
            member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
            if (unchanged && member.join == null && (group.state == State.COMPLETING_REBALANCE
                    || (group.state == State.STABLE && !memberId.equals(group.leaderId)))) {
                // As in Kafka: a member rejoining with the same metadata gets the current generation back, no rebalance.
                rebalancer.scheduleSession(group, member);
                return CompletableFuture.completedFuture(currentGeneration(group, member));
            }
            CompletableFuture<JoinResult> result = new CompletableFuture<>();
            if (member.join != null) {
                group.answer(member.join, joinError(Errors.REBALANCE_IN_PROGRESS, memberId));
            }
            member.join = result;
            rebalancer.scheduleSession(group, member);
            if (group.state == State.STABLE || group.state == State.COMPLETING_REBALANCE || group.state == State.EMPTY) {
                rebalancer.prepareRebalance(group);
            }
            rebalancer.maybeCompleteJoin(group);
            return result;
        });
    }

    /**
     * A static member rejoined with an empty member id (it restarted): the new id takes over the membership and its
     * assignment and the old id is fenced. A stable group whose follower comes back with the same metadata does not
     * rebalance; otherwise the group rebalances (as Kafka does for older JoinGroup versions).
     */
    private CompletableFuture<JoinResult> replaceStaticMember(ClassicGroup group, String previous, String memberId, Join request) {
        Member old = group.members.remove(previous);
        cancel(old);
        if (old.join != null) {
            group.answer(old.join, joinError(Errors.FENCED_INSTANCE_ID, previous));
        }
        if (old.sync != null) {
            group.answer(old.sync, syncError(Errors.FENCED_INSTANCE_ID));
        }
        Member member = new Member(memberId, request.groupInstanceId(), request.clientId(), request.clientHost());
        member.protocolType = request.protocolType();
        member.protocols = request.protocols();
        member.sessionTimeoutMs = request.sessionTimeoutMs();
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
        member.assignment = old.assignment;
        group.members.put(memberId, member);
        group.staticMembers.put(request.groupInstanceId(), memberId);
        boolean wasLeader = previous.equals(group.leaderId);
        if (wasLeader) {
            group.leaderId = memberId;
        }
        if (group.state == State.STABLE && !wasLeader && sameProtocols(old.protocols, request.protocols())) {
            rebalancer.scheduleSession(group, member);
            // The new member id is written before it is answered, so a new coordinator knows it.
            JoinResult current = currentGeneration(group, member);
            return persist(group).handle((ok, failure) -> failure == null ? current
                    : joinError(CoordinatorWriteErrors.of(failure), memberId));
        }
        CompletableFuture<JoinResult> result = new CompletableFuture<>();
        member.join = result;
        rebalancer.scheduleSession(group, member);
        rebalancer.prepareRebalance(group);
        rebalancer.maybeCompleteJoin(group);
        return result;
    }

    private static JoinResult currentGeneration(ClassicGroup group, Member member) {
        boolean leader = member.memberId.equals(group.leaderId);
        return new JoinResult(Errors.NONE.code(), group.generation, group.protocolType, group.protocolName, group.leaderId,
                member.memberId, leader ? group.memberMetadata() : List.of());
    }

    private static boolean sameProtocols(List<Protocol> a, List<Protocol> b) {
        if (a == null || b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).name().equals(b.get(i).name()) || !java.util.Arrays.equals(a.get(i).metadata(), b.get(i).metadata())) {
                return false;
            }
        }
        return true;
    }

    /** Whether at least one of a joining member's protocols is supported by every current member. */
    private static boolean supportedByAll(ClassicGroup group, String memberId, List<Protocol> protocols) {
        for (Protocol candidate : protocols) {
            boolean everyone = group.members.values().stream().filter(m -> !m.memberId.equals(memberId))
                    .allMatch(m -> m.protocols.stream().anyMatch(p -> p.name().equals(candidate.name())));
            if (everyone) {
                return true;
            }
        }
        return false;
    }

    private CompletableFuture<JoinResult> addMemberAndRebalance(ClassicGroup group, String memberId, Join request) {
        Member member = new Member(memberId, request.groupInstanceId(), request.clientId(), request.clientHost());
        member.protocols = request.protocols();
        member.protocolType = request.protocolType();
        member.sessionTimeoutMs = request.sessionTimeoutMs();
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
        // Taken before completing: the join may complete right here, which clears member.join.
        CompletableFuture<JoinResult> result = new CompletableFuture<>();
        member.join = result;
        group.members.put(memberId, member);
        group.protocolType = request.protocolType();
        rebalancer.scheduleSession(group, member);
        if (group.initialDelayPending) {
            group.newMemberDuringDelay = true;
        }
        rebalancer.prepareRebalance(group);
        rebalancer.maybeCompleteJoin(group);
        return result;
    }

    // ---- SyncGroup, Heartbeat, LeaveGroup -----------------------------------------------------------------

    public CompletableFuture<SyncResult> sync(String groupId, int generation, String memberId, String groupInstanceId,
                                              Map<String, byte[]> assignments) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(syncError(Errors.UNKNOWN_MEMBER_ID));
        }
        return locked(group, () -> {
            Errors identity = identityError(group, memberId, groupInstanceId);
            if (identity != Errors.NONE) {
                return CompletableFuture.completedFuture(syncError(identity));
            }
            Member member = group.members.get(memberId);
            if (generation != group.generation) {
                return CompletableFuture.completedFuture(syncError(Errors.ILLEGAL_GENERATION));
            }
            if (group.state == State.PREPARING_REBALANCE) {
                return CompletableFuture.completedFuture(syncError(Errors.REBALANCE_IN_PROGRESS));
            }
            rebalancer.scheduleSession(group, member);
            if (group.state == State.STABLE) {
                return CompletableFuture.completedFuture(new SyncResult(Errors.NONE.code(), group.protocolType, group.protocolName,
                        member.assignment));
            }
            CompletableFuture<SyncResult> result = new CompletableFuture<>();
            member.sync = result;
            if (memberId.equals(group.leaderId)) {
                for (Member m : group.members.values()) {
                    byte[] assignment = assignments.get(m.memberId);
                    m.assignment = assignment == null ? new byte[0] : assignment;
                }
                group.state = State.STABLE;
                if (group.rebalanceTimer != null) {
                    group.rebalanceTimer.cancel(false);
                    group.rebalanceTimer = null;
                }
                // As in Kafka, the generation's assignment is written before any member gets its share.
                CompletableFuture<Void> written = persist(group);
                int stored = group.generation;
                written.whenComplete((ok, failure) -> {
                    if (failure != null) {
                        // As Kafka: an assignment that could not be stored is dropped and the members rejoin.
                        timers.execute(() -> locked(group, () -> {
                            if (group.generation == stored && group.state == State.STABLE && groups.get(groupId) == group) {
                                group.members.values().forEach(m -> m.assignment = new byte[0]);
                                rebalancer.prepareRebalance(group);
                            }
                        }));
                    }
                });
                for (Member m : group.members.values()) {
                    if (m.sync != null) {
                        CompletableFuture<SyncResult> waiting = m.sync;
                        m.sync = null;
                        SyncResult assigned = new SyncResult(Errors.NONE.code(), group.protocolType, group.protocolName, m.assignment);
                        if (written.isDone()) {
                            group.answer(waiting, written.isCompletedExceptionally()
                                    ? syncError(CoordinatorWriteErrors.of(written.handle((ok, e) -> e).join())) : assigned);
                        } else {
                            written.whenComplete((ok, failure) -> waiting.complete(failure == null ? assigned
                                    : syncError(CoordinatorWriteErrors.of(failure))));
                        }
                    }
                }
            }
            return result;
        });
    }

    public short heartbeat(String groupId, int generation, String memberId, String groupInstanceId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return Errors.UNKNOWN_MEMBER_ID.code();
        }
        synchronized (group) {
            Errors identity = identityError(group, memberId, groupInstanceId);
            if (identity != Errors.NONE) {
                return identity.code();
            }
            rebalancer.scheduleSession(group, group.members.get(memberId));
            if (group.state == State.PREPARING_REBALANCE) {
                return Errors.REBALANCE_IN_PROGRESS.code();
            }
            if (generation != group.generation) {
                return Errors.ILLEGAL_GENERATION.code();
            }
            return Errors.NONE.code();
        }
    }

    /** Removes members; returns an error per member id (NONE or UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID). */
    public List<Short> leave(String groupId, List<String[]> memberIdAndInstanceIds) {
        List<Short> results = new ArrayList<>();
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            memberIdAndInstanceIds.forEach(m -> results.add(Errors.UNKNOWN_MEMBER_ID.code()));
            return results;
        }
        locked(group, () -> {
            boolean removed = false;
            for (String[] member : memberIdAndInstanceIds) {
                String memberId = member[0];
                String instanceId = member[1];
                if (instanceId != null) {
                    String current = group.staticMembers.get(instanceId);
                    if (current == null || (!memberId.isEmpty() && !memberId.equals(current))) {
                        results.add(current == null ? Errors.UNKNOWN_MEMBER_ID.code() : Errors.FENCED_INSTANCE_ID.code());
                        continue;
                    }
                    memberId = current;
                    group.staticMembers.remove(instanceId);
                }
                if (group.members.containsKey(memberId)) {
                    rebalancer.removeMember(group, memberId);
                    removed = true;
                    results.add(Errors.NONE.code());
                } else if (group.pendingMemberIds.remove(memberId)) {
                    results.add(Errors.NONE.code());
                } else {
                    results.add(Errors.UNKNOWN_MEMBER_ID.code());
                }
            }
            if (removed) {
                rebalancer.afterMembershipChange(group);
            }
        });
        return results;
    }

    /**
     * Checks that a commit from a member is from a current member at the current generation, outside the window
     * between JoinGroup and SyncGroup; a commit from outside any generation is allowed only while the group has no
     * members (Kafka's rule). NONE when allowed.
     */
    Errors validateCommit(String groupId, int generation, String memberId, String groupInstanceId) {
        ClassicGroup group = groups.get(groupId);
        if (generation < 0 && (memberId == null || memberId.isEmpty())) {
            if (group == null) {
                return Errors.NONE;
            }
            synchronized (group) {
                return group.state == State.DEAD ? Errors.COORDINATOR_NOT_AVAILABLE
                        : group.members.isEmpty() ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
            }
        }
        if (group == null) {
            return Errors.ILLEGAL_GENERATION;
        }
        synchronized (group) {
            Errors identity = identityError(group, memberId, groupInstanceId);
            if (identity != Errors.NONE) {
                return identity;
            }
            Member member = group.members.get(memberId);
            if (generation != group.generation) {
                return Errors.ILLEGAL_GENERATION;
            }
            // Like Kafka: members commit while a rebalance is being prepared (on revocation), but not between
            // JoinGroup and SyncGroup, when the new generation's assignment is not known yet.
            if (group.state == State.COMPLETING_REBALANCE) {
                return Errors.REBALANCE_IN_PROGRESS;
            }
            rebalancer.scheduleSession(group, member);
            return Errors.NONE;
        }
    }

    /** Whether the classic group is being removed (Dead): it takes no commits. */
    boolean isDead(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return false;
        }
        synchronized (group) {
            return group.state == State.DEAD;
        }
    }

    /** The ids of the classic groups known in memory (with or without members). */
    Set<String> groupIds() {
        return Set.copyOf(groups.keySet());
    }

    boolean hasMembers(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return false;
        }
        synchronized (group) {
            return !group.members.isEmpty();
        }
    }

    /** A snapshot of the group, empty when there is no such classic group in memory. */
    Optional<GroupView> describe(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return Optional.empty();
        }
        synchronized (group) {
            List<MemberView> members = new ArrayList<>();
            for (Member m : group.members.values()) {
                members.add(new MemberView(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                        group.protocolName == null ? new byte[0] : m.metadata(group.protocolName), m.assignment));
            }
            return Optional.of(new GroupView(groupId, group.stateName(), group.protocolType == null ? "" : group.protocolType,
                    group.protocolName == null ? "" : group.protocolName, members));
        }
    }

    /** Makes an empty group Dead and forgets it: NONE, NON_EMPTY_GROUP, or empty when there is no such group. */
    Optional<Errors> delete(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return Optional.empty();
        }
        synchronized (group) {
            if (!group.members.isEmpty()) {
                return Optional.of(Errors.NON_EMPTY_GROUP);
            }
            group.state = State.DEAD;
            groups.remove(groupId, group);
            persist(group);
            return Optional.of(Errors.NONE);
        }
    }

    /**
     * For offset expiration: a group without members that has been Empty (and without commits since
     * {@code newestCommit}) for longer than {@code retentionMs} becomes Dead and is forgotten (true). Null when there
     * is no such group, false when it stays.
     */
    Boolean expireIfIdle(String groupId, long now, long newestCommit, long retentionMs) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return null;
        }
        synchronized (group) {
            if (group.members.isEmpty() && group.state == State.EMPTY && now - Math.max(group.emptySince, newestCommit) > retentionMs) {
                group.state = State.DEAD;
                groups.remove(groupId, group);
                persist(group);
                return true;
            }
            return false;
        }
    }

    // ---- durable state ---------------------------------------------------------------------------------

    /**
     * Writes the group's record (a tombstone once it is Dead); the caller holds the group's monitor. Called when a
     * generation's assignment is stored (SyncGroup of the leader), when the group becomes Empty or Dead, and when a
     * static member's new member id takes over; completes once durable.
     */
    CompletableFuture<Void> persist(ClassicGroup group) {
        java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(GroupRecords.classicGroupKey(group.groupId));
        java.util.Map<java.nio.ByteBuffer, byte[]> update = new java.util.HashMap<>();
        update.put(key, group.state == State.DEAD ? null : GroupRecords.value(group.toRecord()));
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
        ClassicGroup group = ClassicGroup.fromRecord(groupId, stored);
        locked(group, () -> group.members.values().forEach(m -> rebalancer.scheduleSession(group, m)));
        ClassicGroup previous = groups.put(groupId, group);
        if (previous != null) {
            timers.execute(() -> retire(previous, Errors.NOT_COORDINATOR));
        }
    }

    /** The groups of a partition this broker no longer serves are dropped (their waiting members told so). */
    void unload(java.util.function.Predicate<String> inPartition) {
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

    /** Whether the caller is a current member, and (for static members) the current holder of its instance id. */
    private static Errors identityError(ClassicGroup group, String memberId, String groupInstanceId) {
        // Kafka's order: a known instance id with another member id is fenced, before the member id is looked at.
        if (groupInstanceId != null) {
            String current = group.staticMembers.get(groupInstanceId);
            if (current == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (!current.equals(memberId)) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        return group.members.containsKey(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
    }
}
