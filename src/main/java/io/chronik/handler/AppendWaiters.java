package io.chronik.handler;

import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parks long-polling fetches until an append reaches one of their partitions or their wait runs out. Each
 * partition's append signal gets exactly one callback however many fetches wait on it, and a fetch that times
 * out removes itself, so idle partitions accumulate nothing.
 */
final class AppendWaiters {
    private final Map<CompletableFuture<Void>, Set<Runnable>> waiting = new ConcurrentHashMap<>();

    /** Completes when any signal fires or after {@code timeout}, whichever is first. */
    Mono<Void> await(List<CompletableFuture<Void>> signals, Duration timeout) {
        Mono<Void> wake = Mono.create(sink -> {
            Runnable waiter = sink::success;
            for (CompletableFuture<Void> signal : signals) {
                if (signal.isDone()) {
                    sink.success();
                    return;
                }
            }
            for (CompletableFuture<Void> signal : signals) {
                register(signal, waiter);
            }
            sink.onDispose(() -> {
                for (CompletableFuture<Void> signal : signals) {
                    Set<Runnable> set = waiting.get(signal);
                    if (set != null) {
                        set.remove(waiter);
                    }
                }
            });
        });
        return wake.timeout(timeout, Mono.empty());
    }

    private void register(CompletableFuture<Void> signal, Runnable waiter) {
        Set<Runnable> fresh = ConcurrentHashMap.newKeySet();
        Set<Runnable> set = waiting.putIfAbsent(signal, fresh);
        if (set == null) {
            set = fresh;
            set.add(waiter);
            signal.whenComplete((v, e) -> fire(signal));
        } else {
            set.add(waiter);
        }
        if (signal.isDone()) {
            // The signal may have fired between lookup and add; never leave a waiter behind.
            fire(signal);
            waiter.run();
        }
    }

    private void fire(CompletableFuture<Void> signal) {
        Set<Runnable> set = waiting.remove(signal);
        if (set != null) {
            set.forEach(Runnable::run);
        }
    }
}
