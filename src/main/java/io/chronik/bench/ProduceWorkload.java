package io.chronik.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code concurrency} sender threads producing fixed-size payloads as fast as allowed (or at their share of the
 * rate). The threads share min(concurrency, 8) KafkaProducer instances, round robin: one producer already batches
 * and pipelines for many threads, so one per thread at -c 128 would measure 128 buffer pools and I/O threads
 * competing for the client's CPU rather than the broker; a single producer, on the other hand, funnels every
 * byte through one I/O thread and one connection, which caps throughput on the client side. Several producers
 * keep several connections busy, which is what a broker sees from real applications.
 *
 * <p>Latency is from just before send() (so time blocked on a full buffer counts) to the acknowledgement callback.
 * Payloads are windows at random offsets of a shared pool of random letters (as Kafka's own perf tool uses):
 * each message differs, so compression is not flattered by identical messages. The first 16 bytes carry a
 * {@link PayloadStamp} for round-trip latency.
 */
final class ProduceWorkload implements AutoCloseable {
    private static final int MAX_PRODUCERS = 8;
    private static final int POOL_EXTRA = 4 << 20;

    private final BenchOptions options;
    private final LatencyStats stats;
    private final long ratePerSecond;
    private final List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
    private final List<Thread> senders = new ArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean running = true;
    private byte[] pool;

    ProduceWorkload(BenchOptions options, LatencyStats stats, long ratePerSecond) {
        this.options = options;
        this.stats = stats;
        this.ratePerSecond = ratePerSecond;
    }

    /** Creates the producers, waits until each knows the topic's leaders (so start-up is not timed), starts sending. */
    void start() {
        pool = randomLetters(options.messageSize + POOL_EXTRA);
        int producerCount = Math.min(MAX_PRODUCERS, options.concurrency);
        for (int i = 0; i < producerCount; i++) {
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(i));
            producers.add(producer);
            try {
                // Blocks up to max.block.ms; an unreachable broker fails here rather than looking like a stall.
                producer.partitionsFor(options.topic);
            } catch (KafkaException e) {
                throw new IllegalStateException("no metadata for topic " + options.topic + " from " + options.bootstrapServers
                        + " (is the broker reachable? does the topic exist? try --create-topic): " + e.getMessage(), e);
            }
        }
        for (int i = 0; i < options.concurrency; i++) {
            KafkaProducer<byte[], byte[]> producer = producers.get(i % producerCount);
            Thread sender = new Thread(() -> sendLoop(producer), "bench-producer-" + i);
            sender.setDaemon(true);
            senders.add(sender);
        }
        senders.forEach(Thread::start);
    }

    private Properties producerConfig(int index) {
        Properties p = new Properties();
        p.put("bootstrap.servers", options.bootstrapServers);
        p.put("client.id", "chronik-bench-producer-" + index);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", options.acks);
        // Idempotence requires acks=all; with 0 or 1 the client would refuse to start (and it needs InitProducerId).
        p.put("enable.idempotence", Boolean.toString("all".equals(options.acks) || "-1".equals(options.acks)));
        p.put("compression.type", options.compression);
        p.put("linger.ms", Integer.toString(options.lingerMs));
        p.put("batch.size", Integer.toString(options.batchSize));
        int request = options.clientRequestBytes();
        p.put("max.request.size", Integer.toString(request));
        // The client default (32 MiB), or room for a few requests of large messages. More would only queue.
        p.put("buffer.memory", Long.toString(Math.max(32L << 20, 4L * request)));
        // Bounds start-up on an unreachable broker; a send blocked this long is reported as STALL long before.
        p.put("max.block.ms", "15000");
        p.put("delivery.timeout.ms", "120000");
        return p;
    }

    private void sendLoop(KafkaProducer<byte[], byte[]> producer) {
        // One array per thread, refilled per message: send() copies the bytes into a batch before it returns.
        byte[] payload = new byte[options.messageSize];
        double perThreadRate = ratePerSecond > 0 ? (double) ratePerSecond / options.concurrency : 0;
        long start = System.nanoTime();
        long count = 0;
        while (running) {
            if (perThreadRate > 0) {
                // Scheduled sends: a thread that fell behind catches up, so the rate is kept on average.
                long wait = start + (long) (count / perThreadRate * 1e9) - System.nanoTime();
                if (wait > 0) {
                    sleepNanos(Math.min(wait, 50_000_000L));
                    continue;
                }
            }
            int offset = ThreadLocalRandom.current().nextInt(pool.length - payload.length + 1);
            System.arraycopy(pool, offset, payload, 0, payload.length);
            long sendTime = System.nanoTime();
            PayloadStamp.write(payload, sendTime);
            sent.incrementAndGet();
            count++;
            try {
                producer.send(new ProducerRecord<>(options.topic, null, System.currentTimeMillis(), null, payload),
                        (metadata, error) -> {
                            if (error != null) {
                                stats.error(error);
                            } else {
                                stats.record((System.nanoTime() - sendTime) / 1000, options.messageSize);
                            }
                        });
            } catch (RuntimeException e) {
                // send() itself failed (closed, timed out waiting for buffer space): the callback never runs.
                stats.error(e);
                if (!running) {
                    return;
                }
            }
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] randomLetters(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) ('A' + random.nextInt(26));
        }
        return bytes;
    }

    /** Sent but not answered (acknowledged or failed). */
    long outstanding() {
        return sent.get() - stats.progress();
    }

    long answered() {
        return stats.progress();
    }

    /** Stops sending. No join: a sender blocked in send() on a full buffer stays blocked until close. */
    void stopSending() {
        running = false;
    }

    /** Closes the producers, giving outstanding messages at most {@code grace} (zero after a stall). */
    void close(Duration grace) {
        running = false;
        for (KafkaProducer<byte[], byte[]> producer : producers) {
            producer.close(grace);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
