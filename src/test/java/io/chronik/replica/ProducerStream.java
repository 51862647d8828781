package io.chronik.replica;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One producer sending unique values ({@code prefix-n}) to a topic in a steady stream on its own thread until
 * stopped (ten records, then a pause), recording what was acknowledged where and what failed. At most
 * {@code maxRecords} values, so the stream is bounded even if nobody stops it.
 */
final class ProducerStream implements AutoCloseable {
    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final String prefix;
    private final Map<String, RecordMetadata> acked = new ConcurrentHashMap<>();
    private final List<Exception> failures = new CopyOnWriteArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final Thread thread;
    private final long pauseMs;
    private volatile boolean running = true;
    // Written by the producer's I/O thread only (callbacks run there one at a time), read by the test.
    private volatile long lastAckNanos;
    private volatile long longestAckGapNanos;
    private volatile long longestLatencyNanos;

    /** About 1,000 records a second. */
    ProducerStream(KafkaProducer<String, String> producer, String topic, String prefix, int maxRecords) {
        this(producer, topic, prefix, maxRecords, 10);
    }

    /** Ten records every {@code pauseMs} milliseconds. */
    ProducerStream(KafkaProducer<String, String> producer, String topic, String prefix, int maxRecords, long pauseMs) {
        this.producer = producer;
        this.pauseMs = pauseMs;
        this.topic = topic;
        this.prefix = prefix;
        this.thread = new Thread(() -> run(maxRecords), "producer-stream-" + prefix);
        thread.setDaemon(true);
        thread.start();
    }

    private void run(int maxRecords) {
        try {
            for (int i = 0; i < maxRecords && running; i++) {
                String value = prefix + "-" + i;
                long sentAt = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, value, value), (md, e) -> {
                    if (e != null) {
                        failures.add(e);
                    } else {
                        acked.put(value, md);
                        timeAck(sentAt);
                    }
                });
                sent.incrementAndGet();
                if (i % 10 == 9) {
                    Thread.sleep(pauseMs);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    private void timeAck(long sentAt) {
        long now = System.nanoTime();
        if (lastAckNanos != 0) {
            longestAckGapNanos = Math.max(longestAckGapNanos, now - lastAckNanos);
        }
        lastAckNanos = now;
        longestLatencyNanos = Math.max(longestLatencyNanos, now - sentAt);
    }

    /** The longest time between two acknowledgements of this stream so far, in milliseconds. */
    long longestAckGapMs() {
        return TimeUnit.NANOSECONDS.toMillis(longestAckGapNanos);
    }

    /** The longest time from a send to its acknowledgement so far, in milliseconds. */
    long longestLatencyMs() {
        return TimeUnit.NANOSECONDS.toMillis(longestLatencyNanos);
    }

    /** Waits (bounded) until at least {@code count} values are acknowledged. */
    void awaitAcked(int count, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (acked.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(acked.size()).as("values acknowledged to %s within %d s (failures: %s)", prefix, seconds,
                failures.isEmpty() ? "none" : failures.get(0).toString()).isGreaterThanOrEqualTo(count);
    }

    /** Stops sending and waits up to {@code flushSeconds} for every send to be answered, then closes. */
    void stop(int flushSeconds) throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(10));
        producer.close(Duration.ofSeconds(flushSeconds));
    }

    /** Stops sending and closes at once: sends not answered yet fail. */
    void abort() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(10));
        producer.close(Duration.ZERO);
    }

    Map<String, RecordMetadata> acked() {
        return acked;
    }

    List<Exception> failures() {
        return failures;
    }

    long sent() {
        return sent.get();
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            abort();
        }
    }
}
