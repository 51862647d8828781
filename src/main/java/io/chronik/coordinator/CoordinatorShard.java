package io.chronik.coordinator;

import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * A coordinator's in-memory state for one partition of its internal topic, rebuilt by replaying the partition and
 * then kept current by the writes the {@link CoordinatorRuntime} applies. Replays happen on the runtime's loader
 * thread, writes complete on storage or replication threads: a shard keeps its state safe to read concurrently.
 */
public interface CoordinatorShard {

    /**
     * Applies one batch read from the partition's log while loading (data or control batch, in log order); records
     * before {@code fromOffset} in it were replayed already.
     */
    void replay(RecordBatch batch, long fromOffset);

    /** The partition's log has been replayed to its end: the shard is served from now on. */
    default void loaded() {
    }

    /** This broker stopped leading the partition: the shard is no longer served (timers may stop). */
    default void unloaded() {
    }
}
