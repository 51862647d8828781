package io.chronik.group;

import io.chronik.group.ClassicGroup.Join;
import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Member;
import io.chronik.group.ClassicGroup.State;
import io.chronik.group.ClassicGroup.SyncResult;
import io.chronik.group.GroupCoordinator.GroupView;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
 * member id takes over, through {@link ClassicGroupState}, which holds the groups, writes their records and rebuilds
 * them when this broker loads their partition. Never blocks the caller.
 */
final class ClassicGroupCoordinator {
    private final ClassicGroupState groups;
    private final ClassicRebalancer rebalancer;
    private final Predicate<String> consumerGroupInUse;
    private final int minSessionTimeoutMs;
    private final int maxSessionTimeoutMs;
    private final ScheduledExecutorService timers;

    /**
     * Session timeouts outside [min, max] are refused with INVALID_SESSION_TIMEOUT; a group id that a consumer
     * protocol group with members uses ({@code consumerGroupInUse}) is refused with INCONSISTENT_GROUP_PROTOCOL.
     */
    ClassicGroupCoordinator(ScheduledExecutorService timers, Predicate<String> consumerGroupInUse, long initialRebalanceDelayMs,
                            int minSessionTimeoutMs, int maxSessionTimeoutMs, GroupStateWriter writer) {
        this.timers = timers;
        this.groups = new ClassicGroupState(writer, timers, this::startSessions);
        this.rebalancer = new ClassicRebalancer(timers, initialRebalanceDelayMs, groups::persist);
        this.consumerGroupInUse = consumerGroupInUse;
        this.minSessionTimeoutMs = minSessionTimeoutMs;
        this.maxSessionTimeoutMs = maxSessionTimeoutMs;
    }

    /** The groups' holder and writer, which {@link GroupStateLoader} hands loaded records to. */
    ClassicGroupState state() {
        return groups;
    }

    /** A group just rebuilt from its record: each member's session starts now (the caller holds its monitor). */
    private void startSessions(ClassicGroup group) {
        group.members.values().forEach(m -> rebalancer.scheduleSession(group, m));
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
        ClassicGroup group = groups.getOrCreate(request.groupId());
        return locked(group, () -> {
            if (group.state == State.DEAD) {
                return CompletableFuture.completedFuture(joinError(Errors.COORDINATOR_NOT_AVAILABLE, request.memberId()));
            }
            if (group.protocolType != null && !group.members.isEmpty() && !group.protocolType.equals(request.protocolType())) {
                return CompletableFuture.completedFuture(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId()));
            }
            if (request.protocols().isEmpty() || (!group.members.isEmpty() && !group.supportedByAll(request.memberId(), request.protocols()))) {
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
            Errors identity = group.identityError(memberId, request.groupInstanceId());
            if (identity != Errors.NONE) {
                return CompletableFuture.completedFuture(joinError(identity, memberId));
            }
            Member member = group.members.get(memberId);
            boolean unchanged = ClassicGroup.sameProtocols(member.protocols, request.protocols());
            member.protocols = request.protocols();
            member.sessionTimeoutMs = request.sessionTimeoutMs();
            member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
            if (unchanged && member.join == null && (group.state == State.COMPLETING_REBALANCE
                    || (group.state == State.STABLE && !memberId.equals(group.leaderId)))) {
                // As in Kafka: a member rejoining with the same metadata gets the current generation back, no rebalance.
                rebalancer.scheduleSession(group, member);
                return CompletableFuture.completedFuture(group.currentGeneration(member));
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
        if (group.state == State.STABLE && !wasLeader && ClassicGroup.sameProtocols(old.protocols, request.protocols())) {
            rebalancer.scheduleSession(group, member);
            // The new member id is written before it is answered, so a new coordinator knows it.
            JoinResult current = group.currentGeneration(member);
            return groups.persist(group).handle((ok, failure) -> failure == null ? current
                    : joinError(CoordinatorWriteErrors.of(failure), memberId));
        }
        CompletableFuture<JoinResult> result = new CompletableFuture<>();
        member.join = result;
        rebalancer.scheduleSession(group, member);
        rebalancer.prepareRebalance(group);
        rebalancer.maybeCompleteJoin(group);
        return result;
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
            Errors identity = group.identityError(memberId, groupInstanceId);
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
                CompletableFuture<Void> written = groups.persist(group);
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
            Errors identity = group.identityError(memberId, groupInstanceId);
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
            Errors identity = group.identityError(memberId, groupInstanceId);
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
        return groups.groupIds();
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
            return Optional.of(group.view());
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
            groups.delete(group);
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
                groups.delete(group);
                return true;
            }
            return false;
        }
    }
}
