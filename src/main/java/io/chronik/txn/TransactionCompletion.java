package io.chronik.txn;

import io.chronik.coordinator.CoordinatorRuntime;
import io.chronik.txn.TransactionStateShard.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Completes prepared transactions: sends the markers of a PrepareCommit/PrepareAbort through the
 * {@link TransactionMarkerSender}, then writes CompleteCommit/CompleteAbort. Counts the transactions with markers in
 * flight (callers refuse new completions beyond their bound). A loaded partition's prepared transactions are completed
 * again.
 */
final class TransactionCompletion {
    private static final Logger log = LoggerFactory.getLogger(TransactionCompletion.class);

    private final CoordinatorRuntime<TransactionStateShard> runtime;
    private final TransactionStateWriter writer;
    private final TransactionMarkerSender markers;
    private final Executor executor;
    private final AtomicInteger completing = new AtomicInteger();

    TransactionCompletion(CoordinatorRuntime<TransactionStateShard> runtime, TransactionStateWriter writer,
                          TransactionMarkerSender markers, Executor executor) {
        this.runtime = runtime;
        this.writer = writer;
        this.markers = markers;
        this.executor = executor;
    }

    /** Transactions with markers in flight now. */
    int completing() {
        return completing.get();
    }

    /** Sends the markers of the entry's PrepareCommit/PrepareAbort unless they are in flight, then completes it. */
    void startMarkers(TransactionStateShard shard, Entry entry) {
        TransactionMetadata prepared;
        synchronized (entry) {
            prepared = entry.current;
            if (!prepared.state().preparing() || entry.markersInFlight || entry.pending != null || !shard.served()) {
                return;
            }
            entry.markersInFlight = true;
        }
        completing.incrementAndGet();
        int coordinatorEpoch = runtime.leaderEpoch(shard.partition());
        markers.send(new TransactionMarkerSender.Markers(prepared.producerId(), prepared.producerEpoch(), coordinatorEpoch,
                        prepared.state() == TransactionState.PREPARE_COMMIT, prepared.partitions()), shard::served)
                .thenCompose(v -> {
                    TransactionMetadata completed;
                    synchronized (entry) {
                        if (entry.current != prepared || entry.pending != null) {
                            return CompletableFuture.<Void>completedFuture(null);
                        }
                        completed = prepared.complete(System.currentTimeMillis());
                        entry.pending = completed;
                    }
                    return writer.write(shard, entry, completed);
                })
                .whenComplete((v, e) -> {
                    synchronized (entry) {
                        entry.markersInFlight = false;
                    }
                    completing.decrementAndGet();
                    if (e != null) {
                        // Tried again by the next sweep while this broker still coordinates the id.
                        log.debug("Completing transaction {}: {}", entry.transactionalId, e.toString());
                    }
                });
    }

    /** A partition was loaded: complete the transactions it holds prepared. */
    void onLoaded(TransactionStateShard shard) {
        executor.execute(() -> shard.entries().values().forEach(entry -> startMarkers(shard, entry)));
    }
}
