package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The boundary between the group coordinators and their durable state: every write of coordinator state goes
 * through here, and every read of durable state comes from here. {@link OffsetsTopicStore} backs it with the
 * partitions of {@code __consumer_offsets} (alone and in a cluster; {@link OffsetStore}, the broker-local log of
 * earlier releases, is only read to move its offsets there): it loads a partition's records when this broker becomes its leader, answers
 * {@link #availability} with COORDINATOR_LOAD_IN_PROGRESS until they are loaded and NOT_COORDINATOR once
 * leadership is lost, and fails writes it can no longer make durable.
 *
 * <p>Writes return futures completed once the change is durable; only then is it visible to reads. Reads are
 * in memory and never block, so they may be called on an event loop.
 */
public interface GroupStateStore extends AutoCloseable {

    /**
     * Whether this broker can serve {@code groupId}'s state now: NONE, COORDINATOR_LOAD_IN_PROGRESS while the
     * state is being loaded, or NOT_COORDINATOR when another broker holds it. The local store always answers NONE.
     */
    default Errors availability(String groupId) {
        return Errors.NONE;
    }

    /** Commits offsets of one group; completes once they are durable (and visible). */
    CompletableFuture<Void> commit(String groupId, Map<TopicPartition, Committed> commits);

    /** Deletes some of a group's offsets; completes once that is durable. */
    CompletableFuture<Void> delete(String groupId, Iterable<TopicPartition> partitions);

    /** Deletes every offset of a group; completes once that is durable. */
    CompletableFuture<Void> deleteGroup(String groupId);

    /**
     * Writes offsets of a producer's open transaction (TxnOffsetCommit): pending until a transaction marker of the
     * producer commits them (they become committed offsets) or aborts them (dropped); completes once durable.
     */
    default CompletableFuture<Void> commitTransactional(String groupId, long producerId, short producerEpoch,
                                                        Map<TopicPartition, Committed> commits) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no transactional offsets in this store"));
    }

    /** Whether an open transaction has committed an offset of the group's partition (not visible yet). */
    default boolean hasPendingOffset(String groupId, TopicPartition tp) {
        return false;
    }

    /** The group's partitions with offsets committed by open transactions. */
    default java.util.List<TopicPartition> pendingPartitions(String groupId) {
        return java.util.List.of();
    }

    /**
     * The partition of the group's state (its coordinator's shard); groups of one partition are loaded and dropped
     * together (see {@link Listener}).
     */
    default int partitionOf(String groupId) {
        return 0;
    }

    /**
     * Writes group membership records ({@link GroupRecords}: key, value or null for a tombstone) to the group's
     * partition; completes once durable.
     */
    default CompletableFuture<Void> writeGroupRecords(String groupId, java.util.List<byte[][]> records) {
        return CompletableFuture.completedFuture(null);
    }

    /** Told of the membership records of each partition this store loads, and of the partitions it stops serving. */
    default void listen(Listener listener) {
    }

    /** Hears the group membership of the partitions a store serves. */
    interface Listener {
        /**
         * The partition was loaded: the latest membership record of each key in it (group records only). Called
         * before the partition's groups are served.
         */
        void loaded(int partition, Map<java.nio.ByteBuffer, byte[]> records);

        /** The partition is no longer served by this broker. */
        void unloaded(int partition);
    }

    /** The committed offsets of one group (empty when it has none). */
    Map<TopicPartition, Committed> offsets(String groupId);

    /** Every group's committed offsets (for lag). */
    Map<String, Map<TopicPartition, Committed>> allOffsets();

    /** The groups that have committed offsets. */
    Set<String> groups();

    @Override
    void close() throws IOException;
}
