package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Committed offsets of classic and consumer groups: which commits are allowed (from a current member of either
 * protocol, or from outside while the group has no members), committing, fetching and deleting them through the
 * {@link GroupStateStore}, and their expiration: offsets of a group that has been empty for longer than the
 * retention expire (one periodic sweep on the coordinator's timer thread, not one task per group).
 */
public final class OffsetManager {
    private static final Logger log = LoggerFactory.getLogger(OffsetManager.class);

    private final GroupStateStore store;
    private final ClassicGroupCoordinator classicGroups;
    private final ConsumerGroupCoordinator consumerGroups;
    private final long retentionMs;

    OffsetManager(GroupStateStore store, ClassicGroupCoordinator classicGroups, ConsumerGroupCoordinator consumerGroups,
                  ScheduledExecutorService timers, long retentionMs) {
        this.store = store;
        this.classicGroups = classicGroups;
        this.consumerGroups = consumerGroups;
        this.retentionMs = retentionMs;
        // Often enough relative to the retention, at most every second.
        long sweep = Math.max(1_000, Math.min(retentionMs / 4, 600_000));
        timers.scheduleWithFixedDelay(this::expireOffsets, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /** Whether this broker can serve the group's offsets now (see {@link GroupStateStore#availability}). */
    public Errors availability(String groupId) {
        return store.availability(groupId);
    }

    /** Checks that a commit comes from a current member (or is a standalone commit); NONE when allowed. */
    public short validateCommit(String groupId, int generationOrMemberEpoch, String memberId, String groupInstanceId) {
        Errors availability = store.availability(groupId);
        if (availability != Errors.NONE) {
            return availability.code();
        }
        if (consumerGroups.exists(groupId) && !classicGroups.hasMembers(groupId)) {
            return consumerGroups.validateCommit(groupId, generationOrMemberEpoch, memberId).code();
        }
        return classicGroups.validateCommit(groupId, generationOrMemberEpoch, memberId, groupInstanceId).code();
    }

    /**
     * Checks a TxnOffsetCommit: from a producer outside the group's membership (no generation, member id or instance
     * id given, as before version 3), or from a current member in its generation. The group may be rebalancing: the
     * offsets only count once the transaction commits. NONE when allowed; a stale consumer-protocol member epoch is
     * ILLEGAL_GENERATION, as for the classic protocol.
     */
    public short validateTransactionalCommit(String groupId, int generationOrMemberEpoch, String memberId,
                                             String groupInstanceId) {
        Errors availability = store.availability(groupId);
        if (availability != Errors.NONE) {
            return availability.code();
        }
        boolean anonymous = generationOrMemberEpoch < 0 && (memberId == null || memberId.isEmpty())
                && groupInstanceId == null;
        if (anonymous) {
            return classicGroups.isDead(groupId) ? Errors.COORDINATOR_NOT_AVAILABLE.code() : Errors.NONE.code();
        }
        Errors error;
        if (consumerGroups.exists(groupId) && !classicGroups.hasMembers(groupId)) {
            error = consumerGroups.validateCommit(groupId, generationOrMemberEpoch, memberId);
        } else {
            error = classicGroups.validateCommit(groupId, generationOrMemberEpoch, memberId, groupInstanceId);
        }
        return switch (error) {
            case STALE_MEMBER_EPOCH -> Errors.ILLEGAL_GENERATION.code();
            case REBALANCE_IN_PROGRESS -> Errors.NONE.code(); // checked after identity and generation
            default -> error.code();
        };
    }

    /** Writes offsets of a producer's open transaction (pending until its marker); completes once durable. */
    public CompletableFuture<Void> commitTransactional(String groupId, long producerId, short producerEpoch,
                                                       Map<TopicPartition, Committed> commits) {
        return store.commitTransactional(groupId, producerId, producerEpoch, commits);
    }

    /** Whether an open transaction has committed an offset of the group's partition (OffsetFetch require_stable). */
    public boolean hasPendingOffset(String groupId, TopicPartition tp) {
        return store.hasPendingOffset(groupId, tp);
    }

    /** The group's partitions with offsets of open transactions. */
    public java.util.List<TopicPartition> pendingPartitions(String groupId) {
        return store.pendingPartitions(groupId);
    }

    /** Commits validated offsets; completes once they are durable. */
    public CompletableFuture<Void> commit(String groupId, Map<TopicPartition, Committed> commits) {
        return store.commit(groupId, commits);
    }

    /** The group's committed offsets (empty when it has none). */
    public Map<TopicPartition, Committed> offsets(String groupId) {
        return store.offsets(groupId);
    }

    /** Deletes some of a group's offsets; completes once that is durable. */
    public CompletableFuture<Void> delete(String groupId, Iterable<TopicPartition> partitions) {
        return store.delete(groupId, partitions);
    }

    /** Deletes every offset of a group; completes once that is durable. */
    CompletableFuture<Void> deleteGroup(String groupId) {
        return store.deleteGroup(groupId);
    }

    /** Groups that have committed offsets. */
    Set<String> groups() {
        return store.groups();
    }

    /** Offsets of groups that have been empty longer than the retention expire. */
    void expireOffsets() {
        forgetEmptyConsumerGroups();
        long now = System.currentTimeMillis();
        Set<String> ids = new HashSet<>(store.groups());
        ids.addAll(classicGroups.groupIds());
        for (String groupId : ids) {
            long newest = newestCommit(groupId);
            Boolean classicExpired = classicGroups.expireIfIdle(groupId, now, newest, retentionMs);
            if (classicExpired == null) {
                if (now - newest > retentionMs && !consumerGroups.hasMembers(groupId)) {
                    expire(groupId);
                }
            } else if (classicExpired) {
                // The group is gone with its offsets, as in Kafka (it became Dead).
                expire(groupId);
            }
        }
    }

    /** Empty consumer-protocol groups without offsets are forgotten. */
    private void forgetEmptyConsumerGroups() {
        for (String groupId : consumerGroups.groupIds()) {
            if (!consumerGroups.hasMembers(groupId) && store.offsets(groupId).isEmpty()) {
                consumerGroups.delete(groupId);
            }
        }
    }

    private void expire(String groupId) {
        if (store.offsets(groupId).isEmpty()) {
            return;
        }
        log.info("Offsets of group {} expired (empty for longer than the retention)", groupId);
        store.deleteGroup(groupId).exceptionally(e -> {
            log.warn("Could not expire offsets of group {}: {}", groupId, e.toString());
            return null;
        });
    }

    private long newestCommit(String groupId) {
        return store.offsets(groupId).values().stream().mapToLong(Committed::commitTimestamp).max().orElse(0);
    }
}
