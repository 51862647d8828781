package io.chronik.handler;

import io.chronik.log.Log;
import io.chronik.log.RecordBatchHeader;
import io.chronik.log.VerificationGuard;
import org.apache.kafka.common.TopicPartition;
import io.chronik.protocol.Records;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Partition verification of transactional produces (KIP-890 part 1), as the Produce handler uses it: which batches
 * need it, who answers ({@link TransactionVerifier}), and the error a producer gets when the answer is not yes.
 *
 * @param verifier          asks the transaction coordinators
 * @param verify            whether transactional batches are verified (chronik.transaction.partition-verification)
 * @param addFromProduceV12 whether Produce v12+ (transaction version 2 clients) adds the partition rather than only
 *                          checking it (on when transaction version 2 is advertised; whatever {@code verify} says,
 *                          since a producer of transaction version 2 adds no partition itself)
 * @param addRetryBackoff   when the coordinator answers an add with CONCURRENT_TRANSACTIONS (the producer's previous
 *                          transaction is still being completed), the leader asks again after this long
 *                          (add.partitions.to.txn.retry.backoff.ms in Kafka)
 * @param addRetryMax       and for no longer than this in all before it answers the producer
 *                          (add.partitions.to.txn.retry.backoff.max.ms)
 */
public record TransactionVerification(TransactionVerifier verifier, boolean verify, boolean addFromProduceV12,
                                      Duration addRetryBackoff, Duration addRetryMax) {

    /** The producer of a transactional batch. */
    public record Producer(long producerId, short producerEpoch) {
    }

    /** A partition's batches waiting for the coordinator's answer. */
    record Unverified(Log log, String topic, int partition, ByteBuffer batches, VerificationGuard guard, Producer producer,
                      PartitionProduceResponse response) {
        TopicPartition topicPartition() {
            return new TopicPartition(topic, partition);
        }

        Unverified withGuard(VerificationGuard next) {
            return new Unverified(log, topic, partition, batches, next, producer, response);
        }
    }

    /**
     * Whether an add (transaction version 2) answered CONCURRENT_TRANSACTIONS is asked again: Kafka's leaders retry
     * it every {@link #addRetryBackoff} until {@link #addRetryMax} has passed, since with transaction version 2 the
     * producer's next transaction starts while the markers of its last one are still being written.
     */
    boolean askAgain(Map<TopicPartition, Errors> errors, boolean add, long deadlineNanos) {
        return add && errors.containsValue(Errors.CONCURRENT_TRANSACTIONS)
                && System.nanoTime() + addRetryBackoff.toNanos() <= deadlineNanos;
    }

    /** Runs a retry of {@link #askAgain} after the backoff. */
    Executor retryDelay() {
        return CompletableFuture.delayedExecutor(addRetryBackoff.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether a Produce of {@code version} adds its partitions to the transaction (transaction version 2). */
    boolean addsPartitions(short version) {
        return addFromProduceV12 && version >= 12;
    }

    /** Whether a transactional Produce of {@code version} goes through the coordinator before its first append. */
    boolean applies(short version) {
        return verify || addsPartitions(version);
    }

    /**
     * Whether the first batch of any partition in {@code request} is transactional, as Kafka checks before it lets a
     * Produce without a transactional id through. Reads two header fields of each partition's first batch.
     */
    static boolean hasTransactionalRecords(ProduceRequestData request) {
        for (ProduceRequestData.TopicProduceData topic : request.topicData()) {
            for (ProduceRequestData.PartitionProduceData partition : topic.partitionData()) {
                if (RecordBatchHeader.startsTransactional(Records.bytes(partition.records()))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The producer of the first batch of {@code batches} when that batch is transactional, else null (also when the
     * batches cannot be read: validation refuses them later). Reads the batch header only.
     */
    static Producer transactionalProducer(ByteBuffer batches) {
        if (batches.remaining() < org.apache.kafka.common.record.internal.DefaultRecordBatch.RECORD_BATCH_OVERHEAD) {
            return null;
        }
        try {
            Iterator<MutableRecordBatch> it = MemoryRecords.readableRecords(batches.duplicate()).batches().iterator();
            if (!it.hasNext()) {
                return null;
            }
            RecordBatch first = it.next();
            if (first.magic() < RecordBatch.MAGIC_VALUE_V2 || !first.isTransactional() || first.isControlBatch()
                    || first.producerId() < 0) {
                return null;
            }
            return new Producer(first.producerId(), first.producerEpoch());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The Produce error for a coordinator's answer: INVALID_TXN_STATE when the partition is not in the transaction;
     * its retriable errors as NOT_ENOUGH_REPLICAS, which every client retries without refreshing metadata
     * (CONCURRENT_TRANSACTIONS stays itself for transaction version 2 clients, which retry it); PRODUCER_FENCED as
     * INVALID_PRODUCER_EPOCH, which Produce has always had.
     */
    static Errors produceError(Errors error, short version, boolean added) {
        return switch (error) {
            case CONCURRENT_TRANSACTIONS -> added ? error : Errors.NOT_ENOUGH_REPLICAS;
            case NETWORK_EXCEPTION, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
                 REQUEST_TIMED_OUT -> Errors.NOT_ENOUGH_REPLICAS;
            case PRODUCER_FENCED -> Errors.INVALID_PRODUCER_EPOCH;
            case TRANSACTION_ABORTABLE -> version >= 11 ? error : Errors.INVALID_TXN_STATE;
            default -> error;
        };
    }
}
