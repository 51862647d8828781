package io.chronik.group;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real consumer that keeps polling (and committing) on its own thread, counting every rebalance callback and every
 * record value it reads, so a test can tell whether the group rebalanced or records were read twice or skipped.
 */
final class PollingMember implements AutoCloseable {
    final AtomicInteger assigned = new AtomicInteger();
    final AtomicInteger revoked = new AtomicInteger();
    final AtomicInteger lost = new AtomicInteger();
    final AtomicInteger commitFailures = new AtomicInteger();
    /** Record value -> how many times it was read. */
    final Map<String, Integer> read = new ConcurrentHashMap<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    volatile int generation = -1;
    volatile String memberId = "";
    volatile Set<TopicPartition> assignment = Set.of();
    private volatile boolean running = true;
    private final KafkaConsumer<String, String> consumer;
    private final Thread thread;

    PollingMember(String bootstrap, String group, String protocol, String topic, String name, Map<String, String> extra) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", group);
        props.put("group.protocol", protocol);
        props.put("client.id", name);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", "false");
        props.put("metadata.max.age.ms", "2000");
        props.put("reconnect.backoff.max.ms", "500");
        props.put("retry.backoff.max.ms", "500");
        if (protocol.equals("classic")) {
            props.put("session.timeout.ms", "30000");
            props.put("heartbeat.interval.ms", "500");
        }
        props.putAll(extra);
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        thread = new Thread(() -> run(topic), "polling-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run(String topic) {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        revoked.incrementAndGet();
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        assigned.incrementAndGet();
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    lost.incrementAndGet();
                }
            });
            while (running) {
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, String> r : records) {
                    read.merge(r.value(), 1, Integer::sum);
                }
                if (!records.isEmpty()) {
                    try {
                        consumer.commitSync(Duration.ofSeconds(15));
                    } catch (WakeupException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        commitFailures.incrementAndGet();
                    }
                }
                generation = consumer.groupMetadata().generationId();
                memberId = consumer.groupMetadata().memberId();
                assignment = Set.copyOf(consumer.assignment());
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable t) {
            failure.set(t);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** The rebalance callbacks so far: assigned, revoked, lost. */
    List<Integer> callbacks() {
        return List.of(assigned.get(), revoked.get(), lost.get());
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(30_000);
    }
}
