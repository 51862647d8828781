package io.chronik.bench;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code concurrency} consumers, each assigned a share of the topic's partitions (no consumer group needed),
 * reading from the earliest offset. Latency is now minus the record's timestamp. With a rate, each consumer
 * sleeps to stay at its share of it: a deliberately slow consumer.
 */
final class ConsumeWorkload implements AutoCloseable {
    private final BenchOptions options;
    private final LatencyStats stats;
    private final long ratePerSecond;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private volatile boolean running = true;

    ConsumeWorkload(BenchOptions options, LatencyStats stats, long ratePerSecond) {
        this.options = options;
        this.stats = stats;
        this.ratePerSecond = ratePerSecond;
    }

    void start() {
        List<TopicPartition> all = partitions();
        int consumers = Math.max(1, Math.min(options.concurrency, all.size()));
        long[] lags = new long[consumers];
        for (int i = 0; i < consumers; i++) {
            List<TopicPartition> share = new ArrayList<>();
            for (int p = i; p < all.size(); p += consumers) {
                share.add(all.get(p));
            }
            int index = i;
            Thread t = new Thread(() -> consumeLoop(share, lags, index), "bench-consumer-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private Properties config() {
        Properties p = new Properties();
        p.put("bootstrap.servers", options.bootstrapServers);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "earliest");
        int fetch = Math.max(1 << 20, options.messageSize + 64 * 1024);
        p.put("max.partition.fetch.bytes", Integer.toString(fetch));
        p.put("fetch.max.bytes", Integer.toString(Math.max(50 << 20, fetch)));
        if (ratePerSecond > 0) {
            p.put("max.poll.records", "100");
        }
        return p;
    }

    private List<TopicPartition> partitions() {
        try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(config())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                List<PartitionInfo> infos = probe.partitionsFor(options.topic, Duration.ofSeconds(10));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
                }
            }
        }
        throw new IllegalStateException("topic " + options.topic + " has no partitions (create it with --create-topic)");
    }

    private void consumeLoop(List<TopicPartition> share, long[] lags, int index) {
        double perThreadRate = ratePerSecond > 0 ? (double) ratePerSecond / threads.size() : 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config())) {
            consumer.assign(share);
            consumer.seekToBeginning(share);
            long start = System.nanoTime();
            long mine = 0;
            long lastLagCheck = 0;
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    stats.record(Math.max(0, now - record.timestamp()) * 1000, record.serializedValueSize());
                }
                mine += records.count();
                consumed.addAndGet(records.count());
                if (System.nanoTime() - lastLagCheck > 500_000_000L) {
                    lastLagCheck = System.nanoTime();
                    long behind = 0;
                    for (Map.Entry<TopicPartition, Long> end : consumer.endOffsets(share).entrySet()) {
                        behind += Math.max(0, end.getValue() - consumer.position(end.getKey()));
                    }
                    synchronized (lags) {
                        lags[index] = behind;
                        long sum = 0;
                        for (long l : lags) {
                            sum += l;
                        }
                        lag.set(sum);
                    }
                }
                if (perThreadRate > 0) {
                    long due = start + (long) (mine / perThreadRate * 1e9);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                stats.error();
                System.err.println("consumer failed: " + e);
            }
        }
    }

    /** Records known to be in the log but not yet consumed. */
    long lag() {
        return lag.get();
    }

    long consumed() {
        return consumed.get();
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
