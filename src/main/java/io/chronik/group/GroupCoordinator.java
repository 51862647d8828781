package io.chronik.group;

import io.chronik.group.ClassicGroup.Join;
import io.chronik.group.ClassicGroup.JoinResult;
import io.chronik.group.ClassicGroup.SyncResult;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The group coordinator: one entry point over its parts, which share one timer thread and one group id space.
 * {@link ClassicGroupCoordinator} (with {@link ClassicRebalancer}) runs classic group membership and rebalancing,
 * {@link ConsumerGroupCoordinator} the consumer protocol (KIP-848), {@link OffsetManager} committed offsets and
 * their expiration; all durable state goes through one {@link GroupStateStore}. Here: describing, listing and
 * deleting groups of either protocol. Never blocks the caller.
 */
public final class GroupCoordinator implements AutoCloseable {
    /** Every session, rebalance and sync deadline and the offset expiry sweep. */
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "chronik-group-timers");
        t.setDaemon(true);
        return t;
    });
    private final GroupStateStore store;
    private final ClassicGroupCoordinator classicGroups;
    private final ConsumerGroupCoordinator consumerGroups;
    private final OffsetManager offsets;
    private final GroupStateWriter writer;

    /**
     * The coordinator's settings: classic session timeouts outside [min, max] are refused with
     * INVALID_SESSION_TIMEOUT (Kafka's group.min/max.session.timeout.ms); the consumer protocol's (KIP-848) session
     * timeout and heartbeat interval are set by the broker.
     */
    public record Settings(long initialRebalanceDelayMs, long offsetsRetentionMs, int minSessionTimeoutMs, int maxSessionTimeoutMs,
                           int consumerSessionTimeoutMs, int consumerHeartbeatIntervalMs) {
    }

    public GroupCoordinator(GroupStateStore store, long initialRebalanceDelayMs, long offsetsRetentionMs) {
        this(store, new Settings(initialRebalanceDelayMs, offsetsRetentionMs, 6_000, 1_800_000, 45_000, 5_000));
    }

    public GroupCoordinator(GroupStateStore store, Settings settings) {
        this.store = store;
        // Cancelled deadlines leave the queue at once instead of piling up until they would have fired.
        timers.setRemoveOnCancelPolicy(true);
        this.writer = new GroupStateWriter(store);
        this.consumerGroups = new ConsumerGroupCoordinator(timers, this::classicHasMembers, settings.consumerSessionTimeoutMs(),
                settings.consumerHeartbeatIntervalMs(), writer);
        this.classicGroups = new ClassicGroupCoordinator(timers, this::consumerHasMembers, settings.initialRebalanceDelayMs(),
                settings.minSessionTimeoutMs(), settings.maxSessionTimeoutMs(), writer);
        this.offsets = new OffsetManager(store, classicGroups, consumerGroups, timers, settings.offsetsRetentionMs());
        store.listen(new GroupStateLoader(store, writer, classicGroups.state(), consumerGroups.state()));
    }

    /** The durable state the coordinator's parts write through (read for consumer lag). */
    public GroupStateStore offsets() {
        return store;
    }

    /** Committed offsets: commit validation, commit, fetch, delete. */
    public OffsetManager offsetManager() {
        return offsets;
    }

    /** The KIP-848 consumer groups, which share the group id space and the committed offsets with classic groups. */
    public ConsumerGroupCoordinator consumerGroups() {
        return consumerGroups;
    }

    // Classic groups separate from the consumer groups: the two predicates break the construction cycle.
    private boolean classicHasMembers(String groupId) {
        return classicGroups.hasMembers(groupId);
    }

    private boolean consumerHasMembers(String groupId) {
        return consumerGroups.hasMembers(groupId);
    }

    // ---- Classic group membership -------------------------------------------------------------------------

    public CompletableFuture<JoinResult> join(Join request) {
        return classicGroups.join(request);
    }

    public CompletableFuture<SyncResult> sync(String groupId, int generation, String memberId, String groupInstanceId,
                                              Map<String, byte[]> assignments) {
        return classicGroups.sync(groupId, generation, memberId, groupInstanceId, assignments);
    }

    public short heartbeat(String groupId, int generation, String memberId, String groupInstanceId) {
        return classicGroups.heartbeat(groupId, generation, memberId, groupInstanceId);
    }

    /** Removes members; returns an error per member id (NONE or UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID). */
    public List<Short> leave(String groupId, List<String[]> memberIdAndInstanceIds) {
        return classicGroups.leave(groupId, memberIdAndInstanceIds);
    }

    /** Checks that a commit comes from a current member (or is a standalone commit); NONE when allowed. */
    public short validateCommit(String groupId, int generation, String memberId, String groupInstanceId) {
        return offsets.validateCommit(groupId, generation, memberId, groupInstanceId);
    }

    // ---- Describe, list, delete ---------------------------------------------------------------------------

    /** A snapshot of a group for DescribeGroups and ListGroups. */
    public record GroupView(String groupId, String state, String protocolType, String protocolName, List<MemberView> members) {
    }

    public record MemberView(String memberId, String groupInstanceId, String clientId, String clientHost, byte[] metadata,
                             byte[] assignment) {
    }

    public Optional<GroupView> describe(String groupId) {
        Optional<GroupView> classic = classicGroups.describe(groupId);
        if (classic.isPresent()) {
            return classic;
        }
        return offsets.offsets(groupId).isEmpty() ? Optional.empty()
                : Optional.of(new GroupView(groupId, "Empty", "consumer", "", List.of()));
    }

    public List<GroupView> list() {
        Set<String> ids = new TreeSet<>(classicGroups.groupIds());
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
        Optional<Errors> consumerGroup = consumerGroups.delete(groupId);
        if (consumerGroup.isPresent() && consumerGroup.get() != Errors.NONE) {
            return CompletableFuture.completedFuture(consumerGroup.get().code());
        }
        Optional<Errors> classicGroup = classicGroups.delete(groupId);
        if (classicGroup.isPresent() && classicGroup.get() != Errors.NONE) {
            return CompletableFuture.completedFuture(classicGroup.get().code());
        }
        if (consumerGroup.isEmpty() && classicGroup.isEmpty() && offsets.offsets(groupId).isEmpty()) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND.code());
        }
        // The group's membership records were tombstoned with it; its offsets go too.
        CompletableFuture<Void> membership = writer.write(groupId, Map.of(), true);
        return CompletableFuture.allOf(membership, offsets.deleteGroup(groupId))
                .handle((ok, e) -> CoordinatorWriteErrors.of(e).code());
    }

    /** Whether a classic or a consumer group by this id has members. */
    public boolean hasMembers(String groupId) {
        return classicHasMembers(groupId) || consumerHasMembers(groupId);
    }

    @Override
    public void close() throws Exception {
        timers.shutdownNow();
        store.close();
    }
}
