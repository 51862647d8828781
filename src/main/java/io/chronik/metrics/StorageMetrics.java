package io.chronik.metrics;

import io.chronik.log.LogMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Storage's reports (appends, group-commit fsyncs, log cleaner rounds) as Micrometer meters. */
public final class StorageMetrics implements LogMetrics {
    private final Timer append;
    private final Timer fsync;
    private final DistributionSummary fsyncBatch;
    private final Timer cleanerRound;
    private final Counter cleanerRead;
    private final Counter cleanerWritten;

    public StorageMetrics(MeterRegistry registry) {
        append = Timer.builder("chronik.log.append.duration").description("Validating and writing one partition's batches")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        fsync = Timer.builder("chronik.fsync.duration").description("One fsync of a segment for the acks=all appends waiting on it")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        fsyncBatch = DistributionSummary.builder("chronik.fsync.batch.records")
                .description("Records made durable by one fsync (group commit)").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(1_000_000.0).register(registry);
        cleanerRound = Timer.builder("chronik.log.cleaner.round.duration")
                .description("One log cleaner round on one partition").register(registry);
        cleanerRead = Counter.builder("chronik.log.cleaner.read.bytes").baseUnit("bytes")
                .description("Bytes the log cleaner read to copy them (without those read to build its offset map)")
                .register(registry);
        cleanerWritten = Counter.builder("chronik.log.cleaner.written.bytes").baseUnit("bytes")
                .description("Bytes the log cleaner wrote back; written / read is the recopy ratio").register(registry);
    }

    @Override
    public void appendCompleted(String topic, long nanos, int records, int bytes) {
        append.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void fsyncCompleted(long nanos, long records) {
        fsync.record(nanos, TimeUnit.NANOSECONDS);
        fsyncBatch.record(records);
    }

    @Override
    public void cleanerRoundCompleted(String topic, long nanos, long bytesRead, long bytesWritten) {
        cleanerRound.record(nanos, TimeUnit.NANOSECONDS);
        cleanerRead.increment(bytesRead);
        cleanerWritten.increment(bytesWritten);
    }
}
