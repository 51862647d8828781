package io.chronik.cluster;

/**
 * Reacts to the cluster metadata as the quorum applies it (become leader or follower of a partition, delete a
 * topic's files, ...). Called on the quorum's apply thread in log order: a listener returns quickly and hands
 * slow work elsewhere.
 */
public interface MetadataListener {

    /** After {@code command}, committed at {@code index}, was applied (or refused: see {@code result}). */
    void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image);

    /** After a snapshot was loaded at startup or installed from the leader: {@code image} replaces everything. */
    default void onImageLoaded(long index, ClusterImage image) {
    }

    /** The quorum has a new leader (-1 while there is none); {@code self} when it is this broker. */
    default void onLeaderChanged(int leaderId, boolean self) {
    }
}
