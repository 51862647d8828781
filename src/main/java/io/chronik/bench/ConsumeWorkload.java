package io.chronik.bench;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code concurrency} consumers (at most one per partition), each {@code assign()}ed a share of the topic's
 * partitions: no consumer group, so no rebalance in the measurement. In consume mode they read from the earliest
 * offset; beside producers (round-trip, mixed) from the end, so the latency is that of this run's messages, not
 * the age of old ones.
 *
 * <p>Latency: now minus the produce time stamped in the payload by this process's producers, else now minus the
 * record's CreateTime. With a rate each consumer polls small batches and sleeps to its share: a deliberately
 * slow consumer. Lag (end offsets minus positions) is refreshed every half second for stall detection.
 */
final class ConsumeWorkload implements AutoCloseable {
    private static final long LAG_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final BenchOptions options;
    private final LatencyStats stats;
    private final long ratePerSecond;
    private final List<Thread> threads = new ArrayList<>();
    private final List<KafkaConsumer<byte[], byte[]>> consumers = new CopyOnWriteArrayList<>();
    private AtomicLongArray lags = new AtomicLongArray(0);
    private volatile boolean running = true;

    ConsumeWorkload(BenchOptions options, LatencyStats stats, long ratePerSecond) {
        this.options = options;
        this.stats = stats;
        this.ratePerSecond = ratePerSecond;
    }

    /** Starts the consumers and returns once each has its starting positions (bounded), so producers start after. */
    void start(boolean fromEnd) throws InterruptedException {
        List<TopicPartition> all = partitions();
        int count = Math.min(options.concurrency, all.size());
        if (count < options.concurrency) {
            System.err.printf("chronik-bench: %d consumers, one per partition of %s (not %d)%n", count, options.topic, options.concurrency);
        }
        lags = new AtomicLongArray(count);
        CountDownLatch positioned = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            List<TopicPartition> share = new ArrayList<>();
            for (int p = i; p < all.size(); p += count) {
                share.add(all.get(p));
            }
            int index = i;
            Thread t = new Thread(() -> consumeLoop(index, share, fromEnd, positioned, count), "bench-consumer-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        if (!positioned.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("consumers could not look up their starting offsets within 30s");
        }
    }

    /** Consumers in use (at most the partition count). */
    int consumerCount() {
        return threads.size();
    }

    private Properties config(String clientId) {
        Properties p = new Properties();
        p.put("bootstrap.servers", options.bootstrapServers);
        p.put("client.id", clientId);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "earliest");
        int fetch = options.clientRequestBytes();
        p.put("max.partition.fetch.bytes", Integer.toString(fetch));
        p.put("fetch.max.bytes", Integer.toString(Math.max(50 << 20, fetch)));
        return p;
    }

    private List<TopicPartition> partitions() throws InterruptedException {
        try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(config("chronik-bench-probe"))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                try {
                    List<PartitionInfo> infos = probe.partitionsFor(options.topic, Duration.ofSeconds(5));
                    if (infos != null && !infos.isEmpty()) {
                        return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition()))
                                .sorted((a, b) -> Integer.compare(a.partition(), b.partition())).toList();
                    }
                } catch (TimeoutException retry) {
                    // not reachable yet
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("no partitions found for topic " + options.topic
                + " within 30s (is the broker reachable? create the topic with --create-topic)");
    }

    private void consumeLoop(int index, List<TopicPartition> share, boolean fromEnd, CountDownLatch positioned, int count) {
        double perThreadRate = ratePerSecond > 0 ? (double) ratePerSecond / count : 0;
        Properties config = config("chronik-bench-consumer-" + index);
        if (perThreadRate > 0) {
            // About a tenth of a second of budget per poll, so a throttled consumer still polls several times a second.
            config.put("max.poll.records", Long.toString(Math.max(1, Math.min(500, (long) (perThreadRate / 10)))));
        }
        boolean ready = false;
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            consumer = new KafkaConsumer<>(config);
            consumers.add(consumer);
            consumer.assign(share);
            if (fromEnd) {
                consumer.seekToEnd(share);
            } else {
                consumer.seekToBeginning(share);
            }
            for (TopicPartition tp : share) {
                consumer.position(tp, Duration.ofSeconds(30)); // resolves the lazy seek now, not in the first poll
            }
            positioned.countDown();
            ready = true;
            long start = System.nanoTime();
            long mine = 0;
            long lastLagCheck = start - LAG_REFRESH_NANOS;
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long nowNanos = System.nanoTime();
                long nowMillis = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    long stamped = PayloadStamp.read(record.value());
                    long micros = stamped != PayloadStamp.NONE ? (nowNanos - stamped) / 1000 : (nowMillis - record.timestamp()) * 1000;
                    stats.record(micros, record.serializedValueSize());
                }
                mine += records.count();
                if (nowNanos - lastLagCheck >= LAG_REFRESH_NANOS) {
                    lastLagCheck = nowNanos;
                    refreshLag(consumer, share, index);
                }
                if (perThreadRate > 0) {
                    long due = start + (long) (mine / perThreadRate * 1e9);
                    while (running && System.nanoTime() < due) {
                        TimeUnit.NANOSECONDS.sleep(Math.min(due - System.nanoTime(), 50_000_000L));
                    }
                }
            }
        } catch (WakeupException | InterruptedException closing) {
            // close() woke us up
        } catch (RuntimeException e) {
            if (running) {
                stats.error(e);
                System.err.println("consumer " + index + " failed: " + e);
            }
        } finally {
            if (!ready) {
                positioned.countDown();
            }
            // No group to leave and nothing to commit: a short close, so a stalled broker cannot hold the exit.
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(1));
            }
        }
    }

    private void refreshLag(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> share, int index) {
        try {
            long behind = 0;
            for (Map.Entry<TopicPartition, Long> end : consumer.endOffsets(share, Duration.ofSeconds(5)).entrySet()) {
                behind += Math.max(0, end.getValue() - consumer.position(end.getKey()));
            }
            lags.set(index, behind);
        } catch (TimeoutException e) {
            // A broker that cannot say where the log ends is not known to be caught up: count as behind.
            lags.set(index, Math.max(1, lags.get(index)));
        }
    }

    /** Records known to be in the log but not yet consumed (as of the last refresh, at most half a second old). */
    long lag() {
        long sum = 0;
        for (int i = 0; i < lags.length(); i++) {
            sum += lags.get(i);
        }
        return sum;
    }

    long consumed() {
        return stats.progress();
    }

    @Override
    public void close() {
        running = false;
        for (KafkaConsumer<byte[], byte[]> consumer : consumers) {
            try {
                consumer.wakeup();
            } catch (RuntimeException alreadyClosed) {
                // its thread has finished
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
