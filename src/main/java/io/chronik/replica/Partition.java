package io.chronik.replica;

import io.chronik.cluster.CommandResult;
import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.log.EpochEndOffset;
import io.chronik.log.Log;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * One local replica of a partition and, while this broker leads it, the leader's view of its followers: how far
 * each has fetched, when each last caught up, the ISR as the controller last committed it, the high watermark
 * (the smallest log end across the ISR, moved only while the ISR has at least min.insync.replicas members) and the
 * acks=all answers waiting on it. ISR changes are proposed to the controller, one at a time, and take effect when
 * the metadata that commits them arrives. All state is guarded by this object's monitor; futures are completed
 * outside it.
 */
public final class Partition {
    private static final Logger log = LoggerFactory.getLogger(Partition.class);

    /** What the leader knows of one follower. */
    private static final class Follower {
        long endOffset = -1;
        long lastCaughtUpMs;
        long lastFetchMs;
        long leaderEndAtLastFetch = -1;

        Follower(long nowMs) {
            lastCaughtUpMs = nowMs;
        }
    }

    /** Proposes an ISR change to the controller. */
    public interface IsrChanges extends Function<ChangePartition, CompletableFuture<CommandResult>> {
    }

    private final UUID topicId;
    private final String topic;
    private final int partition;
    private final Log logRef;
    private final int localId;
    private final IsrChanges controller;
    /** Whether a broker may join the ISR: registered and not fenced (a broker shutting down is fenced first). */
    private final IntPredicate isrEligible;
    private final HighWatermarkWaiters waiters = new HighWatermarkWaiters();
    private final Map<Integer, Follower> followers = new HashMap<>();
    private PartitionRegistration registration;
    private int minInsync;
    private boolean leader;
    /** The first offset of this leader's epoch, once known (-1 before). */
    private long epochStartOffset = -1;
    private boolean isrChangeInFlight;
    /**
     * The ISR proposed while a change is in flight (null otherwise). The high watermark waits for its members too
     * (Kafka's maximal ISR): a replica being added holds every record committed from the proposal on, so it can
     * lead without losing any once the controller applies the change.
     */
    private List<Integer> proposedIsr;
    /** While following: the leader's high watermark in its last fetch answer (-1 before one in this leadership). */
    private volatile long leaderHighWatermark = -1;

