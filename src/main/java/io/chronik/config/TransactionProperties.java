package io.chronik.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/** The transaction coordinator, bound from {@code chronik.transaction.*}; names and defaults follow Kafka's transaction.* settings. */
@Validated
@ConfigurationProperties("chronik.transaction")
public class TransactionProperties {
    /**
     * Partitions of {@code __transaction_state}, which a transactional id is hashed onto to place its coordinator
     * (transaction.state.log.num.partitions); every broker of a cluster must use the same value.
     */
    @Min(1)
    @Max(1000)
    private int stateTopicPartitions = 50;
    /** The longest transaction.timeout.ms a producer may ask for (transaction.max.timeout.ms). */
    @NotNull
    @DurationMin(millis = 1)
    @DurationMax(days = 24)
    private Duration maxTimeout = Duration.ofMinutes(15);
    /** How often open transactions older than their timeout are aborted (transaction.abort.timed.out.transaction.cleanup.interval.ms). */
    @NotNull
    @DurationMin(millis = 10)
    @DurationMax(hours = 1)
    private Duration abortTimedOutInterval = Duration.ofSeconds(10);
    /** A transactional id with no transaction for this long is forgotten (transactional.id.expiration.ms). */
    @NotNull
    @DurationMin(millis = 1)
    private Duration idExpiration = Duration.ofDays(7);

    /**
     * A partition leader appends a transactional batch that would open its producer's transaction in the partition
     * only once the transaction coordinator confirmed the partition is in the transaction
     * (transaction.partition.verification.enable, KIP-890).
     */
    private boolean partitionVerification = true;
    /**
     * The finalized level of the {@code transaction.version} feature advertised in ApiVersions (Kafka's feature of the
     * same name): 2, Kafka 4.x producers use KIP-890 part 2 (leaders add partitions, every EndTxn bumps the epoch); 1,
     * the classic protocol.
     */
    @Min(1)
    @Max(2)
    private int version = 2;

    /**
     * A leader adding a transaction version 2 producer's partition asks the coordinator again after this long when
     * it answers CONCURRENT_TRANSACTIONS (the producer's last transaction is still completing), as
     * add.partitions.to.txn.retry.backoff.ms does.
     */
    @NotNull
    @DurationMin(millis = 1)
    @DurationMax(seconds = 10)
    private Duration addPartitionsRetryBackoff = Duration.ofMillis(20);
    /**
     * For no longer than this in all before the producer gets CONCURRENT_TRANSACTIONS and retries itself
     * (add.partitions.to.txn.retry.backoff.max.ms); 0 answers at once.
     */
    @NotNull
    @DurationMin(millis = 0)
    @DurationMax(seconds = 30)
    private Duration addPartitionsRetryMax = Duration.ofMillis(100);

    public Duration getAddPartitionsRetryBackoff() { return addPartitionsRetryBackoff; }
    public void setAddPartitionsRetryBackoff(Duration v) { this.addPartitionsRetryBackoff = v; }
    public Duration getAddPartitionsRetryMax() { return addPartitionsRetryMax; }
    public void setAddPartitionsRetryMax(Duration v) { this.addPartitionsRetryMax = v; }
    public int getVersion() { return version; }
    public void setVersion(int v) { this.version = v; }
    public boolean isPartitionVerification() { return partitionVerification; }
    public void setPartitionVerification(boolean v) { this.partitionVerification = v; }
    public int getStateTopicPartitions() { return stateTopicPartitions; }
    public void setStateTopicPartitions(int v) { this.stateTopicPartitions = v; }
    public Duration getMaxTimeout() { return maxTimeout; }
    public void setMaxTimeout(Duration v) { this.maxTimeout = v; }
    public Duration getAbortTimedOutInterval() { return abortTimedOutInterval; }
    public void setAbortTimedOutInterval(Duration v) { this.abortTimedOutInterval = v; }
    public Duration getIdExpiration() { return idExpiration; }
    public void setIdExpiration(Duration v) { this.idExpiration = v; }
}
