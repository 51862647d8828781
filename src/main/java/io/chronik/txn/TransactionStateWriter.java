package io.chronik.txn;

import io.chronik.coordinator.CoordinatorRuntime;
import io.chronik.txn.TransactionStateShard.Entry;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Writes a transactional id's changes to {@code __transaction_state}: the entry's pending change as one keyed record
 * (acks=all), made current once replicated, dropped if the write fails.
 */
final class TransactionStateWriter {
    private final CoordinatorRuntime<TransactionStateShard> runtime;

    TransactionStateWriter(CoordinatorRuntime<TransactionStateShard> runtime) {
        this.runtime = runtime;
    }

    /** Writes {@code target}, the entry's pending change, and makes it current once replicated. */
    CompletableFuture<Void> write(TransactionStateShard shard, Entry entry, TransactionMetadata target) {
        boolean tombstone = target.state() == TransactionState.DEAD;
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(System.currentTimeMillis(),
                TransactionRecords.key(entry.transactionalId), tombstone ? null : TransactionRecords.value(target)));
        CompletableFuture<Void> written;
        try {
            // A completion follows markers that are durable already: lost in a crash, the reloaded PrepareCommit/
            // PrepareAbort sends them again, and the next durable write of the partition (the producer's next
            // AddPartitionsToTxn) flushes it anyway. Not waiting for its fsync lets the next transaction start sooner.
            boolean awaitFsync = target.state() != TransactionState.COMPLETE_COMMIT
                    && target.state() != TransactionState.COMPLETE_ABORT;
            written = runtime.write(shard.partition(), records, awaitFsync, (s, result) -> {
                synchronized (entry) {
                    if (entry.pending == target) {
                        entry.current = target;
                        entry.pending = null;
                    }
                }
                if (tombstone) {
                    s.remove(entry.transactionalId, entry);
                }
                return null;
            });
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        return written.whenComplete((v, e) -> {
            if (e != null) {
                synchronized (entry) {
                    if (entry.pending == target) {
                        entry.pending = null;
                    }
                }
            }
        });
    }

    /** The error a client gets for a failed write, as Kafka maps it. */
    static Errors writeError(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        Errors error = cause instanceof ApiException ? Errors.forException(cause) : Errors.UNKNOWN_SERVER_ERROR;
        return switch (error) {
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> Errors.NOT_COORDINATOR;
            case NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE -> error;
            default -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }
}
