package io.chronik.log;

import java.util.Map;
import java.util.UUID;

/**
 * A topic as storage knows it.
 *
 * @param overrides topic-level configuration set explicitly (CreateTopics / AlterConfigs), Kafka key names
 * @param config    the effective configuration (overrides over broker defaults)
 */
public record TopicInfo(String name, UUID id, int partitions, Map<String, String> overrides, LogConfig config) {
}
