package io.chronik.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts and latencies of one side of a run (producing or consuming). Every sample goes into an HdrHistogram
 * {@link Recorder}, which many threads can record into without locks and without dropping samples.
 */
public final class LatencyStats {
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private final LongAdder messages = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private volatile boolean counting = true;
    private Histogram interval;

    /** Records one message; ignored while warming up. */
    public void record(long latencyMicros, int size) {
        if (!counting) {
            return;
        }
        recorder.recordValue(Math.max(0, Math.min(latencyMicros, MAX_MICROS)));
        messages.increment();
        bytes.add(size);
    }

    public void error() {
        errors.increment();
    }

    /** Starts counting (after the warmup): everything recorded so far is dropped. */
    public synchronized void startCounting() {
        recorder.reset();
        total.reset();
        messages.reset();
        bytes.reset();
        counting = true;
    }

    public void pauseCounting() {
        counting = false;
    }

    /** Moves the samples recorded since the last call into the totals; returns the interval's histogram. */
    public synchronized Histogram rollInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    public synchronized Histogram total() {
        return total.copy();
    }

    public long messages() {
        return messages.sum();
    }

    public long bytes() {
        return bytes.sum();
    }

    public long errors() {
        return errors.sum();
    }
}