    Partition(UUID topicId, String topic, int partition, Log logRef, int localId, IsrChanges controller,
              IntPredicate isrEligible) {
        this.topicId = topicId;
        this.topic = topic;
        this.partition = partition;
        this.logRef = logRef;
        this.localId = localId;
        this.controller = controller;
        this.isrEligible = isrEligible;
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public UUID topicId() {
        return topicId;
    }

    public Log log() {
        return logRef;
    }

    public synchronized boolean isLeader() {
        return leader;
    }

    public synchronized PartitionRegistration registration() {
        return registration;
    }

    public synchronized int leaderEpoch() {
        return registration == null ? -1 : registration.leaderEpoch();
    }

    public synchronized int minInsync() {
        return minInsync;
    }

    /**
     * The first offset of the current leader epoch while leading, -1 when not leading. Long.MAX_VALUE while leading
     * but before the log has taken the epoch: until then the high watermark may be the one checkpointed before a
     * restart, behind what was acknowledged, and must not be offered as the end of the partition.
     */
    public synchronized long epochStartOffset() {
        return !leader ? -1 : epochStartOffset < 0 ? Long.MAX_VALUE : epochStartOffset;
    }

    /**
     * Takes this replica's registration from the metadata. Returns what the replica manager must do: become
     * leader, become follower, or nothing (an ISR change of the same leadership).
     */
    Transition update(PartitionRegistration next, int minInsyncReplicas, long nowMs) {
        List<CompletableFuture<Errors>> fail = List.of();
        Transition transition;
        synchronized (this) {
            PartitionRegistration before = registration;
            registration = next;
            minInsync = minInsyncReplicas;
            isrChangeInFlight = false;
            proposedIsr = null;
            boolean sameLeadership = before != null && before.leader() == next.leader()
                    && before.leaderEpoch() == next.leaderEpoch();
            if (!sameLeadership) {
                leaderHighWatermark = -1;
            }
            if (next.leader() == localId) {
                if (!leader || !sameLeadership) {
                    leader = true;
                    epochStartOffset = -1;
                    followers.clear();
                    for (int r : next.replicas()) {
                        if (r != localId) {
                            followers.put(r, new Follower(nowMs));
                        }
                    }
                    transition = Transition.BECOME_LEADER;
                } else {
                    for (int r : next.replicas()) {
                        if (r != localId) {
                            followers.computeIfAbsent(r, k -> new Follower(nowMs));
                        }
                    }
                    followers.keySet().retainAll(next.replicas());
                    transition = Transition.NONE;
                }
            } else {
                if (leader) {
                    fail = waiters.all();
                }
                leader = false;
                followers.clear();
                transition = sameLeadership ? Transition.NONE : Transition.BECOME_FOLLOWER;
            }
        }
        fail.forEach(f -> f.complete(Errors.NOT_LEADER_OR_FOLLOWER));
        if (transition == Transition.NONE && isLeader()) {
            maybeIncrementHighWatermark();
        }
        return transition;
    }

    enum Transition { BECOME_LEADER, BECOME_FOLLOWER, NONE }

    /** Called once the log has taken the leader epoch: the epoch's first offset is now fixed. */
    void leaderEpochStarted(int epoch) {
        synchronized (this) {
            if (!leader || registration.leaderEpoch() != epoch) {
                return;
            }
            EpochEndOffset previous = logRef.endOffsetForEpoch(epoch - 1);
            epochStartOffset = previous.endOffset() < 0 ? logRef.logStartOffset() : previous.endOffset();
        }
        maybeIncrementHighWatermark();
    }

    /** Stops leading (the broker stops, or the partition stops being local): waiting answers fail. */
    void stop() {
        List<CompletableFuture<Errors>> fail;
        synchronized (this) {
            leader = false;
            fail = waiters.all();
        }
        fail.forEach(f -> f.complete(Errors.NOT_LEADER_OR_FOLLOWER));
    }

    /** NOT_ENOUGH_REPLICAS when an acks=all produce must not even be appended; NONE otherwise. */
    public synchronized Errors checkEnoughReplicas() {
        return registration != null && registration.isr().size() < minInsync ? Errors.NOT_ENOUGH_REPLICAS : Errors.NONE;
    }

    /**
     * Completes once the high watermark has passed {@code lastOffset}: NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND when
     * the ISR fell below its minimum, NOT_LEADER_OR_FOLLOWER when leadership was lost, REQUEST_TIMED_OUT after
     * {@code timeoutMs}.
     */
    public CompletableFuture<Errors> awaitReplication(long lastOffset, long timeoutMs) {
        CompletableFuture<Errors> waiter = new CompletableFuture<>();
        long required = lastOffset + 1;
        synchronized (this) {
            if (!leader) {
                return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
            }
            if (logRef.highWatermark() >= required) {
                return CompletableFuture.completedFuture(Errors.NONE);
            }
            if (registration.isr().size() < minInsync) {
                return CompletableFuture.completedFuture(Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
            }
            waiters.add(required, waiter);
        }
        // The high watermark may have moved between the check and the add.
        maybeIncrementHighWatermark();
        return waiter.completeOnTimeout(Errors.REQUEST_TIMED_OUT, Math.max(1, timeoutMs), TimeUnit.MILLISECONDS)
                .whenComplete((e, t) -> {
                    if (e == Errors.REQUEST_TIMED_OUT) {
                        synchronized (this) {
                            waiters.remove(required, waiter);
                        }
                    }
                });
    }

    /**
     * The leader side of a follower's fetch at {@code fetchOffset} (its log end, durable when followers fsync):
     * records how far it is and when it last caught up, proposes adding it to the ISR once it has caught up with
     * the high watermark in this epoch (unless it is fenced: a broker shutting down still fetches until it stops),
     * and moves the high watermark.
     */
    public void followerFetched(int replicaId, long fetchOffset, long nowMs) {
        ChangePartition expand = null;
        synchronized (this) {
            Follower f = followers.get(replicaId);
            if (!leader || f == null) {
                return;
            }
            long leaderEnd = logRef.logEndOffset();
            if (fetchOffset >= leaderEnd) {
                f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs);
            } else if (fetchOffset >= f.leaderEndAtLastFetch) {
                f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
            }
            f.endOffset = fetchOffset;
            f.lastFetchMs = nowMs;
            f.leaderEndAtLastFetch = leaderEnd;
            if (!registration.isr().contains(replicaId) && !isrChangeInFlight && epochStartOffset >= 0
                    && fetchOffset >= epochStartOffset && fetchOffset >= logRef.highWatermark()
                    && isrEligible.test(replicaId)) {
                List<Integer> isr = new ArrayList<>(registration.isr());
                isr.add(replicaId);
                expand = proposal(isr);
            }
        }
        maybeIncrementHighWatermark();
        if (expand != null) {
            propose(expand, "expand");
        }
    }

    /** Proposes removing followers that have not caught up for {@code lagTimeMaxMs}; called periodically. */
    void maybeShrinkIsr(long nowMs, long lagTimeMaxMs) {
        ChangePartition shrink = null;
        synchronized (this) {
            if (!leader || isrChangeInFlight || registration == null) {
                return;
            }
            List<Integer> isr = new ArrayList<>(registration.isr());
            boolean changed = isr.removeIf(r -> {
                Follower f = followers.get(r);
                return r != localId && f != null && nowMs - f.lastCaughtUpMs > lagTimeMaxMs;
            });
            if (changed) {
                shrink = proposal(isr);
            }
        }
        if (shrink != null) {
            propose(shrink, "shrink");
        }
    }

    private ChangePartition proposal(List<Integer> isr) {
        isrChangeInFlight = true;
        proposedIsr = List.copyOf(isr);
        return new ChangePartition(topicId, partition, localId, isr, registration.partitionEpoch());
    }

    private void propose(ChangePartition change, String what) {
        log.info("Proposing to {} the ISR of {}-{} to {}", what, topic, partition, change.isr());
        controller.apply(change).whenComplete((result, error) -> {
            if (error != null || !result.ok()) {
                log.info("ISR {} of {}-{} to {} was not committed: {}", what, topic, partition, change.isr(),
                        error != null ? error.toString() : result);
                synchronized (this) {
                    // A refused change is retried at the next chance; an accepted one ends with the new metadata.
                    if (registration.partitionEpoch() == change.partitionEpoch()) {
                        isrChangeInFlight = false;
                        proposedIsr = null;
                    }
                }
            }
        });
    }

    /** Moves the high watermark to the smallest log end across the ISR and answers the waiters it passed. */
    public void maybeIncrementHighWatermark() {
        List<CompletableFuture<Errors>> done;
        List<CompletableFuture<Errors>> underMin = List.of();
        synchronized (this) {
            if (!leader || registration == null) {
                return;
            }
            if (registration.isr().size() < minInsync) {
                underMin = waiters.all();
                done = List.of();
            } else {
                // The smallest log end over the maximal ISR: the committed one and, while a change is in flight,
                // the proposed one (a member in both counts once either way: min is idempotent). No allocation:
                // this runs on every append and every follower fetch.
                long hw = Math.min(logRef.logEndOffset(), smallestFollowerEnd(registration.isr()));
                if (proposedIsr != null) {
                    hw = Math.min(hw, smallestFollowerEnd(proposedIsr));
                }
                if (hw >= 0 && epochStartOffset >= 0) {
                    logRef.updateHighWatermark(hw);
                }
                done = waiters.reached(logRef.highWatermark());
            }
        }
        done.forEach(f -> f.complete(Errors.NONE));
        underMin.forEach(f -> f.complete(Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND));
    }

    /** The smallest log end among {@code members} other than this broker; Long.MAX_VALUE when there are none. */
    private long smallestFollowerEnd(List<Integer> members) {
        long end = Long.MAX_VALUE;
        for (int r : members) {
            if (r != localId) {
                Follower f = followers.get(r);
                end = Math.min(end, f == null ? -1 : f.endOffset);
            }
        }
        return end;
    }

    /** Whether every in-sync follower holds this leader's whole log (true when not leading). */
    synchronized boolean followersCaughtUp() {
        if (!leader || registration == null) {
            return true;
        }
        long end = logRef.logEndOffset();
        for (int r : registration.isr()) {
            Follower f = followers.get(r);
            if (r != localId && (f == null || f.endOffset < end)) {
                return false;
            }
        }
        return true;
    }

    /** In-sync replicas, leader included, as the metadata has them. */
    public synchronized List<Integer> isr() {
        return registration == null ? List.of() : registration.isr();
    }

    /** The follower's fetcher saw the leader's high watermark in a fetch answer. */
    void leaderHighWatermarkSeen(long highWatermark) {
        leaderHighWatermark = highWatermark;
    }

    /**
     * While following: whether this replica's log reached the leader's high watermark as of its last fetch answer
     * (false before the first answer). Kafka's follower throttle spares such a replica.
     */
    boolean caughtUpWithLeader() {
        long hw = leaderHighWatermark;
        return hw >= 0 && logRef.logEndOffset() >= hw;
    }

    /**
     * While following (for metrics): the leader's high watermark, as of its last fetch answer, minus this replica's
     * log end; 0 while leading or before the first answer.
     */
    public long replicaLag() {
        long hw = leaderHighWatermark;
        return hw < 0 || isLeader() ? 0 : Math.max(0, hw - logRef.logEndOffset());
    }

    /** How many records the follower is behind the leader's log end (for metrics); -1 when unknown. */
    public synchronized long followerLag(int replicaId) {
        Follower f = followers.get(replicaId);
        return f == null || f.endOffset < 0 ? -1 : Math.max(0, logRef.logEndOffset() - f.endOffset);
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
