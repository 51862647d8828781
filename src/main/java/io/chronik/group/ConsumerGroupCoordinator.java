package io.chronik.group;

import io.chronik.group.ConsumerGroup.Member;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The KIP-848 consumer group protocol (ConsumerGroupHeartbeat): the coordinator computes a target assignment with
 * a server-side assignor ({@code uniform} or {@code range}) whenever the group epoch moves (a member joins, leaves,
 * changes its subscription, or a subscribed topic's partition count changes), and hands each member its share
 * incrementally: partitions leaving a member are first revoked (its epoch stays until it reports them released),
 * and a partition is only given to its new owner once no other member holds or is still revoking it. Sessions and
 * revocations have deadlines on the coordinator's timer thread. Each group is guarded by its own monitor. What a
 * heartbeat changed is written behind it through {@link ConsumerGroupState}, which holds the groups, writes their
 * records and rebuilds them when this broker loads their partition.
 */
public final class ConsumerGroupCoordinator {
    private static final Logger log = LoggerFactory.getLogger(ConsumerGroupCoordinator.class);
    public static final Set<String> ASSIGNORS = Set.of("uniform", "range");
    /** The member epoch a static member sends when it leaves for a while (it may return under the same instance id). */
    static final int LEAVE_STATIC = -2;

    /** A topic as the assignors see it. */
    public record TopicMeta(String name, Uuid id, int partitions) {
    }

    /** A partition, keyed by topic id as the protocol addresses it. */
    public record Tp(Uuid topicId, int partition) {
    }

    /** A heartbeat; null fields mean "unchanged since the last heartbeat". */
    public record Heartbeat(String groupId, String memberId, int memberEpoch, String instanceId, String rackId, int rebalanceTimeoutMs,
                            List<String> subscribedTopicNames, String subscribedTopicRegex, String serverAssignor,
                            Set<Tp> ownedPartitions, String clientId, String clientHost) {
    }

    /** The answer: the assignment is null when it did not change since the member last got it. */
    public record HeartbeatResult(short error, String message, String memberId, int memberEpoch, int heartbeatIntervalMs,
                                  Set<Tp> assignment) {
    }

    private final ConsumerGroupState groups;
    private final ScheduledExecutorService timers;
    private final Predicate<String> classicGroupInUse;
    private final int sessionTimeoutMs;
    private final int heartbeatIntervalMs;

    ConsumerGroupCoordinator(ScheduledExecutorService timers, Predicate<String> classicGroupInUse, int sessionTimeoutMs,
                             int heartbeatIntervalMs, GroupStateWriter writer) {
        this.timers = timers;
        this.groups = new ConsumerGroupState(writer, timers, this::startDeadlines);
        this.classicGroupInUse = classicGroupInUse;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.heartbeatIntervalMs = heartbeatIntervalMs;
    }

    /** The groups' holder and writer, which {@link GroupStateLoader} hands loaded records to. */
    ConsumerGroupState state() {
        return groups;
    }

    /** A group just rebuilt from its records: sessions and pending revocations' deadlines start now (under its monitor). */
    private void startDeadlines(ConsumerGroup group) {
        for (Member m : group.members.values()) {
            scheduleSession(group, m, null);
            if (!m.pendingRevocation.isEmpty()) {
                scheduleRevocation(group, m, null);
            }
        }
    }

    private HeartbeatResult error(Errors error, String message, Heartbeat request) {
        return new HeartbeatResult(error.code(), message, request.memberId(), request.memberEpoch(), 0, null);
    }

    /** Handles a heartbeat; the state it changed is written behind (see {@link #heartbeatDurable}). */
    public HeartbeatResult heartbeat(Heartbeat request, Map<String, TopicMeta> topics) {
        return heartbeat(request, topics, written -> { });
    }

    /**
     * Handles a heartbeat and completes once the group state it changed is durable in the group's partition (at once
     * when nothing changed), as Kafka answers; when that write fails, with the error the write failed with.
     */
    public CompletableFuture<HeartbeatResult> heartbeatDurable(Heartbeat request, Map<String, TopicMeta> topics) {
        CompletableFuture<Void>[] write = new CompletableFuture[1];
        HeartbeatResult result = heartbeat(request, topics, w -> write[0] = w);
        if (write[0] == null || (write[0].isDone() && !write[0].isCompletedExceptionally())) {
            return CompletableFuture.completedFuture(result);
        }
        return write[0].handle((ok, failure) -> failure == null ? result
                : error(CoordinatorWriteErrors.of(failure), null, request));
    }

    private HeartbeatResult heartbeat(Heartbeat request, Map<String, TopicMeta> topics,
                                      java.util.function.Consumer<CompletableFuture<Void>> written) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return error(Errors.INVALID_REQUEST, "GroupId can't be empty.", request);
        }
        if (request.serverAssignor() != null && !ASSIGNORS.contains(request.serverAssignor())) {
            return error(Errors.UNSUPPORTED_ASSIGNOR, "Assignor " + request.serverAssignor() + " is not supported; use uniform or range.",
                    request);
        }
        if (request.subscribedTopicRegex() != null) {
            try {
                Pattern.compile(request.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                return error(Errors.INVALID_REGULAR_EXPRESSION, e.getMessage(), request);
            }
        }
        if (request.memberEpoch() == 0 && request.subscribedTopicNames() == null && request.subscribedTopicRegex() == null) {
            return error(Errors.INVALID_REQUEST, "SubscribedTopicNames or SubscribedTopicRegex must be set when joining.", request);
        }
        if (!groups.contains(request.groupId()) && classicGroupInUse.test(request.groupId())) {
            return error(Errors.GROUP_ID_NOT_FOUND, "Group " + request.groupId() + " is a classic group with members.", request);
        }
        ConsumerGroup group = groups.getOrCreate(request.groupId());
        synchronized (group) {
            HeartbeatResult result = heartbeatLocked(group, request, topics);
            written.accept(groups.persist(group, request.memberId(), result.memberId()));
            return result;
        }
    }

    /** The heartbeat under the group's monitor (the caller holds it too, and writes what changed). */
    private HeartbeatResult heartbeatLocked(ConsumerGroup group, Heartbeat request, Map<String, TopicMeta> topics) {
        synchronized (group) {
            group.topics = topics;
            if (groups.get(request.groupId()) != group) {
                return error(Errors.COORDINATOR_NOT_AVAILABLE, "Group was deleted.", request);
            }
            Member member = group.members.get(request.memberId());
            if (request.memberEpoch() == LEAVE_STATIC) {
                // A static member leaving for a while: it keeps its partitions until its session times out, so a
                // restarted instance with the same group.instance.id takes them over without a rebalance.
                if (member != null && member.instanceId != null) {
                    member.departed = true;
                    scheduleSession(group, member, topics);
                } else if (member != null) {
                    remove(group, member, topics);
                }
                return new HeartbeatResult(Errors.NONE.code(), null, request.memberId(), request.memberEpoch(), heartbeatIntervalMs, null);
            }
            if (request.memberEpoch() < 0) {
                if (member != null) {
                    remove(group, member, topics);
                }
                return new HeartbeatResult(Errors.NONE.code(), null, request.memberId(), request.memberEpoch(), heartbeatIntervalMs, null);
            }
            boolean bump = false;
            if (request.memberEpoch() == 0) {
                String memberId = request.memberId() == null || request.memberId().isEmpty() ? Uuid.randomUuid().toString()
                        : request.memberId();
                member = group.members.get(memberId);
                Member previous = request.instanceId() == null ? null : group.members.values().stream()
                        .filter(m -> request.instanceId().equals(m.instanceId) && !m.memberId.equals(memberId)).findFirst().orElse(null);
                if (previous != null && !previous.departed) {
                    return error(Errors.UNRELEASED_INSTANCE_ID, "Static member " + request.instanceId() + " of group "
                            + request.groupId() + " is still in use by member " + previous.memberId + ".", request);
                }
                boolean returning = false;
                if (previous != null && member == null) {
                    member = takeOver(group, previous, memberId);
                    returning = true;
                } else if (member != null && member.departed) {
                    // The same static member back under its old member id: it still holds its partitions.
                    member.departed = false;
                    returning = true;
                } else if (member == null) {
                    member = new Member(memberId);
                    group.members.put(memberId, member);
                } else {
                    // A member rejoining from scratch (after being fenced) has released everything.
                    member.assigned.clear();
                    member.pendingRevocation.clear();
                    member.epoch = 0;
                    cancel(member.revocation);
                }
                member.sendAssignment = true;
                bump = !returning;
            } else {
                if (member != null && member.departed) {
                    return error(Errors.FENCED_INSTANCE_ID, "Static member " + member.instanceId + " has left the group.", request);
                }
                if (member == null) {
                    return error(Errors.UNKNOWN_MEMBER_ID, "Member " + request.memberId() + " is not in group " + request.groupId() + ".",
                            request);
                }
                if (request.memberEpoch() != member.epoch) {
                    boolean lostResponse = request.memberEpoch() == member.previousEpoch && request.ownedPartitions() != null
                            && member.assigned.containsAll(request.ownedPartitions());
                    if (!lostResponse) {
                        return error(Errors.FENCED_MEMBER_EPOCH, "The member epoch " + request.memberEpoch() + " is fenced; current is "
                                + member.epoch + ".", request);
                    }
                    member.sendAssignment = true;
                }
            }
            if (request.instanceId() != null) {
                member.instanceId = request.instanceId();
            }
            if (request.rackId() != null) {
                member.rackId = request.rackId();
            }
            if (request.clientId() != null) {
                member.clientId = request.clientId();
                member.clientHost = request.clientHost();
            }
            if (request.rebalanceTimeoutMs() > 0) {
                member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
            }
            if (request.subscribedTopicNames() != null && !new TreeSet<>(request.subscribedTopicNames()).equals(new TreeSet<>(member.topics))) {
                member.topics = List.copyOf(new TreeSet<>(request.subscribedTopicNames()));
                bump = true;
            }
            if (request.subscribedTopicRegex() != null
                    && !request.subscribedTopicRegex().equals(member.regex == null ? "" : member.regex.pattern())) {
                member.regex = request.subscribedTopicRegex().isEmpty() ? null : Pattern.compile(request.subscribedTopicRegex());
                bump = true;
            }
            if (request.serverAssignor() != null && !request.serverAssignor().equals(member.assignor)) {
                member.assignor = request.serverAssignor();
                bump = true;
            }
            if (request.ownedPartitions() != null) {
                member.owned = Set.copyOf(request.ownedPartitions());
            }
            scheduleSession(group, member, topics);
            String fingerprint = group.fingerprint(topics);
            if (bump || !fingerprint.equals(group.fingerprint)) {
                group.fingerprint = fingerprint;
                group.newTarget(topics);
            }
            reconcile(group, member, topics);
            Set<Tp> assignment = null;
            if (member.sendAssignment) {
                member.sendAssignment = false;
                assignment = Set.copyOf(member.assigned);
            }
            return new HeartbeatResult(Errors.NONE.code(), null, member.memberId, member.epoch, heartbeatIntervalMs, assignment);
        }
    }

    /**
     * A restarted static member (same group.instance.id, new member id) replaces the one that left with epoch -2:
     * it inherits the subscription, the partitions and the epoch, and nobody else's assignment moves.
     */
    private Member takeOver(ConsumerGroup group, Member previous, String memberId) {
        group.members.remove(previous.memberId);
        cancel(previous.session);
        cancel(previous.revocation);
        Member member = new Member(memberId);
        member.instanceId = previous.instanceId;
        member.rackId = previous.rackId;
        member.epoch = previous.epoch;
        member.previousEpoch = previous.previousEpoch;
        member.rebalanceTimeoutMs = previous.rebalanceTimeoutMs;
        member.topics = previous.topics;
        member.regex = previous.regex;
        member.assignor = previous.assignor;
        member.assigned = previous.assigned;
        member.pendingRevocation = previous.pendingRevocation;
        group.members.put(memberId, member);
        Set<Tp> target = group.target.remove(previous.memberId);
        if (target != null) {
            group.target.put(memberId, target);
        }
        group.allDirty = true;
        log.debug("Static member {} of consumer group {} rejoined as {}", member.instanceId, group.groupId, memberId);
        return member;
    }

    /** Moves a member one step towards its target: revoke first, then take what nobody else holds. */
    private void reconcile(ConsumerGroup group, Member member, Map<String, TopicMeta> topics) {
        Set<Tp> target = group.target.getOrDefault(member.memberId, Set.of());
        if (!member.pendingRevocation.isEmpty()) {
            boolean stillOwned = member.owned.stream().anyMatch(member.pendingRevocation::contains);
            if (stillOwned) {
                return;
            }
            member.pendingRevocation.clear();
            cancel(member.revocation);
        }
        Set<Tp> revoke = new HashSet<>(member.assigned);
        revoke.removeAll(target);
        if (!revoke.isEmpty()) {
            member.assigned.removeAll(revoke);
            member.pendingRevocation = revoke;
            member.sendAssignment = true;
            scheduleRevocation(group, member, topics);
            return;
        }
        Set<Tp> heldByOthers = new HashSet<>();
        for (Member other : group.members.values()) {
            if (other != member) {
                heldByOthers.addAll(other.assigned);
                heldByOthers.addAll(other.pendingRevocation);
            }
        }
        for (Tp tp : target) {
            if (!member.assigned.contains(tp) && !heldByOthers.contains(tp)) {
                member.assigned.add(tp);
                member.sendAssignment = true;
            }
        }
        if (member.epoch != group.assignmentEpoch) {
            member.previousEpoch = member.epoch;
            member.epoch = group.assignmentEpoch;
        }
    }

    private void remove(ConsumerGroup group, Member member, Map<String, TopicMeta> topics) {
        group.members.remove(member.memberId);
        cancel(member.session);
        cancel(member.revocation);
        if (topics == null) {
            // Loaded and nobody heartbeated since: the next heartbeat computes the new target.
            group.target.remove(member.memberId);
            group.fingerprint = "";
            group.allDirty = true;
            return;
        }
        group.fingerprint = group.fingerprint(topics);
        group.newTarget(topics);
    }

    private void scheduleSession(ConsumerGroup group, Member member, Map<String, TopicMeta> topics) {
        cancel(member.session);
        member.session = timers.schedule(() -> {
            synchronized (group) {
                if (group.members.get(member.memberId) == member) {
                    log.debug("Member {} of consumer group {} missed its session timeout", member.memberId, group.groupId);
                    remove(group, member, group.topics != null ? group.topics : topics);
                    groups.persist(group);
                }
            }
        }, sessionTimeoutMs, TimeUnit.MILLISECONDS);
    }

    /** The member must report its revoked partitions released within its rebalance timeout, or it is removed. */
    private void scheduleRevocation(ConsumerGroup group, Member member, Map<String, TopicMeta> topics) {
        int epoch = member.epoch;
        cancel(member.revocation);
        member.revocation = timers.schedule(() -> {
            synchronized (group) {
                if (group.members.get(member.memberId) == member && member.epoch == epoch && !member.pendingRevocation.isEmpty()) {
                    log.info("Member {} of group {} did not revoke {} within its rebalance timeout; it is removed", member.memberId,
                            group.groupId, member.pendingRevocation);
                    remove(group, member, group.topics != null ? group.topics : topics);
                    groups.persist(group);
                }
            }
        }, member.rebalanceTimeoutMs, TimeUnit.MILLISECONDS);
    }

    static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    // ---- Used by offsets, listing, describing and deleting ------------------------------------------------

    public boolean exists(String groupId) {
        return groups.contains(groupId);
    }

    public boolean hasMembers(String groupId) {
        ConsumerGroup group = groups.get(groupId);
        if (group == null) {
            return false;
        }
        synchronized (group) {
            return !group.members.isEmpty();
        }
    }

    /** NONE when the commit (or fetch) comes from a current member at its current epoch, or from outside while empty. */
    public Errors validateCommit(String groupId, int memberEpoch, String memberId) {
        ConsumerGroup group = groups.get(groupId);
        if (group == null) {
            return Errors.NONE;
        }
        synchronized (group) {
            if (memberEpoch < 0 && (memberId == null || memberId.isEmpty())) {
                return group.members.isEmpty() ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
            }
            Member member = group.members.get(memberId);
            if (member == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            return memberEpoch == member.epoch ? Errors.NONE : Errors.STALE_MEMBER_EPOCH;
        }
    }

    /** Deletes an empty group: NONE, NON_EMPTY_GROUP, or empty when there is no such consumer group. */
    public Optional<Errors> delete(String groupId) {
        ConsumerGroup group = groups.get(groupId);
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

    public List<String> groupIds() {
        return groups.groupIds();
    }

    /** A snapshot for ConsumerGroupDescribe and ListGroups. */
    public record GroupView(String groupId, String state, int epoch, int assignmentEpoch, String assignor, List<MemberView> members) {
    }

    public record MemberView(String memberId, String instanceId, String rackId, int epoch, String clientId, String clientHost,
                             List<String> topics, String regex, Set<Tp> assigned, Set<Tp> target) {
    }

    public Optional<GroupView> describe(String groupId) {
        ConsumerGroup group = groups.get(groupId);
        if (group == null) {
            return Optional.empty();
        }
        synchronized (group) {
            List<MemberView> members = new ArrayList<>();
            group.members.values().stream().sorted(Comparator.comparing(m -> m.memberId)).forEach(m -> members.add(new MemberView(
                    m.memberId, m.instanceId, m.rackId, m.epoch, m.clientId, m.clientHost, m.topics, m.regex == null ? null : m.regex.pattern(), Set.copyOf(m.assigned),
                    Set.copyOf(group.target.getOrDefault(m.memberId, Set.of())))));
            return Optional.of(new GroupView(groupId, group.state(), group.epoch, group.assignmentEpoch, group.assignor, members));
        }
    }
}
