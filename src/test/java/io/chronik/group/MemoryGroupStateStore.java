package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** Durable state in memory; groups in {@code unavailable} answer with their error. */
public class MemoryGroupStateStore implements GroupStateStore {
    public final Map<String, Map<TopicPartition, Committed>> offsets = new ConcurrentHashMap<>();
    public final Map<String, Errors> unavailable = new ConcurrentHashMap<>();
    public volatile boolean closed;

    @Override
    public Errors availability(String groupId) {
        return unavailable.getOrDefault(groupId, Errors.NONE);
    }

    @Override
    public CompletableFuture<Void> commit(String groupId, Map<TopicPartition, Committed> commits) {
        offsets.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>()).putAll(commits);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> delete(String groupId, Iterable<TopicPartition> partitions) {
        offsets.computeIfPresent(groupId, (g, map) -> {
            partitions.forEach(map::remove);
            return map.isEmpty() ? null : map;
        });
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> deleteGroup(String groupId) {
        offsets.remove(groupId);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Map<TopicPartition, Committed> offsets(String groupId) {
        return Map.copyOf(offsets.getOrDefault(groupId, Map.of()));
    }

    @Override
    public Map<String, Map<TopicPartition, Committed>> allOffsets() {
        Map<String, Map<TopicPartition, Committed>> copy = new HashMap<>();
        offsets.forEach((g, map) -> copy.put(g, Map.copyOf(map)));
        return copy;
    }

    @Override
    public Set<String> groups() {
        return Set.copyOf(offsets.keySet());
    }

    @Override
    public void close() {
        closed = true;
    }
}
