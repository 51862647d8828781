package io.chronik.txn;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.LocalPartition;
import io.chronik.cluster.PartitionStateListener;
import io.chronik.coordinator.CoordinatorRuntime;
import io.chronik.log.LogManager;
import io.chronik.replica.Leadership;
import io.chronik.txn.TransactionStateShard.Entry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The transaction coordinator: the transactional ids of the {@code __transaction_state} partitions this broker
 * leads (partition {@code abs(id.hashCode()) % partitions}), kept through the {@link CoordinatorRuntime}.
 * This class handles the requests; its collaborators do the rest:
 * <ul>
 *   <li>Every change of an id is decided under the id's monitor, written as one keyed record (acks=all) and applied
 *   once replicated ({@link TransactionStateWriter}); while a change is being written, further requests for the id
 *   answer CONCURRENT_TRANSACTIONS.</li>
 *   <li>EndTxn writes PrepareCommit/PrepareAbort and answers; {@link TransactionCompletion} then has the
 *   {@link TransactionMarkerSender} write the markers to every partition of the transaction and writes
 *   CompleteCommit/CompleteAbort. At most {@code maxCompleting} transactions have markers in flight; EndTxn answers
 *   CONCURRENT_TRANSACTIONS beyond. A broker that loads a partition sends the markers of its prepared transactions
 *   again. EndTxn v5 (transaction version 2) bumps the epoch as it prepares ({@link TransactionEndBumpingEpoch}).</li>
 *   <li>Every {@code abortTimedOutIntervalMs} the {@link TransactionTimer} aborts open transactions older than their
 *   timeout with the producer epoch bumped (the producer is fenced) and removes ids idle longer than
 *   {@code idExpirationMs} (tombstones).</li>
 * </ul>
 */
public final class TransactionCoordinator implements PartitionStateListener, AutoCloseable {
    public static final String TOPIC = "__transaction_state";

    /**
     * @param maxTimeoutMs            the longest transaction.timeout.ms a producer may ask for
     * @param abortTimedOutIntervalMs how often timed-out transactions and expired ids are looked for
     * @param idExpirationMs          an id without a transaction for this long is removed
     * @param maxCompleting           transactions with markers in flight at most
     */
    public record Settings(long maxTimeoutMs, long abortTimedOutIntervalMs, long idExpirationMs, int maxCompleting,
                           long writeTimeoutMs) {
    }

    /** InitProducerId's answer. */
    public record InitResult(Errors error, long producerId, short producerEpoch) {
        static InitResult failed(Errors error) {
            return new InitResult(error, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        }
    }

    /** A listed transaction. */
    public record Listed(String transactionalId, TransactionMetadata metadata) {
    }

    private final Settings settings;
    private final CoordinatorRuntime<TransactionStateShard> runtime;
    private final IntSupplier partitionCount;
    private final Supplier<CompletableFuture<Long>> producerIds;
    private final ScheduledExecutorService scheduler;
    private final TransactionMarkerSender markers;
    private final TransactionStateWriter writer;
    private final TransactionCompletion completion;
    private final TransactionEndBumpingEpoch endBumpingEpoch;

