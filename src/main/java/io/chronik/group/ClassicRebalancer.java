package io.chronik.group;

import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.Member;
import io.chronik.group.ClassicGroup.State;
import io.chronik.group.ClassicGroup.SyncResult;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The rebalance of a classic group: its state transitions (PreparingRebalance, CompletingRebalance, Stable, Empty),
 * generations, and every deadline: the initial rebalance delay, the rebalance and sync deadlines, member sessions.
 * Each deadline is one task on the coordinator's timer thread, rescheduled on activity; no loop scans the groups.
 * Callers hold the group's monitor (see {@link #locked}).
 */
final class ClassicRebalancer {
    private static final Logger log = LoggerFactory.getLogger(ClassicRebalancer.class);

    private final ScheduledExecutorService timers;
    private final long initialRebalanceDelayMs;
    /** Told (under the group's monitor) when a group becomes Empty, so that state is written. */
    private final java.util.function.Consumer<ClassicGroup> onEmpty;

    ClassicRebalancer(ScheduledExecutorService timers, long initialRebalanceDelayMs,
                      java.util.function.Consumer<ClassicGroup> onEmpty) {
        this.timers = timers;
        this.initialRebalanceDelayMs = initialRebalanceDelayMs;
        this.onEmpty = onEmpty;
    }

    /**
     * Runs {@code action} under the group's monitor, then completes the JoinGroup and SyncGroup answers it decided
     * once the monitor is released: whatever those completions trigger never runs while the group is locked.
     */
    static <T> T locked(ClassicGroup group, Supplier<T> action) {
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

    static void locked(ClassicGroup group, Runnable action) {
        locked(group, () -> {
            action.run();
            return null;
        });
    }

    /** Moves the group to PreparingRebalance and arms the deadline by which members must rejoin. */
    void prepareRebalance(ClassicGroup group) {
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

    void maybeCompleteJoin(ClassicGroup group) {
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
            onEmpty.accept(group);
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

    void removeMember(ClassicGroup group, String memberId) {
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

    void afterMembershipChange(ClassicGroup group) {
        if (group.members.isEmpty() && group.state != State.PREPARING_REBALANCE) {
            group.state = State.EMPTY;
            group.emptySince = System.currentTimeMillis();
            group.generation++;
            group.leaderId = null;
            group.protocolName = null;
            onEmpty.accept(group);
        } else if (group.state == State.STABLE || group.state == State.COMPLETING_REBALANCE) {
            prepareRebalance(group);
            maybeCompleteJoin(group);
        } else {
            maybeCompleteJoin(group);
        }
    }

    void scheduleSession(ClassicGroup group, Member member) {
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

    void schedulePendingExpiry(ClassicGroup group, String memberId, int sessionTimeoutMs) {
        timers.schedule(() -> {
            locked(group, () -> {
                if (group.pendingMemberIds.remove(memberId)) {
                    maybeCompleteJoin(group);
                }
            });
        }, sessionTimeoutMs, TimeUnit.MILLISECONDS);
    }

    static void cancel(Member member) {
        if (member.sessionTimer != null) {
            member.sessionTimer.cancel(false);
            member.sessionTimer = null;
        }
    }

    static JoinResult joinError(Errors error, String memberId) {
        return new JoinResult(error.code(), -1, null, null, "", memberId, List.of());
    }

    static SyncResult syncError(Errors error) {
        return new SyncResult(error.code(), null, null, new byte[0]);
    }
}
