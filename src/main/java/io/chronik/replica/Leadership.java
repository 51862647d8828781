package io.chronik.replica;

import io.chronik.log.EpochEndOffset;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * What the request handlers ask about partition leadership: may this broker serve a partition as leader, has an
 * acks=all append reached the ISR, and the leader's side of a follower's fetch. A broker running alone leads
 * everything it has ({@link #ALONE}); in a cluster the replica manager answers from the metadata.
 */
public interface Leadership {

    /**
     * Null when this broker leads the partition in {@code currentLeaderEpoch} (-1: the client did not say);
     * otherwise the error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH,
     * UNKNOWN_TOPIC_OR_PARTITION) with what is known of the leader.
     */
    NotLeader checkLeader(String topic, int partition, int currentLeaderEpoch);

    /**
     * Like {@link #checkLeader}, for appends (Produce, DeleteRecords): a leader in controlled shutdown takes no more
     * appends, so the leaders that take over have everything it acknowledged.
     */
    default NotLeader checkAppend(String topic, int partition) {
        return checkLeader(topic, partition, -1);
    }

    /** NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas (nothing may be appended), else NONE. */
    Errors checkEnoughReplicas(String topic, int partition);

    /**
     * After a leader append ending at {@code lastOffset}: moves the high watermark if it can and, for acks=all,
     * completes once every ISR member has the records (NONE), or with the error that ended the wait.
     */
    CompletableFuture<Errors> afterLeaderAppend(String topic, int partition, long lastOffset, boolean acksAll, long timeoutMs);

    /**
     * The leader's side of a fetch by follower {@code replicaId}: null to read on (its position is recorded), a
     * {@link ReplicaFetchCheck} with an error, or with the epoch where the follower's log diverges.
     */
    ReplicaFetchCheck replicaFetch(int replicaId, String topic, int partition, int currentLeaderEpoch, long fetchOffset,
                                   int lastFetchedEpoch);

    /**
     * The first offset of this leader's current epoch; -1 when not leading (or alone), Long.MAX_VALUE while leading
     * but not yet known. A high watermark below it is not established yet (ListOffsets answers OFFSET_NOT_AVAILABLE).
     */
    long epochStartOffset(String topic, int partition);

    /**
     * The leader's replication throttle for a fetch of the partition by follower {@code replicaId}: -1 when the
     * partition is not throttled here; otherwise how many bytes may go to this follower now (0 while the leader's
     * quota is exceeded; Long.MAX_VALUE for an in-sync follower, whose bytes are counted but never held back).
     */
    default long throttledFetchAllowance(int replicaId, String topic, int partition) {
        return -1;
    }

    /** Bytes of throttled partitions an answered follower fetch carried: they count against the leader's quota. */
    default void throttledFetchSent(long bytes) {
    }

    /** An error, or a divergence: exactly one of the two is set. */
    record ReplicaFetchCheck(NotLeader error, EpochEndOffset diverging) {
    }

    /** A broker without a cluster: it leads every partition it has and has no followers. */
    Leadership ALONE = new Leadership() {
        @Override
        public NotLeader checkLeader(String topic, int partition, int currentLeaderEpoch) {
            return null;
        }

        @Override
        public Errors checkEnoughReplicas(String topic, int partition) {
            return Errors.NONE;
        }

        @Override
        public CompletableFuture<Errors> afterLeaderAppend(String topic, int partition, long lastOffset, boolean acksAll,
                                                           long timeoutMs) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }

        @Override
        public ReplicaFetchCheck replicaFetch(int replicaId, String topic, int partition, int currentLeaderEpoch,
                                              long fetchOffset, int lastFetchedEpoch) {
            return new ReplicaFetchCheck(NotLeader.of(Errors.NOT_LEADER_OR_FOLLOWER), null);
        }

        @Override
        public long epochStartOffset(String topic, int partition) {
            return -1;
        }
    };
}
