package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.AllocateProducerIds;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Producer ids for a broker of a cluster, unique across the cluster: the controller hands out blocks of
 * {@link MetadataCommand#PRODUCER_ID_BLOCK} ids through the quorum log (Kafka's AllocateProducerIds), and this
 * broker gives out the ids of its block one by one. At most one block request is in flight; callers that find the
 * block used up wait for it together, so nothing queues beyond the InitProducerId requests in flight.
 */
public final class ProducerIdBlocks {
    private final int brokerId;
    private final Function<MetadataCommand, CompletableFuture<CommandResult>> controller;
    private long next;
    private long end;
    private CompletableFuture<Void> refill;

    public ProducerIdBlocks(int brokerId, Function<MetadataCommand, CompletableFuture<CommandResult>> controller) {
        this.brokerId = brokerId;
        this.controller = controller;
    }

    public CompletableFuture<Long> nextProducerId() {
        CompletableFuture<Void> pending;
        CompletableFuture<Void> started = null;
        synchronized (this) {
            if (next < end) {
                return CompletableFuture.completedFuture(next++);
            }
            if (refill == null) {
                started = controller.apply(new AllocateProducerIds(brokerId)).thenAccept(this::installBlock);
                refill = started;
            }
            pending = refill;
        }
        if (started != null) {
            // Registered outside the monitor and on the local: an allocation that has already completed runs this at
            // once, and must not clear a refill before the caller has taken it.
            CompletableFuture<Void> mine = started;
            mine.whenComplete((v, e) -> {
                synchronized (this) {
                    if (refill == mine) {
                        refill = null;
                    }
                }
            });
        }
        return pending.thenCompose(v -> nextProducerId());
    }

    private void installBlock(CommandResult result) {
        if (!result.ok() || result.value() < 0) {
            throw new IllegalStateException("the controller did not allocate producer ids: " + result);
        }
        synchronized (this) {
            next = result.value();
            end = result.value() + MetadataCommand.PRODUCER_ID_BLOCK;
        }
    }
}
