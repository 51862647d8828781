package io.chronik.txn;

import io.chronik.coordinator.CoordinatorRuntime;
import io.chronik.txn.TransactionStateShard.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's periodic sweep: aborts transactions open longer than their timeout (PrepareAbort with the epoch
 * bumped, fencing the producer), completes prepared ones whose markers are not in flight, and expires ids idle longer
 * than {@code idExpirationMs} (tombstones).
 */
final class TransactionTimer implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(TransactionTimer.class);

    private final CoordinatorRuntime<TransactionStateShard> runtime;
    private final TransactionStateWriter writer;
    private final TransactionCompletion completion;
    private final long idExpirationMs;
    private final int maxCompleting;

    TransactionTimer(CoordinatorRuntime<TransactionStateShard> runtime, TransactionStateWriter writer,
                     TransactionCompletion completion, long idExpirationMs, int maxCompleting) {
        this.runtime = runtime;
        this.writer = writer;
        this.completion = completion;
        this.idExpirationMs = idExpirationMs;
        this.maxCompleting = maxCompleting;
    }

    @Override
    public void run() {
        try {
            long now = System.currentTimeMillis();
            for (TransactionStateShard shard : runtime.shards().values()) {
                for (Entry entry : shard.entries().values()) {
                    sweep(shard, entry, now);
                }
            }
        } catch (RuntimeException e) {
            log.warn("Transaction sweep failed: {}", e.toString());
        }
    }

    private void sweep(TransactionStateShard shard, Entry entry, long now) {
        TransactionMetadata target = null;
        boolean complete = false;
        synchronized (entry) {
            TransactionMetadata m = entry.current;
            if (entry.pending != null || entry.markersInFlight) {
                return;
            }
            if (m.timedOut(now) && completion.completing() < maxCompleting) {
                log.info("Aborting transaction {} of producer {} (epoch {}): open for more than {} ms",
                        entry.transactionalId, m.producerId(), m.producerEpoch(), m.timeoutMs());
                target = m.prepareFencedAbort(now);
            } else if (m.state().preparing()) {
                complete = completion.completing() < maxCompleting;
            } else if (m.state().idle() && now - m.lastUpdateTimestamp() > idExpirationMs) {
                target = m.dead(now);
            }
            if (target != null) {
                entry.pending = target;
            }
        }
        if (complete) {
            completion.startMarkers(shard, entry);
        } else if (target != null) {
            boolean abort = target.state() == TransactionState.PREPARE_ABORT;
            writer.write(shard, entry, target).whenComplete((v, e) -> {
                if (e == null && abort) {
                    completion.startMarkers(shard, entry);
                }
            });
        }
    }
}
