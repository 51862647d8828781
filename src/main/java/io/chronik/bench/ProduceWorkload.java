package io.chronik.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code concurrency} sender threads producing fixed-size random payloads. The senders share at most eight
 * KafkaProducer instances: a producer already batches and pipelines, and 128 producers of their own would
 * measure 128 buffer pools and I/O threads on the client rather than the broker. Latency is send-to-ack.
 */
final class ProduceWorkload implements AutoCloseable {
    private static final int MAX_PRODUCERS = 8;

    private final BenchOptions options;
    private final LatencyStats stats;
    private final long ratePerSecond;
    private final List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
    private final List<Thread> senders = new ArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private volatile boolean running = true;

    ProduceWorkload(BenchOptions options, LatencyStats stats, long ratePerSecond) {
        this.options = options;
        this.stats = stats;
        this.ratePerSecond = ratePerSecond;
    }

    void start() {
        int producerCount = Math.min(MAX_PRODUCERS, options.concurrency);
        for (int i = 0; i < producerCount; i++) {
            producers.add(new KafkaProducer<>(producerConfig()));
        }
        for (int i = 0; i < options.concurrency; i++) {
            KafkaProducer<byte[], byte[]> producer = producers.get(i % producerCount);
            Thread sender = new Thread(() -> sendLoop(producer), "bench-producer-" + i);
            sender.setDaemon(true);
            senders.add(sender);
            sender.start();
        }
    }

    private Properties producerConfig() {
        Properties p = new Properties();
        p.put("bootstrap.servers", options.bootstrapServers);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", options.acks);
        // Idempotence needs acks=all; with 0 or 1 the producer must not ask for it.
        p.put("enable.idempotence", Boolean.toString("all".equals(options.acks)));
        p.put("compression.type", options.compression);
        p.put("linger.ms", Integer.toString(options.lingerMs));
        p.put("batch.size", Integer.toString(Math.max(options.batchSize, Math.min(options.messageSize + 1024, 16 << 20))));
        int request = Math.max(1 << 20, options.messageSize + 64 * 1024);
        p.put("max.request.size", Integer.toString(request));
        p.put("buffer.memory", Long.toString(Math.max(64L << 20, 4L * request)));
        p.put("delivery.timeout.ms", "120000");
        return p;
    }

    private void sendLoop(KafkaProducer<byte[], byte[]> producer) {
        byte[] payload = new byte[options.messageSize];
        new Random().nextBytes(payload);
        double perThreadRate = ratePerSecond > 0 ? (double) ratePerSecond / options.concurrency : 0;
        long start = System.nanoTime();
        long count = 0;
        while (running) {
            if (perThreadRate > 0) {
                long due = start + (long) (count / perThreadRate * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(Math.min(wait, 50_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            long sendTime = System.nanoTime();
            sent.incrementAndGet();
            count++;
            try {
                producer.send(new ProducerRecord<>(options.topic, null, System.currentTimeMillis(), null, payload),
                        (metadata, error) -> {
                            answered.incrementAndGet();
                            if (error != null) {
                                stats.error();
                            } else {
                                stats.record((System.nanoTime() - sendTime) / 1000, payload.length);
                            }
                        });
            } catch (RuntimeException e) {
                answered.incrementAndGet();
                stats.error();
                if (!running) {
                    return;
                }
            }
        }
    }

    long outstanding() {
        return sent.get() - answered.get();
    }

    long answered() {
        return answered.get();
    }

    /** Stops sending and waits (bounded) for outstanding messages to be answered. */
    void stop(long waitMillis) {
        running = false;
        for (Thread sender : senders) {
            try {
                sender.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (outstanding() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        for (KafkaProducer<byte[], byte[]> producer : producers) {
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
