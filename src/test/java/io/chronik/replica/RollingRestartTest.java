package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling restart of a three-broker cluster under acks=all load: two idempotent acks=all producers stream unique
 * values to an RF 3, min.insync.replicas=2 topic of six partitions and a consumer group of two (classic protocol)
 * reads all along, while each broker in turn is stopped with SIGTERM (controlled shutdown), started again and
 * waited for until it is back in every ISR. No send fails, no producer waits more than a few seconds for an
 * acknowledgement, every acknowledged value is in the log once at its acknowledged offset, and the group saw every
 * acknowledged value (at least once: a group whose coordinator restarts moves to another broker, which does not
 * have its offsets yet, so duplicates are counted, not forbidden).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RollingRestartTest {
    private static final String TOPIC = "rolling";
    private static final int PARTITIONS = 6;
    /**
     * "Stalls no client for more than a few seconds." A controlled shutdown stalls a send for about a second (the
     * leadership moves while the broker still answers, so the client is told at once); kill -9 instead of SIGTERM
     * stalls sends for 5 to 8 s (the session timeout, then the retry), which this bound does not let pass.
     */
    private static final long MAX_ACK_GAP_MS = 5_000;
    /**
     * The group may wait longer: when its coordinator stops, it moves to a broker that does not know it and its
     * members join anew there (after the initial rebalance delay), until offsets are replicated.
     */
    private static final long MAX_GROUP_GAP_MS = 20_000;

    @TempDir
    Path dir;

    @Test
    void rollingRestartUnderAcksAllLoadLosesNothingAndStallsNoProducer() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "rolling-restart-test", 3)) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, TOPIC, 3, 60);
            String bootstrap = cluster.bootstrap();

            List<ProducerStream> producers = new ArrayList<>();
            try (GroupReader group = new GroupReader(bootstrap, "rolling-group", 2)) {
                for (String name : List.of("p1", "p2")) {
                    producers.add(new ProducerStream(ClusterClients.producer(bootstrap, "all",
                            Map.of("delivery.timeout.ms", "120000")), TOPIC, name, 10_000_000, 50));
                }
                for (ProducerStream p : producers) {
                    p.awaitAcked(100, 30);
                }
                group.awaitRecords(100, 60);

                for (int id : List.copyOf(cluster.ids())) {
                    List<Integer> before = producers.stream().map(p -> p.acked().size()).toList();
                    long start = System.nanoTime();
                    cluster.broker(id).terminate();
                    Integer exit = cluster.broker(id).awaitExit(60, TimeUnit.SECONDS);
                    assertThat(exit).as("broker %d exited after SIGTERM", id).isNotNull();
                    long stoppedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    // It was the controlled shutdown that moved its leaderships, not its session timing out.
                    TestCluster.await("broker " + id + "'s controlled shutdown in its log", 5, () -> cluster.broker(id).output(),
                            out -> out.contains("Controlled shutdown: broker " + id + " left every ISR"));
                    cluster.startBroker(id).port();
                    cluster.awaitLiveBrokers(3, 60);
                    cluster.awaitIsr(admin, TOPIC, 3, 60);
                    // Both producers made progress across the restart.
                    for (int i = 0; i < producers.size(); i++) {
                        producers.get(i).awaitAcked(before.get(i) + 50, 30);
                    }
                    System.out.printf("broker %d: exited (code %d) %d ms after SIGTERM, back in every ISR after %d ms; "
                                    + "acknowledged %s, longest acknowledgement gaps so far %s ms%n", id, exit, stoppedMs,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                            producers.stream().map(p -> p.acked().size()).toList(),
                            producers.stream().map(ProducerStream::longestAckGapMs).toList());
                }

                Map<String, RecordMetadata> acked = new HashMap<>();
                List<Exception> failures = new ArrayList<>();
                long sent = 0;
                for (ProducerStream p : producers) {
                    p.stop(60);
                    acked.putAll(p.acked());
                    failures.addAll(p.failures());
                    sent += p.sent();
                }
                System.out.printf("%d values sent, %d acknowledged, %d failed; longest gap between acknowledgements %s ms, "
                                + "longest send-to-acknowledgement %s ms%n", sent, acked.size(), failures.size(),
                        producers.stream().map(ProducerStream::longestAckGapMs).toList(),
                        producers.stream().map(ProducerStream::longestLatencyMs).toList());
                assertThat(failures).as("failed sends").isEmpty();
                assertThat(acked).hasSize((int) sent);
                for (ProducerStream p : producers) {
                    assertThat(p.longestAckGapMs()).as("longest gap between two acknowledgements").isLessThan(MAX_ACK_GAP_MS);
                    // Per record too: acknowledgements from other partitions would hide a partition that stalls.
                    assertThat(p.longestLatencyMs()).as("longest send-to-acknowledgement").isLessThan(MAX_ACK_GAP_MS);
                }

                // The group read every acknowledged value, at least once.
                group.awaitAll(acked.keySet(), 60);
                long duplicates = group.counts.values().stream().mapToLong(n -> n - 1).sum();
                System.out.printf("group: %d values read, %d duplicate deliveries, %d rebalances, longest gap between "
                                + "records %d ms, errors %s%n", group.counts.size(), duplicates, group.rebalances.get(),
                        group.longestGapMs(), group.errors);
                assertThat(group.errors).as("errors the consumers' poll threw").isEmpty();
                assertThat(group.longestGapMs()).as("longest time the group received nothing").isLessThan(MAX_GROUP_GAP_MS);

                // A full read: each acknowledged value once in the log, at its acknowledged offset.
                Map<Integer, TreeMap<Long, String>> read = ClusterClients.readToEnd(bootstrap, TOPIC, PARTITIONS, 60);
                ClusterClients.assertAcknowledgedAtTheirOffsets(acked, read);
                Map<String, String> seenAt = new HashMap<>();
                for (Map.Entry<Integer, TreeMap<Long, String>> partition : read.entrySet()) {
                    for (Map.Entry<Long, String> record : partition.getValue().entrySet()) {
                        String position = partition.getKey() + "-" + record.getKey();
                        String first = seenAt.put(record.getValue(), position);
                        assertThat(first).as("value %s at %s and at %s", record.getValue(), first, position).isNull();
                    }
                }
            } finally {
                for (ProducerStream p : producers) {
                    p.close();
                }
            }
        }
    }

    /** Consumers of one classic group, each polling on its own thread and counting every value it is given. */
    private static final class GroupReader implements AutoCloseable {
        final Map<String, Integer> counts = new ConcurrentHashMap<>();
        final List<Exception> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger rebalances = new AtomicInteger();
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;
        private volatile long lastRecordNanos;
        private volatile long longestGapNanos;

        GroupReader(String bootstrap, String groupId, int members) {
            for (int i = 0; i < members; i++) {
                Properties props = new Properties();
                props.put("bootstrap.servers", bootstrap);
                props.put("group.id", groupId);
                props.put("group.protocol", "classic");
                props.put("auto.offset.reset", "earliest");
                props.put("auto.commit.interval.ms", "1000");
                props.put("session.timeout.ms", "10000");
                props.put("heartbeat.interval.ms", "1000");
                props.put("metadata.max.age.ms", "2000");
                props.put("reconnect.backoff.max.ms", "500");
                props.put("retry.backoff.max.ms", "500");
                props.put("request.timeout.ms", "10000");
                props.put("client.id", groupId + "-" + i);
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
                Thread thread = new Thread(() -> run(consumer), "group-reader-" + i);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        private void run(KafkaConsumer<String, String> consumer) {
            try (consumer) {
                consumer.subscribe(List.of(TOPIC), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        rebalances.incrementAndGet();
                    }
                });
                while (running) {
                    try {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                            counts.merge(r.value(), 1, Integer::sum);
                            long now = System.nanoTime();
                            synchronized (this) {
                                if (lastRecordNanos != 0) {
                                    longestGapNanos = Math.max(longestGapNanos, now - lastRecordNanos);
                                }
                                lastRecordNanos = now;
                            }
                        }
                    } catch (RuntimeException e) {
                        errors.add(e);
                        if (errors.size() > 100) {
                            return;
                        }
                    }
                }
            }
        }

        long longestGapMs() {
            return TimeUnit.NANOSECONDS.toMillis(longestGapNanos);
        }

        void awaitRecords(int count, int seconds) throws InterruptedException {
            TestCluster.await(count + " records read by the group", seconds, counts::size, n -> n >= count);
        }

        void awaitAll(Collection<String> values, int seconds) throws InterruptedException {
            TestCluster.await("every acknowledged value read by the group", seconds,
                    () -> values.stream().filter(v -> !counts.containsKey(v)).count(), missing -> missing == 0);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(15));
            }
        }
    }
}
