package io.chronik.log;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Idempotent-producer state of one partition, as Kafka keeps it: per producer id its epoch and the metadata of its
 * last five batches, so a retried batch is recognised as a duplicate and a gap in sequences is refused. A producer
 * is forgotten once it has not appended for {@code producer.id.expiration.ms}, or when its last batch falls below
 * the log start offset; it is then unknown, and its next batch is accepted at any sequence. Snapshots
 * ({@link ProducerSnapshots}) hold the state for all batches below their offset, so recovery only replays the log
 * after the newest one.
 */
final class ProducerStateManager {
    static final int MAX_CACHED_BATCHES = 5;
    static final String SNAPSHOT_SUFFIX = ProducerSnapshots.SUFFIX;

    record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {
    }

    /**
     * Immutable, so a pending append can build on it without touching the committed state.
     *
     * @param lastAppendMs     the broker's clock when the producer last appended: expiration counts from it
     * @param coordinatorEpoch the epoch of the transaction coordinator that wrote its last marker, or -1
     * @param txnFirstOffset   the first offset of its ongoing transaction in this partition, or -1 when none
     */
    record ProducerEntry(short epoch, List<BatchMetadata> batches, long lastAppendMs, int coordinatorEpoch,
                         long txnFirstOffset) {
        ProducerEntry {
            batches = BatchList.of(batches);
        }

        ProducerEntry(short epoch, List<BatchMetadata> batches, long lastAppendMs) {
            this(epoch, batches, lastAppendMs, -1, -1);
        }

        ProducerEntry with(BatchMetadata batch, long appendMs) {
            return new ProducerEntry(epoch, ((BatchList) batches).append(batch, MAX_CACHED_BATCHES),
                    Math.max(lastAppendMs, appendMs), coordinatorEpoch, txnFirstOffset);
        }

        ProducerEntry withTxnFirstOffset(long offset) {
            return new ProducerEntry(epoch, batches, lastAppendMs, coordinatorEpoch, offset);
        }

        long lastOffset() {
            return batches.isEmpty() ? -1 : batches.get(batches.size() - 1).lastOffset();
        }

        BatchMetadata find(int firstSeq, int lastSeq) {
            for (BatchMetadata b : batches) {
                if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
                    return b;
                }
            }
            return null;
        }
    }

    /** One idempotent batch of an append, with the offsets it is about to get. */
    record IdempotentBatch(long producerId, short epoch, int baseSequence, int lastOffsetDelta, long firstOffset,
                           long lastOffset, long timestamp, boolean transactional) {
        IdempotentBatch(long producerId, short epoch, int baseSequence, int lastOffsetDelta, long firstOffset,
                        long lastOffset, long timestamp) {
            this(producerId, epoch, baseSequence, lastOffsetDelta, firstOffset, lastOffset, timestamp, false);
        }
    }

    /** A transaction marker (control batch) at {@code offset}: COMMIT when {@code commit}, ABORT otherwise. */
    record Marker(long producerId, short epoch, int coordinatorEpoch, boolean commit, long offset, long timestamp) {
    }

    /** A transaction a marker ended: [firstOffset, lastOffset], lastOffset being the marker's. */
    record CompletedTxn(long producerId, long firstOffset, long lastOffset, boolean aborted) {
    }

    /** Result of checking a marker: an error, or the producer's entry after it and the transaction it ends. */
    record MarkerCheck(LogError error, String message, ProducerEntry next, CompletedTxn completed) {
    }

    /** Result of checking an append: an error, a duplicate of an earlier batch, or the updates to apply. */
    record Check(LogError error, String message, BatchMetadata duplicate, Map<Long, ProducerEntry> updates) {
    }

    private final Map<Long, ProducerEntry> producers = new HashMap<>();
    /** The ongoing transactions: first offset to producer id. */
    private final TreeMap<Long, Long> ongoing = new TreeMap<>();
    /** Transactions ended by a marker the high watermark has not passed yet: marker offset to transaction. */
    private final TreeMap<Long, CompletedTxn> unreplicated = new TreeMap<>();
    /** Whether either map is non-empty: the last stable offset is then below the high watermark, maybe. */
    private volatile boolean unstable;

    /**
     * How long, and for how many producers at most, a partition remembers producers whose appends it refused before
     * it was ready to lead: long enough to cover a client's requests in flight (Kafka clients' request.timeout.ms
     * defaults to 30 s), small enough to bound the memory.
     */
    static final long REFUSED_MEMORY_MS = 60_000;
    static final int REFUSED_MEMORY_MAX = 1024;

    /** Producer id to when one of its appends was refused because this replica did not lead yet. Oldest first. */
    private final java.util.LinkedHashMap<Long, Long> refusedBeforeLeading = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > REFUSED_MEMORY_MAX;
        }
    };

    /** Verifications under way at most; the oldest guard is dropped beyond (its append then fails INVALID_TXN_STATE). */
    static final int MAX_VERIFYING = 10_000;

    /** Producer id to the guard of the verification started for it (see {@link VerificationGuard}). */
    private final java.util.LinkedHashMap<Long, VerificationGuard> verifying = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, VerificationGuard> eldest) {
            return size() > MAX_VERIFYING;
        }
    };

    synchronized int size() {
        return producers.size();
    }

    /**
     * Before a transactional batch of {@code producerId} is appended: {@link VerificationGuard#SENTINEL} when the
     * producer's transaction is ongoing here at {@code epoch}, else the guard of a verification (the one under way, or
     * a new one), which a marker of the producer drops.
     */
    synchronized VerificationGuard startVerification(long producerId, short epoch) {
        return startVerification(producerId, epoch, false);
    }

    /** As {@link #startVerification(long, short)}; {@code epochBumps}: the producer uses transaction version 2. */
    synchronized VerificationGuard startVerification(long producerId, short epoch, boolean epochBumps) {
        ProducerEntry entry = producers.get(producerId);
        if (entry != null && entry.txnFirstOffset() >= 0 && entry.epoch() == epoch) {
            return VerificationGuard.SENTINEL;
        }
        VerificationGuard current = verifying.get(producerId);
        if (current == null || current.epoch() != epoch) {
            current = new VerificationGuard(epoch, epochBumps);
            verifying.put(producerId, current);
        }
        return current;
    }

    /**
     * Appends of {@code producerId} were refused (NOT_LEADER_OR_FOLLOWER) while this replica was not yet ready to
     * lead: if the producer is still unknown when its next batch arrives, that batch must start at sequence 0, or a
     * later batch of the same pipelined requests would be taken before the refused ones are retried.
     */
    synchronized void refusedBeforeLeading(long producerId, long nowMs) {
        refusedBeforeLeading.remove(producerId);
        refusedBeforeLeading.put(producerId, nowMs);
    }

    private boolean recentlyRefused(long producerId, long nowMs) {
        Long at = refusedBeforeLeading.get(producerId);
        return at != null && nowMs - at < REFUSED_MEMORY_MS;
    }

    synchronized ProducerEntry entry(long producerId) {
        return producers.get(producerId);
    }

    /**
     * Checks the batches in order against the committed state plus the earlier batches of the same append, to be
     * appended at {@code nowMs}. {@code neverWritten}: the partition's log has never held a record (its log end is
     * 0); a producer without state must then start at sequence 0 (Kafka's rule since KAFKA-15591). Otherwise two
     * produces in flight to a just created or just led partition can be handled out of order, the first refused with
     * NOT_LEADER_OR_FOLLOWER before the partition was ready and the second accepted at its sequence, and every retry of
     * the first would then be refused as out of order. A partition that once held records still accepts any first
     * sequence from an unknown producer (its state may have expired or gone with the log's head, KIP-360).
     */
    synchronized Check check(List<IdempotentBatch> batches, long nowMs, boolean neverWritten) {
        return check(batches, nowMs, neverWritten, null);
    }

    /**
     * As {@link #check(List, long, boolean)}; with a {@code guard} (partition verification on), a transactional batch
     * that would open the producer's transaction here must carry the guard of that producer's verification, else
     * INVALID_TXN_STATE: the coordinator did not confirm it, or a marker ended the transaction since.
     */
    synchronized Check check(List<IdempotentBatch> batches, long nowMs, boolean neverWritten, VerificationGuard guard) {
        Map<Long, ProducerEntry> updates = new HashMap<>();
        for (IdempotentBatch b : batches) {
            ProducerEntry current = updates.containsKey(b.producerId()) ? updates.get(b.producerId())
                    : producers.get(b.producerId());
            int firstSeq = b.baseSequence();
            if (firstSeq < 0) {
                return new Check(LogError.INVALID_RECORD, "Idempotent batch of producer " + b.producerId()
                        + " has no sequence number", null, null);
            }
            int lastSeq = RecordBatchHeader.incrementSequence(firstSeq, b.lastOffsetDelta());
            BatchMetadata meta = new BatchMetadata(firstSeq, lastSeq, b.firstOffset(), b.lastOffset(), b.timestamp());
            ProducerEntry next;
            if (current == null) {
                if (neverWritten && firstSeq != 0) {
                    return new Check(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER, "Invalid sequence number for producer "
                            + b.producerId() + ": " + firstSeq + " (incoming seq. number); the partition has never held"
                            + " a record, so a producer without state must start at sequence 0", null, null);
                }
                if (firstSeq != 0 && recentlyRefused(b.producerId(), nowMs)) {
                    return new Check(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER, "Invalid sequence number for producer "
                            + b.producerId() + ": " + firstSeq + " (incoming seq. number); earlier batches of this producer"
                            + " were refused moments ago while this replica was not leading yet, so it must start at"
                            + " sequence 0", null, null);
                }
                // Unknown producer (new, or its state expired): accepted at any sequence, as in Kafka (KIP-360).
                next = new ProducerEntry(b.epoch(), List.of(meta), nowMs);
            } else if (b.epoch() < current.epoch()) {
                return new Check(LogError.INVALID_PRODUCER_EPOCH, "Producer " + b.producerId() + " epoch "
                        + b.epoch() + " is older than the current epoch " + current.epoch(), null, null);
            } else if (b.epoch() > current.epoch()) {
                if (firstSeq != 0) {
                    return new Check(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER, "Producer " + b.producerId()
                            + " with new epoch " + b.epoch() + " must start at sequence 0, not " + firstSeq, null, null);
                }
                next = new ProducerEntry(b.epoch(), List.of(meta), nowMs, current.coordinatorEpoch(),
                        current.txnFirstOffset());
            } else {
                BatchMetadata duplicate = current.find(firstSeq, lastSeq);
                if (duplicate != null) {
                    return new Check(LogError.NONE, null, duplicate, null);
                }
                // No batch at this epoch yet (a marker set it: transaction version 2 bumps the epoch with every
                // commit or abort): the producer starts again at sequence 0, as in Kafka. Accepting a later batch
                // first would make the retry of a refused first batch out of order for good.
                int expected = current.batches().isEmpty() ? 0 : RecordBatchHeader.incrementSequence(
                        current.batches().get(current.batches().size() - 1).lastSeq(), 1);
                if (firstSeq != expected) {
                    return new Check(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER, "Out of order sequence number for producer "
                            + b.producerId() + ": expected " + expected + ", got " + firstSeq, null, null);
                }
                next = current.with(meta, nowMs);
            }
            if (b.transactional()) {
                if (next.txnFirstOffset() < 0) {
                    if (guard != null && (guard == VerificationGuard.SENTINEL || verifying.get(b.producerId()) != guard)) {
                        return new Check(LogError.INVALID_TXN_STATE, "Producer " + b.producerId() + " has no ongoing "
                                + "transaction including this partition (not verified with its transaction coordinator)",
                                null, null);
                    }
                    next = next.withTxnFirstOffset(b.firstOffset());
                }
            } else if (next.txnFirstOffset() >= 0) {
                return new Check(LogError.INVALID_TXN_STATE, "Producer " + b.producerId() + " has an ongoing "
                        + "transaction but sent a non-transactional batch", null, null);
            }
            updates.put(b.producerId(), next);
        }
        return new Check(LogError.NONE, null, null, updates);
    }

    /** Applies a successful append's updates (after its bytes are written). */
    synchronized void commit(Map<Long, ProducerEntry> updates) {
        updates.forEach((id, entry) -> {
            put(id, entry);
            if (entry.txnFirstOffset() >= 0) {
                verifying.remove(id); // the transaction is open here: its next batches need no verification
            }
        });
    }

    /**
     * Checks a transaction marker against the producer's state: its epoch may not be older than the producer's
     * (INVALID_PRODUCER_EPOCH), nor its coordinator epoch older than the last marker's
     * (TRANSACTION_COORDINATOR_FENCED). A marker of a producer without an ongoing transaction is accepted and ends an
     * empty one, as in Kafka.
     */
    synchronized MarkerCheck checkMarker(Marker m, long nowMs) {
        ProducerEntry current = producers.get(m.producerId());
        if (current != null && m.epoch() < current.epoch()) {
            return new MarkerCheck(LogError.INVALID_PRODUCER_EPOCH, "Marker epoch " + m.epoch() + " of producer "
                    + m.producerId() + " is older than its current epoch " + current.epoch(), null, null);
        }
        if (current != null && m.coordinatorEpoch() < current.coordinatorEpoch()) {
            return new MarkerCheck(LogError.TRANSACTION_COORDINATOR_FENCED, "Marker of producer " + m.producerId()
                    + " has coordinator epoch " + m.coordinatorEpoch() + ", older than "
                    + current.coordinatorEpoch(), null, null);
        }
        return afterMarker(current, m, nowMs);
    }

    private static MarkerCheck afterMarker(ProducerEntry current, Marker m, long nowMs) {
        // A newer epoch (a bump by the coordinator) restarts the sequence numbers.
        List<BatchMetadata> batches = current == null || m.epoch() != current.epoch() ? List.of() : current.batches();
        long lastAppendMs = current == null ? nowMs : Math.max(current.lastAppendMs(), nowMs);
        ProducerEntry next = new ProducerEntry(m.epoch(), batches, lastAppendMs, m.coordinatorEpoch(), -1);
        long first = current != null && current.txnFirstOffset() >= 0 ? current.txnFirstOffset() : m.offset();
        return new MarkerCheck(LogError.NONE, null, next,
                new CompletedTxn(m.producerId(), first, m.offset(), !m.commit()));
    }

    /**
     * Applies a checked marker after its batch is written. Ended
     * transactions whose marker is below {@code highWatermark} are forgotten on the way, so a log nobody reads (a
     * follower) keeps no more of them than its high watermark lags.
     */
    synchronized void commitMarker(MarkerCheck check, long highWatermark) {
        unreplicated.headMap(highWatermark).clear();
        CompletedTxn done = check.completed();
        VerificationGuard guard = verifying.get(done.producerId());
        if (guard != null && guard.droppedBy(check.next().epoch())) {
            verifying.remove(done.producerId());
        }
        put(done.producerId(), check.next());
        unreplicated.put(done.lastOffset(), done);
        unstable = true;
    }

    /**
     * The last stable offset right after {@code done} ends (the txn index's entry): the first offset of the oldest
     * other ongoing transaction, or the offset after its marker.
     */
    synchronized long stableOffsetAfter(CompletedTxn done) {
        for (Map.Entry<Long, Long> e : ongoing.entrySet()) {
            if (e.getValue() != done.producerId()) {
                return Math.min(e.getKey(), done.lastOffset() + 1);
            }
        }
        return done.lastOffset() + 1;
    }

    /**
     * A marker found in the log or replicated from the leader, unchecked (the log is the truth): apply it with
     * {@link #commitMarker}.
     */
    synchronized MarkerCheck replayMarker(Marker m, long nowMs) {
        return afterMarker(producers.get(m.producerId()), m, nowMs);
    }

    /**
     * The first offset not yet stable below {@code highWatermark}: the oldest ongoing transaction's first offset, or
     * that of a transaction whose marker the high watermark has not passed; {@link Long#MAX_VALUE} when none. Any thread.
     */
    long firstUnstableOffset(long highWatermark) {
        if (!unstable) {
            return Long.MAX_VALUE;
        }
        synchronized (this) {
            unreplicated.headMap(highWatermark).clear();
            long first = ongoing.isEmpty() ? Long.MAX_VALUE : ongoing.firstKey();
            for (CompletedTxn t : unreplicated.values()) {
                first = Math.min(first, t.firstOffset());
            }
            updateUnstable();
            return first;
        }
    }

    /** The ongoing transactions, producer id to first offset (tests, DescribeProducers). */
    synchronized Map<Long, Long> ongoingTransactions() {
        Map<Long, Long> txns = new HashMap<>();
        ongoing.forEach((first, pid) -> txns.put(pid, first));
        return txns;
    }

    private void put(long producerId, ProducerEntry entry) {
        untrack(producers.put(producerId, entry));
        if (entry.txnFirstOffset() >= 0) {
            ongoing.put(entry.txnFirstOffset(), producerId);
        }
        updateUnstable();
    }

    private void untrack(ProducerEntry old) {
        if (old != null && old.txnFirstOffset() >= 0) {
            ongoing.remove(old.txnFirstOffset());
        }
    }

    private void updateUnstable() {
        unstable = !ongoing.isEmpty() || !unreplicated.isEmpty();
    }

    /**
     * What the log cleaner must keep of a producer: its newest data batch (emptied if need be), so its sequence
     * numbers survive compaction, or, when it has none since its epoch changed, its markers of that epoch.
     *
     * @param lastDataOffset the last offset of its newest data batch, or -1 when it has none at its current epoch
     */
    record LastRecord(long lastDataOffset, short epoch) {
    }

    /** Each known producer's {@link LastRecord}. */
    synchronized Map<Long, LastRecord> lastRecords() {
        Map<Long, LastRecord> last = new HashMap<>();
        producers.forEach((id, entry) -> last.put(id, new LastRecord(entry.lastOffset(), entry.epoch())));
        return last;
    }

    /**
     * Replays one batch found in the log at recovery; no validation, the log is the truth. When it was appended is
     * not recorded, so the producer counts as last seen at {@code nowMs} (the recovery).
     */
    synchronized void replay(IdempotentBatch b, long nowMs) {
        int lastSeq = RecordBatchHeader.incrementSequence(b.baseSequence(), b.lastOffsetDelta());
        BatchMetadata meta = new BatchMetadata(b.baseSequence(), lastSeq, b.firstOffset(), b.lastOffset(), b.timestamp());
        ProducerEntry current = producers.get(b.producerId());
        ProducerEntry next;
        if (current == null) {
            next = new ProducerEntry(b.epoch(), List.of(meta), nowMs);
        } else if (b.epoch() > current.epoch()) {
            next = new ProducerEntry(b.epoch(), List.of(meta), nowMs, current.coordinatorEpoch(),
                    current.txnFirstOffset());
        } else if (b.epoch() == current.epoch()) {
            next = current.with(meta, nowMs);
        } else {
            return;
        }
        if (b.transactional() && next.txnFirstOffset() < 0) {
            next = next.withTxnFirstOffset(b.firstOffset());
        }
        put(b.producerId(), next);
    }

    /** Forgets every producer (before the state is rebuilt from a snapshot and the log). */
    synchronized void clear() {
        producers.clear();
        verifying.clear();
        ongoing.clear();
        unreplicated.clear();
        updateUnstable();
    }

    /** Forgets every producer that has not appended for {@code expirationMs}; returns how many. */
    synchronized int removeExpired(long nowMs, long expirationMs) {
        int removed = 0;
        for (Iterator<ProducerEntry> it = producers.values().iterator(); it.hasNext(); ) {
            ProducerEntry e = it.next();
            // A producer with an ongoing transaction is kept until a marker ends it, as in Kafka.
            if (e.txnFirstOffset() < 0 && nowMs - e.lastAppendMs() >= expirationMs) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    /** Forgets every producer whose last batch is below the log start offset (deleted); returns how many. */
    synchronized int truncateHead(long logStartOffset) {
        int removed = 0;
        for (Iterator<ProducerEntry> it = producers.values().iterator(); it.hasNext(); ) {
            ProducerEntry e = it.next();
            if (e.txnFirstOffset() < 0 && e.lastOffset() < logStartOffset) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    // ---- snapshots ----

    /** A copy of the state for a snapshot: cheap, the entries are immutable. */
    synchronized Map<Long, ProducerEntry> copy() {
        return new HashMap<>(producers);
    }

    /** Replaces the state with the snapshot's, leaving out producers expired at {@code nowMs}; false when damaged. */
    synchronized boolean loadSnapshot(Path file, long nowMs, long expirationMs) {
        Map<Long, ProducerEntry> loaded = ProducerSnapshots.read(file, nowMs);
        if (loaded == null) {
            return false;
        }
        clear();
        loaded.forEach(this::put);
        removeExpired(nowMs, expirationMs);
        return true;
    }
    /**
     * A producer entry's last batches: one immutable list class on every path of the append (the JIT sees a single
     * receiver type where mixing List.of, copies and sub-lists made it deoptimise the append path again and again).
     */
    static final class BatchList extends java.util.AbstractList<BatchMetadata> implements java.util.RandomAccess {
        private static final BatchList EMPTY = new BatchList(new BatchMetadata[0]);
        private final BatchMetadata[] batches;

        private BatchList(BatchMetadata[] batches) {
            this.batches = batches;
        }

        static BatchList of(List<BatchMetadata> batches) {
            if (batches instanceof BatchList list) {
                return list;
            }
            return batches.isEmpty() ? EMPTY : new BatchList(batches.toArray(new BatchMetadata[0]));
        }

        /** These batches and {@code batch}, the oldest dropped beyond {@code max}. */
        BatchList append(BatchMetadata batch, int max) {
            int keep = Math.min(batches.length, max - 1);
            BatchMetadata[] next = new BatchMetadata[keep + 1];
            System.arraycopy(batches, batches.length - keep, next, 0, keep);
            next[keep] = batch;
            return new BatchList(next);
        }

        @Override
        public BatchMetadata get(int index) {
            return batches[index];
        }

        @Override
        public int size() {
            return batches.length;
        }
    }
}

