package io.chronik.replica;

import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The acks=all purgatory of one partition: produce answers waiting for the high watermark to pass their last
 * offset, woken by the high watermark moving, never by a timer. Bounded by the produce requests in flight, which
 * the listener bounds. Callers synchronise on the partition.
 */
final class HighWatermarkWaiters {
    /** Waiters by the high watermark they need (last offset + 1). */
    private final TreeMap<Long, List<CompletableFuture<Errors>>> byOffset = new TreeMap<>();

    void add(long requiredHighWatermark, CompletableFuture<Errors> waiter) {
        byOffset.computeIfAbsent(requiredHighWatermark, k -> new ArrayList<>(2)).add(waiter);
    }

    /** Removes and returns the waiters whose offset the high watermark has reached. */
    List<CompletableFuture<Errors>> reached(long highWatermark) {
        List<CompletableFuture<Errors>> done = new ArrayList<>();
        Map<Long, List<CompletableFuture<Errors>>> head = byOffset.headMap(highWatermark, true);
        head.values().forEach(done::addAll);
        head.clear();
        return done;
    }

    /** Removes and returns every waiter (leadership lost, ISR below its minimum). */
    List<CompletableFuture<Errors>> all() {
        List<CompletableFuture<Errors>> done = new ArrayList<>();
        byOffset.values().forEach(done::addAll);
        byOffset.clear();
        return done;
    }

    void remove(long requiredHighWatermark, CompletableFuture<Errors> waiter) {
        List<CompletableFuture<Errors>> list = byOffset.get(requiredHighWatermark);
        if (list != null && list.remove(waiter) && list.isEmpty()) {
            byOffset.remove(requiredHighWatermark);
        }
    }

    int size() {
        int n = 0;
        for (List<CompletableFuture<Errors>> l : byOffset.values()) {
            n += l.size();
        }
        return n;
    }
}