    /**
     * @param partitionCount the partitions of {@code __transaction_state} (the topic's, once it exists)
     * @param producerIds    a new producer id (in a cluster from the controller's blocks)
     */
    public TransactionCoordinator(int brokerId, LogManager logs, Leadership leadership, Settings settings,
                                  IntSupplier partitionCount, Supplier<CompletableFuture<Long>> producerIds,
                                  TransactionMarkerSender.Brokers brokers) {
        this.settings = settings;
        this.partitionCount = partitionCount;
        this.producerIds = producerIds;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chronik-txn-coordinator");
            t.setDaemon(true);
            return t;
        });
        this.markers = new TransactionMarkerSender(brokerId, brokers, scheduler);
        // Shards are made (and loaded) only once this broker leads a partition, after the constructor.
        this.runtime = new CoordinatorRuntime<>(TOPIC, brokerId, logs, leadership,
                p -> new TransactionStateShard(p, this::onLoaded), settings.writeTimeoutMs());
        this.writer = new TransactionStateWriter(runtime);
        this.completion = new TransactionCompletion(runtime, writer, markers, scheduler);
        this.endBumpingEpoch = new TransactionEndBumpingEpoch(this::locate, writer, completion, this::tooManyCompleting, producerIds);
        scheduler.scheduleWithFixedDelay(new TransactionTimer(runtime, writer, completion, settings.idExpirationMs(),
                settings.maxCompleting()), settings.abortTimedOutIntervalMs(), settings.abortTimedOutIntervalMs(),
                TimeUnit.MILLISECONDS);
    }

    private void onLoaded(TransactionStateShard shard) {
        completion.onLoaded(shard);
    }

    private CompletableFuture<Void> write(TransactionStateShard shard, Entry entry, TransactionMetadata target) {
        return writer.write(shard, entry, target);
    }

    private void startMarkers(TransactionStateShard shard, Entry entry) {
        completion.startMarkers(shard, entry);
    }

    private static Errors writeError(Throwable e) {
        return TransactionStateWriter.writeError(e);
    }

    private boolean tooManyCompleting() {
        return completion.completing() >= settings.maxCompleting();
    }

    public int partitionOf(String transactionalId) {
        return Utils.abs(transactionalId.hashCode()) % partitionCount.getAsInt();
    }

    /** NONE when this broker serves the id, else COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR. */
    public Errors availability(String transactionalId) {
        return runtime.availability(partitionOf(transactionalId));
    }

    // ---- InitProducerId ----

    /**
     * A producer id and epoch for a transactional producer: a new id, or the next epoch of the id's producer (a
     * new producer id once the epoch is exhausted). An open transaction of the previous epoch is aborted first
     * (CONCURRENT_TRANSACTIONS until then). With {@code expectedProducerId} >= 0 (KIP-360) the caller must be the
     * current producer or retrying its last bump, else PRODUCER_FENCED.
     */
    public CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs, long expectedProducerId,
                                                        short expectedEpoch) {
        if (transactionalId.isEmpty()) {
            return CompletableFuture.completedFuture(InitResult.failed(Errors.INVALID_REQUEST));
        }
        if (timeoutMs <= 0 || timeoutMs > settings.maxTimeoutMs()) {
            return CompletableFuture.completedFuture(InitResult.failed(Errors.INVALID_TRANSACTION_TIMEOUT));
        }
        int partition = partitionOf(transactionalId);
        Errors available = runtime.availability(partition);
        Optional<TransactionStateShard> shard = runtime.shard(partition);
        if (available != Errors.NONE || shard.isEmpty()) {
            return CompletableFuture.completedFuture(InitResult.failed(available == Errors.NONE ? Errors.NOT_COORDINATOR : available));
        }
        Entry entry = shard.get().get(transactionalId);
        if (entry != null) {
            return init(shard.get(), entry, timeoutMs, expectedProducerId, expectedEpoch, null);
        }
        return producerIds.get().thenCompose(id -> init(shard.get(),
                shard.get().getOrCreate(transactionalId, TransactionMetadata.fresh(id, timeoutMs, now())),
                timeoutMs, expectedProducerId, expectedEpoch, null))
                .exceptionally(e -> InitResult.failed(Errors.COORDINATOR_NOT_AVAILABLE));
    }

    private CompletableFuture<InitResult> init(TransactionStateShard shard, Entry entry, int timeoutMs, long expectedId,
                                               short expectedEpoch, Long newProducerId) {
        TransactionMetadata target;
        boolean fence = false;
        synchronized (entry) {
            if (!shard.served()) {
                return done(InitResult.failed(Errors.NOT_COORDINATOR));
            }
            TransactionMetadata m = entry.current;
            if (entry.pending != null || m.state().preparing() || m.state() == TransactionState.PREPARE_EPOCH_FENCE
                    || m.state() == TransactionState.DEAD) {
                return done(InitResult.failed(Errors.CONCURRENT_TRANSACTIONS));
            }
            boolean given = expectedId >= 0;
            if (given && !(m.producerEpoch() == RecordBatch.NO_PRODUCER_EPOCH || expectedId == m.producerId()
                    || (expectedId == m.lastProducerId() && TransactionMetadata.epochExhausted(expectedEpoch)))) {
                return done(InitResult.failed(Errors.PRODUCER_FENCED));
            }
            long now = now();
            if (m.state() == TransactionState.ONGOING) {
                // The previous producer left a transaction open: abort it, fencing that producer, then let the new one retry.
                if (tooManyCompleting()) {
                    return done(InitResult.failed(Errors.CONCURRENT_TRANSACTIONS));
                }
                target = m.prepareFencedAbort(now);
                fence = true;
            } else if (given && expectedId == m.lastProducerId() && expectedId != m.producerId()) {
                target = m.keepEpoch(timeoutMs, now); // the rotation it asks for happened; its answer was lost
            } else if (!given || m.producerEpoch() == RecordBatch.NO_PRODUCER_EPOCH || expectedEpoch == m.producerEpoch()) {
                if (TransactionMetadata.epochExhausted(m.producerEpoch())) {
                    if (newProducerId == null) {
                        target = null;
                    } else {
                        target = m.rotateProducerId(newProducerId, timeoutMs, now);
                    }
                } else {
                    target = m.bumpEpoch(timeoutMs, now);
                }
            } else if (expectedEpoch == m.lastProducerEpoch()) {
                target = m.keepEpoch(timeoutMs, now); // a retry of the last bump
            } else {
                return done(InitResult.failed(Errors.PRODUCER_FENCED));
            }
            if (target != null) {
                entry.pending = target;
            }
        }
        if (target == null) {
            return producerIds.get().thenCompose(id -> init(shard, entry, timeoutMs, expectedId, expectedEpoch, id))
                    .exceptionally(e -> InitResult.failed(Errors.COORDINATOR_NOT_AVAILABLE));
        }
        TransactionMetadata written = target;
        if (fence) {
            return write(shard, entry, written).handle((v, e) -> {
                if (e == null) {
                    startMarkers(shard, entry);
                }
                return InitResult.failed(e == null ? Errors.CONCURRENT_TRANSACTIONS : writeError(e));
            });
        }
        return write(shard, entry, written).handle((v, e) -> e == null
                ? new InitResult(Errors.NONE, written.producerId(), written.producerEpoch())
                : InitResult.failed(writeError(e)));
    }

    // ---- AddPartitionsToTxn, AddOffsetsToTxn ----

    /** Adds partitions to the producer's transaction (opening it if none is open); one error for all of them. */
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
                                                   Set<TopicPartition> partitions) {
        return addPartitions(transactionalId, producerId, producerEpoch, partitions, TransactionMetadata.TV_0);
    }

    /**
     * As {@link #addPartitions(String, long, short, Set)} for a client of transaction version {@code version}
     * (2: a partition leader adding the partition of a producer's batch, or a group coordinator the offsets partition).
     */
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
                                                   Set<TopicPartition> partitions, byte version) {
        return change(transactionalId, producerId, producerEpoch, refused -> refused, m -> {
            if (m.state().preparing() || m.state() == TransactionState.PREPARE_EPOCH_FENCE || m.state() == TransactionState.DEAD) {
                return Step.answer(Errors.CONCURRENT_TRANSACTIONS);
            }
            if (m.state() == TransactionState.ONGOING && m.partitions().containsAll(partitions)) {
                return Step.answer(Errors.NONE);
            }
            return Step.write(m.addPartitions(partitions, now(), version));
        }, (located, e) -> e == null ? Errors.NONE : writeError(e));
    }

    /**
     * AddPartitionsToTxn with VerifyOnly, a partition leader's question before it appends a transactional batch: per
     * partition NONE when the producer's open transaction includes it, else INVALID_TXN_STATE; the id's error for all
     * when the producer is not the id's current one, or CONCURRENT_TRANSACTIONS while a change is being written or
     * the transaction is being completed. Nothing is written.
     */
    public Map<TopicPartition, Errors> verifyPartitions(String transactionalId, long producerId, short producerEpoch,
                                                        Set<TopicPartition> partitions) {
        Function<Errors, Map<TopicPartition, Errors>> all = error -> {
            Map<TopicPartition, Errors> result = new HashMap<>();
            partitions.forEach(tp -> result.put(tp, error));
            return result;
        };
        return change(transactionalId, producerId, producerEpoch, all, m -> {
            if (m.state().preparing() || m.state() == TransactionState.PREPARE_EPOCH_FENCE || m.state() == TransactionState.DEAD) {
                return Step.answer(all.apply(Errors.CONCURRENT_TRANSACTIONS));
            }
            boolean open = m.state() == TransactionState.ONGOING;
            Map<TopicPartition, Errors> result = new HashMap<>();
            partitions.forEach(tp -> result.put(tp, open && m.partitions().contains(tp) ? Errors.NONE : Errors.INVALID_TXN_STATE));
            return Step.answer(result);
        }, (located, e) -> { throw new IllegalStateException("a verification writes nothing"); })
                .getNow(all.apply(Errors.UNKNOWN_SERVER_ERROR));
    }

    // ---- EndTxn ----

    /** Commits or aborts the producer's transaction: answered once PrepareCommit/PrepareAbort is written. */
    public CompletableFuture<Errors> endTransaction(String transactionalId, long producerId, short producerEpoch, boolean commit) {
        return change(transactionalId, producerId, producerEpoch, refused -> refused, m -> {
            Errors answer = switch (m.state()) {
                case ONGOING -> tooManyCompleting() ? Errors.CONCURRENT_TRANSACTIONS : null;
                case PREPARE_COMMIT -> commit ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE;
                case PREPARE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.CONCURRENT_TRANSACTIONS;
                case COMPLETE_COMMIT -> commit ? Errors.NONE : Errors.INVALID_TXN_STATE;
                case COMPLETE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.NONE;
                case PREPARE_EPOCH_FENCE, DEAD -> Errors.CONCURRENT_TRANSACTIONS;
                case EMPTY -> Errors.INVALID_TXN_STATE;
            };
            return answer != null ? Step.answer(answer) : Step.write(m.prepare(commit, now()));
        }, (located, e) -> {
            if (e != null) {
                return writeError(e);
            }
            startMarkers(located.shard, located.entry);
            return Errors.NONE;
        });
    }

    /** What a request decided under the id's monitor: an answer now, or a change to write first. */
    private record Step<T>(T answer, TransactionMetadata target) {
        static <T> Step<T> answer(T answer) {
            return new Step<>(answer, null);
        }

        static <T> Step<T> write(TransactionMetadata target) {
            return new Step<>(null, target);
        }
    }

    /**
     * The common course of a producer's request for its transaction: the id is located and its producer checked
     * ({@code refused} makes the answer for an error), then {@code decide} runs under the id's monitor on its current
     * metadata; a change it returns is written, and {@code written} makes the answer once the write is done (or
     * failed, its error given).
     */
    private <T> CompletableFuture<T> change(String transactionalId, long producerId, short producerEpoch,
                                            Function<Errors, T> refused, Function<TransactionMetadata, Step<T>> decide,
                                            BiFunction<Located, Throwable, T> written) {
        Located located = locate(transactionalId);
        if (located.error != Errors.NONE) {
            return done(refused.apply(located.error));
        }
        TransactionMetadata target;
        synchronized (located.entry) {
            Errors error = checkProducer(located, producerId, producerEpoch);
            if (error != Errors.NONE) {
                return done(refused.apply(error));
            }
            Step<T> step = decide.apply(located.entry.current);
            if (step.target() == null) {
                return done(step.answer());
            }
            target = step.target();
            located.entry.pending = target;
        }
        return write(located.shard, located.entry, target).handle((v, e) -> written.apply(located, e));
    }

    /** EndTxn v5's answer: the producer id and epoch the producer goes on with. */
    public record EndResult(Errors error, long producerId, short producerEpoch) {
        static EndResult failed(Errors error) {
            return new EndResult(error, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        }
    }

    /**
     * EndTxn v5 (transaction version 2): as {@link #endTransaction}, but PrepareCommit/PrepareAbort bump the epoch (a
     * new producer id when the bumped epoch is exhausted, taken once the transaction completes), the markers carry the
     * bumped epoch, and the answer gives the producer id and epoch to go on with. A retry with the epoch before the
     * bump is answered as the first time; an abort with no transaction open (no partition joined it) bumps the epoch.
     */
    public CompletableFuture<EndResult> endTransactionBumpingEpoch(String transactionalId, long producerId,
                                                                   short producerEpoch, boolean commit) {
        return endBumpingEpoch.end(transactionalId, producerId, producerEpoch, commit);
    }

    /** Where a request's id is kept: its shard and entry, or the error to answer instead. */
    record Located(Errors error, TransactionStateShard shard, Entry entry) {
    }

    private Located locate(String transactionalId) {
        int partition = partitionOf(transactionalId);
        Errors available = runtime.availability(partition);
        if (available != Errors.NONE) {
            return new Located(available, null, null);
        }
        TransactionStateShard shard = runtime.shard(partition).orElse(null);
        if (shard == null) {
            return new Located(Errors.NOT_COORDINATOR, null, null);
        }
        Entry entry = shard.get(transactionalId);
        return entry == null ? new Located(Errors.INVALID_PRODUCER_ID_MAPPING, shard, null) : new Located(Errors.NONE, shard, entry);
    }

    /** Under the entry's monitor: the request's producer must be the id's current one, with no change being written. */
    private static Errors checkProducer(Located located, long producerId, short producerEpoch) {
        TransactionMetadata m = located.entry.current;
        if (!located.shard.served()) {
            return Errors.NOT_COORDINATOR;
        }
        if (m.state().preparing() && m.nextProducerId() == producerId) {
            return Errors.CONCURRENT_TRANSACTIONS; // the producer's new id, given by EndTxn, is taken on completion
        }
        if (m.producerId() != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (m.producerEpoch() != producerEpoch) {
            return Errors.PRODUCER_FENCED;
        }
        return located.entry.pending != null ? Errors.CONCURRENT_TRANSACTIONS : Errors.NONE;
    }

    // ---- DescribeTransactions, ListTransactions ----

    /** The id's metadata if this broker serves it and knows it. */
    public Optional<TransactionMetadata> describe(String transactionalId) {
        return runtime.shard(partitionOf(transactionalId)).map(s -> s.get(transactionalId)).map(Entry::current);
    }

    /** Whether a partition this broker leads is still loading. */
    public boolean loading() {
        int partitions = partitionCount.getAsInt();
        for (int p = 0; p < partitions; p++) {
            if (runtime.availability(p) == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
                return true;
            }
        }
        return false;
    }

    /** Every id this broker serves. */
    public List<Listed> list() {
        List<Listed> all = new ArrayList<>();
        for (TransactionStateShard shard : runtime.shards().values()) {
            shard.entries().forEach((id, entry) -> all.add(new Listed(id, entry.current())));
        }
        return all;
    }

    // ---- leadership of the partitions ----

    /** Alone: this broker leads every partition of the topic. */
    public void leadAll() {
        int partitions = partitionCount.getAsInt();
        for (int p = 0; p < partitions; p++) {
            runtime.lead(p, 0);
        }
    }

    @Override
    public void onPartitionsChanged(ClusterImage clusterImage, List<LocalPartition> changed) {
        runtime.onPartitionsChanged(clusterImage, changed);
    }

    @Override
    public void onPartitionsRemoved(List<LocalPartition> removed) {
        runtime.onPartitionsRemoved(removed);
    }

    /** Transactions with markers in flight now. */
    int completing() {
        return completion.completing();
    }

    Map<Integer, TransactionStateShard> shards() {
        return runtime.shards();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        markers.close();
        runtime.close();
    }
}
