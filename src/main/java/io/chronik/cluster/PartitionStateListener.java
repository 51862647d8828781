package io.chronik.cluster;

import java.util.List;

/**
 * What the replica layer hears from the {@link MetadataPublisher} once this broker's logs follow the cluster image:
 * which local partitions changed and which stopped being local. Called on the publisher's thread, in order.
 */
public interface PartitionStateListener {
    /** In metadata order, after the logs exist: every local partition whose registration changed (new,
     *  leader, leader epoch, ISR, replicas, partition epoch). image is the image they come from. */
    void onPartitionsChanged(ClusterImage image, List<LocalPartition> changed);

    /** Local partitions that stopped being local (topic deleted or replica removed), before their logs are deleted. */
    void onPartitionsRemoved(List<LocalPartition> removed);
}
