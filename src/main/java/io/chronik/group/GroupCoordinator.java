package io.chronik.group;

import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Member;
import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ClassicGroup.State;
import io.chronik.group.ClassicGroup.SyncResult;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The classic group protocol as Kafka runs it: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead;
 * JoinGroup answers park until every known member has rejoined (or the rebalance timeout evicts the rest);
 * SyncGroup answers park until the leader sends the assignment; session timeouts evict silent members. Each
 * deadline is one scheduled task, rescheduled on activity; no loop scans the groups. Never blocks the caller.
 */
public final class GroupCoordinator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

    private final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    /** Every session, rebalance and sync deadline; a heartbeat cancels and reschedules its member's deadline. */
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "chronik-group-timers");
        t.setDaemon(true);
        return t;
    });
    private final long initialRebalanceDelayMs;
    private final OffsetStore offsets;
    private final long offsetsRetentionMs;
    private final int minSessionTimeoutMs;
    private final int maxSessionTimeoutMs;

    private final ConsumerGroupCoordinator consumerGroups;

    /**
     * The coordinator's settings: classic session timeouts outside [min, max] are refused with
     * INVALID_SESSION_TIMEOUT (Kafka's group.min/max.session.timeout.ms); the consumer protocol's (KIP-848) session
     * timeout and heartbeat interval are set by the broker.
     */
    public record Settings(long initialRebalanceDelayMs, long offsetsRetentionMs, int minSessionTimeoutMs, int maxSessionTimeoutMs,
                           int consumerSessionTimeoutMs, int consumerHeartbeatIntervalMs) {
    }

    public GroupCoordinator(OffsetStore offsets, long initialRebalanceDelayMs, long offsetsRetentionMs) {
        this(offsets, new Settings(initialRebalanceDelayMs, offsetsRetentionMs, 6_000, 1_800_000, 45_000, 5_000));
    }

    public GroupCoordinator(OffsetStore offsets, Settings settings) {
        long initialRebalanceDelayMs = settings.initialRebalanceDelayMs();
        long offsetsRetentionMs = settings.offsetsRetentionMs();
        int consumerSessionTimeoutMs = settings.consumerSessionTimeoutMs();
        int consumerHeartbeatIntervalMs = settings.consumerHeartbeatIntervalMs();
        this.minSessionTimeoutMs = settings.minSessionTimeoutMs();
        this.maxSessionTimeoutMs = settings.maxSessionTimeoutMs();
        this.consumerGroups = new ConsumerGroupCoordinator(timers, this::classicHasMembers, consumerSessionTimeoutMs, consumerHeartbeatIntervalMs);
        this.offsets = offsets;
        this.initialRebalanceDelayMs = initialRebalanceDelayMs;
        this.offsetsRetentionMs = offsetsRetentionMs;
        // Cancelled deadlines leave the queue at once instead of piling up until they would have fired.
        timers.setRemoveOnCancelPolicy(true);
        // One periodic expiry check (not per group): often enough relative to the retention, at most every second.
        long sweep = Math.max(1_000, Math.min(offsetsRetentionMs / 4, 600_000));
        timers.scheduleWithFixedDelay(this::expireOffsets, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    public OffsetStore offsets() {
        return offsets;
    }

    /** The KIP-848 consumer groups, which share the group id space and the committed offsets with classic groups. */
    public ConsumerGroupCoordinator consumerGroups() {
        return consumerGroups;
    }

    private ClassicGroup group(String groupId) {
        return groups.computeIfAbsent(groupId, ClassicGroup::new);
    }

    /**
     * Runs {@code action} under the group's monitor, then completes the JoinGroup and SyncGroup answers it decided
     * once the monitor is released: whatever those completions trigger never runs while the group is locked.
     */
    private static <T> T locked(ClassicGroup group, Supplier<T> action) {
        List<Runnable> answers = List.of();
        try {
            synchronized (group) {
                try {
                    return action.get();
                } finally {
                    answers = group.takeAnswers();
                }
            }
        } finally {
            answers.forEach(Runnable::run);
        }
    }

    private static void locked(ClassicGroup group, Runnable action) {
        locked(group, () -> {
            action.run();
            return null;
        });
    }

    // ---- JoinGroup ----------------------------------------------------------------------------------------

    /** A join request; {@code requireKnownMemberId} is true from JoinGroup v4 (the member-id round trip). */
    public record Join(String groupId, String memberId, String groupInstanceId, String clientId, String clientHost,
                       int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType, List<Protocol> protocols,
                       boolean requireKnownMemberId) {
    }

    public CompletableFuture<JoinResult> join(Join request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(joinError(Errors.INVALID_GROUP_ID, request.memberId()));
        }
        if (request.sessionTimeoutMs() < minSessionTimeoutMs || request.sessionTimeoutMs() > maxSessionTimeoutMs) {
            return CompletableFuture.completedFuture(joinError(Errors.INVALID_SESSION_TIMEOUT, request.memberId()));
        }
        if (consumerGroups.hasMembers(request.groupId())) {
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
                    schedulePendingExpiry(group, memberId, request.sessionTimeoutMs());
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
                scheduleSession(group, member);
                return CompletableFuture.completedFuture(currentGeneration(group, member));
            }
            CompletableFuture<JoinResult> result = new CompletableFuture<>();
            if (member.join != null) {
                group.answer(member.join, joinError(Errors.REBALANCE_IN_PROGRESS, memberId));
            }
            member.join = result;
            scheduleSession(group, member);
            if (group.state == State.STABLE || group.state == State.COMPLETING_REBALANCE || group.state == State.EMPTY) {
                prepareRebalance(group);
            }
            maybeCompleteJoin(group);
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
            scheduleSession(group, member);
            return CompletableFuture.completedFuture(currentGeneration(group, member));
        }
        CompletableFuture<JoinResult> result = new CompletableFuture<>();
        member.join = result;
        scheduleSession(group, member);
        prepareRebalance(group);
        maybeCompleteJoin(group);
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
        scheduleSession(group, member);
        if (group.initialDelayPending) {
            group.newMemberDuringDelay = true;
        }
        prepareRebalance(group);
        maybeCompleteJoin(group);
        return result;
    }

    /** Moves the group to PreparingRebalance and arms the deadline by which members must rejoin. */
    private void prepareRebalance(ClassicGroup group) {
        if (group.state == State.PREPARING_REBALANCE) {
            return;
        }
        boolean initial = group.state == State.EMPTY;
        // Members waiting in SyncGroup must rejoin.
        for (Member m : group.members.values()) {
            if (m.sync != null) {
                group.answer(m.sync, new SyncResult(Errors.REBALANCE_IN_PROGRESS.code(), null, null, new byte[0]));
                m.sync = null;
            }
        }
        group.state = State.PREPARING_REBALANCE;
        int rebalanceTimeout = group.members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(30_000);
        long delay = initial ? Math.min(initialRebalanceDelayMs, rebalanceTimeout) : rebalanceTimeout;
        if (group.rebalanceTimer != null) {
            group.rebalanceTimer.cancel(false);
        }
        group.rebalanceTimer = timers.schedule(() -> onRebalanceDeadline(group), delay, TimeUnit.MILLISECONDS);
        if (initial && initialRebalanceDelayMs > 0) {
            group.initialDelayPending = true;
            group.newMemberDuringDelay = false;
            group.initialDelayRemainingMs = Math.max(rebalanceTimeout - delay, 0);
        }
    }

    private void onRebalanceDeadline(ClassicGroup group) {
        locked(group, () -> {
            if (group.state != State.PREPARING_REBALANCE) {
                return;
            }
            if (group.initialDelayPending && group.newMemberDuringDelay && group.initialDelayRemainingMs > 0) {
                // Members are still arriving (a whole application starting): wait one more delay, within the
                // rebalance timeout, so they all land in the first generation instead of one rebalance each.
                group.newMemberDuringDelay = false;
                long delay = Math.min(initialRebalanceDelayMs, group.initialDelayRemainingMs);
                group.initialDelayRemainingMs -= delay;
                group.rebalanceTimer = timers.schedule(() -> onRebalanceDeadline(group), delay, TimeUnit.MILLISECONDS);
                return;
            }
            group.initialDelayPending = false;
            // Members that did not rejoin in time leave the group.
            List<String> late = new ArrayList<>();
            group.members.forEach((id, m) -> {
                if (m.join == null) {
                    late.add(id);
                }
            });
            late.forEach(id -> removeMember(group, id));
            group.pendingMemberIds.clear();
            completeJoin(group);
        });
    }

    private void maybeCompleteJoin(ClassicGroup group) {
        if (group.state == State.PREPARING_REBALANCE && !group.initialDelayPending && group.allMembersJoined()) {
            completeJoin(group);
        }
    }

    private void completeJoin(ClassicGroup group) {
        if (group.rebalanceTimer != null) {
            group.rebalanceTimer.cancel(false);
            group.rebalanceTimer = null;
        }
        group.generation++;
        if (group.members.isEmpty()) {
            group.state = State.EMPTY;
            group.emptySince = System.currentTimeMillis();
            group.leaderId = null;
            group.protocolName = null;
            return;
        }
        group.protocolName = group.selectProtocol();
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.state = State.COMPLETING_REBALANCE;
        for (Member m : group.members.values()) {
            m.assignment = new byte[0];
            boolean leader = m.memberId.equals(group.leaderId);
            JoinResult result = new JoinResult(Errors.NONE.code(), group.generation, group.protocolType, group.protocolName,
                    group.leaderId, m.memberId, leader ? group.memberMetadata() : List.of());
            CompletableFuture<JoinResult> join = m.join;
            m.join = null;
            scheduleSession(group, m);
            group.answer(join, result);
        }
        // As in Kafka: members that have not sent SyncGroup within the rebalance timeout are removed (and the group
        // rebalances without them), so a leader that never assigns cannot hold the group forever.
        int generation = group.generation;
        int timeout = group.members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(30_000);
        group.rebalanceTimer = timers.schedule(() -> onSyncDeadline(group, generation), timeout, TimeUnit.MILLISECONDS);
    }

    private void onSyncDeadline(ClassicGroup group, int generation) {
        locked(group, () -> {
            if (group.state != State.COMPLETING_REBALANCE || group.generation != generation) {
                return;
            }
            List<String> late = new ArrayList<>();
            group.members.forEach((id, m) -> {
                if (m.sync == null) {
                    late.add(id);
                }
            });
            log.debug("Group {} generation {}: members {} did not sync in time", group.groupId, generation, late);
            late.forEach(id -> removeMember(group, id));
            if (!late.isEmpty()) {
                afterMembershipChange(group);
            }
        });
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
            scheduleSession(group, member);
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
                for (Member m : group.members.values()) {
                    if (m.sync != null) {
                        CompletableFuture<SyncResult> waiting = m.sync;
                        m.sync = null;
                        group.answer(waiting, new SyncResult(Errors.NONE.code(), group.protocolType, group.protocolName, m.assignment));
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
            scheduleSession(group, group.members.get(memberId));
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
                    removeMember(group, memberId);
                    removed = true;
                    results.add(Errors.NONE.code());
                } else if (group.pendingMemberIds.remove(memberId)) {
                    results.add(Errors.NONE.code());
                } else {
                    results.add(Errors.UNKNOWN_MEMBER_ID.code());
                }
            }
            if (removed) {
                afterMembershipChange(group);
            }
        });
        return results;
    }

    private void removeMember(ClassicGroup group, String memberId) {
        Member member = group.members.remove(memberId);
        if (member == null) {
            return;
        }
        cancel(member);
        if (member.join != null) {
            group.answer(member.join, joinError(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
        if (member.sync != null) {
            group.answer(member.sync, syncError(Errors.UNKNOWN_MEMBER_ID));
        }
        if (memberId.equals(group.leaderId)) {
            group.leaderId = null;
        }
        if (member.groupInstanceId != null && memberId.equals(group.staticMembers.get(member.groupInstanceId))) {
            group.staticMembers.remove(member.groupInstanceId);
        }
    }

    private void afterMembershipChange(ClassicGroup group) {
        if (group.members.isEmpty() && group.state != State.PREPARING_REBALANCE) {
            group.state = State.EMPTY;
            group.emptySince = System.currentTimeMillis();
            group.generation++;
            group.leaderId = null;
            group.protocolName = null;
        } else if (group.state == State.STABLE || group.state == State.COMPLETING_REBALANCE) {
            prepareRebalance(group);
            maybeCompleteJoin(group);
        } else {
            maybeCompleteJoin(group);
        }
    }

    private void scheduleSession(ClassicGroup group, Member member) {
        cancel(member);
        member.sessionTimer = timers.schedule(() -> {
            locked(group, () -> {
                if (group.members.get(member.memberId) == member && member.join != null) {
                    // Awaiting the rebalance: the rebalance deadline bounds it, as in Kafka.
                    scheduleSession(group, member);
                } else if (group.members.get(member.memberId) == member) {
                    log.debug("Member {} of group {} missed its session timeout", member.memberId, group.groupId);
                    removeMember(group, member.memberId);
                    afterMembershipChange(group);
                }
            });
        }, member.sessionTimeoutMs, TimeUnit.MILLISECONDS);
    }

    private void schedulePendingExpiry(ClassicGroup group, String memberId, int sessionTimeoutMs) {
        timers.schedule(() -> {
            locked(group, () -> {
                if (group.pendingMemberIds.remove(memberId)) {
                    maybeCompleteJoin(group);
                }
            });
        }, sessionTimeoutMs, TimeUnit.MILLISECONDS);
    }

    private static void cancel(Member member) {
        if (member.sessionTimer != null) {
            member.sessionTimer.cancel(false);
            member.sessionTimer = null;
        }
    }

    // ---- Offsets ------------------------------------------------------------------------------------------

    /** Checks that a commit comes from a current member (or is a standalone commit); NONE when allowed. */
    public short validateCommit(String groupId, int generation, String memberId, String groupInstanceId) {
        ClassicGroup group = groups.get(groupId);
        if (consumerGroups.exists(groupId) && !classicHasMembers(groupId)) {
            return consumerGroups.validateCommit(groupId, generation, memberId).code();
        }
        if (generation < 0 && (memberId == null || memberId.isEmpty())) {
            // A commit from outside any group generation: allowed while the group has no members (Kafka's rule).
            if (group == null) {
                return Errors.NONE.code();
            }
            synchronized (group) {
                // Kafka's rule: without a member id, commits are accepted only while the group has no members.
                return group.state == State.DEAD ? Errors.COORDINATOR_NOT_AVAILABLE.code()
                        : group.members.isEmpty() ? Errors.NONE.code() : Errors.UNKNOWN_MEMBER_ID.code();
            }
        }
        if (group == null) {
            return Errors.ILLEGAL_GENERATION.code();
        }
        synchronized (group) {
            Errors identity = identityError(group, memberId, groupInstanceId);
            if (identity != Errors.NONE) {
                return identity.code();
            }
            Member member = group.members.get(memberId);
            if (generation != group.generation) {
                return Errors.ILLEGAL_GENERATION.code();
            }
            // Like Kafka: members commit while a rebalance is being prepared (on revocation), but not between
            // JoinGroup and SyncGroup, when the new generation's assignment is not known yet.
            if (group.state == State.COMPLETING_REBALANCE) {
                return Errors.REBALANCE_IN_PROGRESS.code();
            }
            scheduleSession(group, member);
            return Errors.NONE.code();
        }
    }

    /** Offsets of groups that have been empty longer than the retention expire. */
    private void expireOffsets() {
        forgetEmptyConsumerGroups();
        long now = System.currentTimeMillis();
        java.util.Set<String> ids = new java.util.HashSet<>(offsets.groups());
        ids.addAll(groups.keySet());
        for (String groupId : ids) {
            ClassicGroup group = groups.get(groupId);
            long newest = newestCommit(groupId);
            if (group == null) {
                if (now - newest > offsetsRetentionMs && !consumerGroups.hasMembers(groupId)) {
                    expire(groupId);
                }
                continue;
            }
            synchronized (group) {
                if (group.members.isEmpty() && group.state == State.EMPTY && now - Math.max(group.emptySince, newest) > offsetsRetentionMs) {
                    // The group is gone with its offsets, as in Kafka (it becomes Dead).
                    group.state = State.DEAD;
                    groups.remove(groupId, group);
                    expire(groupId);
                }
            }
        }
    }

    /** Empty consumer-protocol groups without offsets are forgotten. */
    private void forgetEmptyConsumerGroups() {
        for (String groupId : consumerGroups.groupIds()) {
            if (!consumerGroups.hasMembers(groupId) && offsets.offsets(groupId).isEmpty()) {
                consumerGroups.delete(groupId);
            }
        }
    }

    private void expire(String groupId) {
        if (offsets.offsets(groupId).isEmpty()) {
            return;
        }
        log.info("Offsets of group {} expired (empty for longer than the retention)", groupId);
        offsets.deleteGroup(groupId).exceptionally(e -> {
            log.warn("Could not expire offsets of group {}: {}", groupId, e.toString());
            return null;
        });
    }

    private long newestCommit(String groupId) {
        return offsets.offsets(groupId).values().stream().mapToLong(OffsetStore.Committed::commitTimestamp).max().orElse(0);
    }

    // ---- Describe, list, delete ---------------------------------------------------------------------------

    /** A snapshot of a group for DescribeGroups and ListGroups. */
    public record GroupView(String groupId, String state, String protocolType, String protocolName, List<MemberView> members) {
    }

    public record MemberView(String memberId, String groupInstanceId, String clientId, String clientHost, byte[] metadata,
                             byte[] assignment) {
    }

    public Optional<GroupView> describe(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return offsets.offsets(groupId).isEmpty() ? Optional.empty()
                    : Optional.of(new GroupView(groupId, "Empty", "consumer", "", List.of()));
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

    public List<GroupView> list() {
        java.util.Set<String> ids = new java.util.TreeSet<>(groups.keySet());
        ids.addAll(offsets.groups());
        List<GroupView> views = new ArrayList<>();
        ids.removeAll(consumerGroups.groupIds());
        for (String id : ids) {
            describe(id).filter(v -> !"Dead".equals(v.state())).ifPresent(views::add);
        }
        return views;
    }

    /** Deletes an empty group and its offsets: NONE, NON_EMPTY_GROUP or GROUP_ID_NOT_FOUND once durable. */
    public CompletableFuture<Short> deleteGroup(String groupId) {
        ClassicGroup group = groups.get(groupId);
        Optional<Errors> consumerGroup = consumerGroups.delete(groupId);
        if (consumerGroup.isPresent() && consumerGroup.get() != Errors.NONE) {
            return CompletableFuture.completedFuture(consumerGroup.get().code());
        }
        if (consumerGroup.isPresent() && group == null) {
            return offsets.deleteGroup(groupId).handle((ok, e) -> OffsetStore.errorCode(e));
        }
        if (group != null) {
            synchronized (group) {
                if (!group.members.isEmpty()) {
                    return CompletableFuture.completedFuture(Errors.NON_EMPTY_GROUP.code());
                }
                group.state = State.DEAD;
                groups.remove(groupId, group);
            }
        } else if (offsets.offsets(groupId).isEmpty()) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND.code());
        }
        return offsets.deleteGroup(groupId).handle((ok, e) -> OffsetStore.errorCode(e));
    }

    /** Whether a classic or a consumer group by this id has members. */
    public boolean hasMembers(String groupId) {
        return classicHasMembers(groupId) || consumerGroups.hasMembers(groupId);
    }

    private boolean classicHasMembers(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return false;
        }
        synchronized (group) {
            return !group.members.isEmpty();
        }
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

    private static JoinResult joinError(Errors error, String memberId) {
        return new JoinResult(error.code(), -1, null, null, "", memberId, List.of());
    }

    private static SyncResult syncError(Errors error) {
        return new SyncResult(error.code(), null, null, new byte[0]);
    }

    @Override
    public void close() throws Exception {
        timers.shutdownNow();
        offsets.close();
    }
}
