package io.chronik.cluster;

import java.util.UUID;

/** A partition this broker is a replica of, with its registration in the cluster image. */
public record LocalPartition(UUID topicId, String topic, int partition, PartitionRegistration registration) {
}
