package io.chronik.txn;

import io.chronik.coordinator.CoordinatorShard;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The transactional ids of one {@code __transaction_state} partition: id -> {@link Entry}. Filled by replaying the
 * partition; afterwards changed only by the coordinator, through writes applied once replicated.
 */
public final class TransactionStateShard implements CoordinatorShard {
    private static final Logger log = LoggerFactory.getLogger(TransactionStateShard.class);

    /**
     * One transactional id: its metadata as written, and the change being written ({@code pending}, null when none:
     * while one is, requests that would change the id answer CONCURRENT_TRANSACTIONS). Guarded by its own monitor.
     */
    public static final class Entry {
        final String transactionalId;
        TransactionMetadata current;
        TransactionMetadata pending;
        /** Markers are being sent for the current PrepareCommit/PrepareAbort. */
        boolean markersInFlight;

        Entry(String transactionalId, TransactionMetadata current) {
            this.transactionalId = transactionalId;
            this.current = current;
        }

        public synchronized TransactionMetadata current() {
            return current;
        }
    }

    private final int partition;
    private final Consumer<TransactionStateShard> onLoaded;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private volatile boolean served = true;

    TransactionStateShard(int partition, Consumer<TransactionStateShard> onLoaded) {
        this.partition = partition;
        this.onLoaded = onLoaded;
    }

    @Override
    public void replay(RecordBatch batch, long fromOffset) {
        if (batch.isControlBatch()) {
            return;
        }
        for (Record record : batch) {
            if (record.offset() < fromOffset || !record.hasKey()) {
                continue;
            }
            TransactionRecords.Entry decoded;
            try {
                decoded = TransactionRecords.decode(record.key(), record.hasValue() ? record.value() : null);
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable record at offset {} of partition {}: {}", record.offset(), partition, e.toString());
                continue;
            }
            if (decoded.metadata() == null) {
                entries.remove(decoded.transactionalId());
            } else {
                entries.put(decoded.transactionalId(), new Entry(decoded.transactionalId(), decoded.metadata()));
            }
        }
    }

    @Override
    public void loaded() {
        onLoaded.accept(this);
    }

    @Override
    public void unloaded() {
        served = false;
    }

    /** Still served by this broker (false once leadership of the partition moved or it was reloaded). */
    boolean served() {
        return served;
    }

    int partition() {
        return partition;
    }

    Entry get(String transactionalId) {
        return entries.get(transactionalId);
    }

    /** The entry of {@code transactionalId}, created with {@code initial} if there is none. */
    Entry getOrCreate(String transactionalId, TransactionMetadata initial) {
        return entries.computeIfAbsent(transactionalId, id -> new Entry(id, initial));
    }

    void remove(String transactionalId, Entry entry) {
        entries.remove(transactionalId, entry);
    }

    Map<String, Entry> entries() {
        return entries;
    }
}
