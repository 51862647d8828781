package io.chronik.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Futures waiting until the metadata state machine has applied a log index. Each waiter is removed when it
 * completes, timed out or not, so nothing accumulates while the quorum is silent.
 */
final class AppliedIndexWaiters {
    private final TreeMap<Long, List<CompletableFuture<Void>>> waiting = new TreeMap<>();
    private long applied = -1;

    /** Completes once index {@code index} is applied (at once if it already is). */
    CompletableFuture<Void> await(long index) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            if (index <= applied) {
                return CompletableFuture.completedFuture(null);
            }
            waiting.computeIfAbsent(index, k -> new ArrayList<>(1)).add(done);
        }
        done.whenComplete((v, e) -> {
            if (e != null) {
                synchronized (this) {
                    List<CompletableFuture<Void>> at = waiting.get(index);
                    if (at != null && at.remove(done) && at.isEmpty()) {
                        waiting.remove(index);
                    }
                }
            }
        });
        return done;
    }

    /** The state machine has applied everything up to {@code index}. */
    void applied(long index) {
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (this) {
            if (index <= applied) {
                return;
            }
            applied = index;
            Map<Long, List<CompletableFuture<Void>>> head = waiting.headMap(index, true);
            head.values().forEach(ready::addAll);
            head.clear();
        }
        ready.forEach(f -> f.complete(null));
    }
}
