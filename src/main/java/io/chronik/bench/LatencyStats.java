package io.chronik.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts and latencies of one side of a run (producing or consuming). Every sample goes into an HdrHistogram
 * {@link Recorder}: many threads (sender callbacks, consumer threads) record into it wait-free and none is dropped.
 * The reporter drains it into a running total once per interval.
 *
 * <p>Two kinds of counts: {@link #progress()} counts every answer since the start, for progress rates and stall
 * detection; the histogram and {@link #bytes()} are reset when the warmup ends, for the summary.
 */
public final class LatencyStats {
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private final LongAdder progress = new LongAdder();
    private final LongAdder progressBytes = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private Histogram interval;

    /** Records one message answered (acknowledged or consumed) with its latency. */
    public void record(long latencyMicros, int size) {
        recorder.recordValue(Math.max(0, Math.min(latencyMicros, MAX_MICROS)));
        bytes.add(size);
        progressBytes.add(size);
        progress.increment();
    }

    /** Records one failed message; the first cause is kept for the summary. */
    public void error(Throwable cause) {
        firstError.compareAndSet(null, String.valueOf(cause));
        errors.increment();
        progress.increment();
    }

    /** Ends the warmup: the samples and bytes so far are dropped, errors are kept (a failure always counts). */
    public synchronized void startMeasuring() {
        recorder.reset();
        total.reset();
        bytes.reset();
    }

    /** Moves the samples recorded since the last call into the total. */
    public synchronized void roll() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
    }

    /** A copy of every measured sample so far (call {@link #roll()} first for the latest). */
    public synchronized Histogram total() {
        return total.copy();
    }

    public synchronized double percentileMillis(double percentile) {
        return millis(total, percentile);
    }

    static double millis(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** Answers (successes and failures) since the start, warmup included: monotonic. */
    public long progress() {
        return progress.sum();
    }

    public long progressBytes() {
        return progressBytes.sum();
    }

    /** Bytes of the measured messages. */
    public long bytes() {
        return bytes.sum();
    }

    public long errors() {
        return errors.sum();
    }

    public String firstError() {
        return firstError.get();
    }
}
