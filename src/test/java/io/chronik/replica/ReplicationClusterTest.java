package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three broker processes replicating RF 3 topics, driven by the Java client: the ISR holds all three, leaders are
 * spread, an acks=all idempotent producer keeps going when the leader of a partition is killed with kill -9, and
 * afterwards every acknowledged record is at its acknowledged offset exactly once; the killed broker restarts,
 * catches up and rejoins the ISR.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicationClusterTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;
    static Admin admin;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir, "replication-cluster-test", 3);
        admin = cluster.admin();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap, String acks) {
        return ClusterClients.producer(bootstrap, acks, Map.of("delivery.timeout.ms", "90000"));
    }

    private static Map<TopicPartition, Map<Long, String>> readAll(String bootstrap, String topic, int partitions, long expected)
            throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", "false");
        props.put("metadata.max.age.ms", "2000");
        Map<TopicPartition, Map<Long, String>> seen = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (count < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    String before = seen.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new HashMap<>())
                            .put(r.offset(), r.value());
                    assertThat(before).as("offset %d of %d read twice", r.offset(), r.partition()).isNull();
                    count++;
                }
            }
        }
        return seen;
    }

    @Test
    void acknowledgedRecordsSurviveTheLeadersDeath() throws Exception {
        String topic = "orders";
        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        TopicDescription described = cluster.awaitIsr(admin, topic, 3, 60);
        Set<Integer> leaders = new HashSet<>();
        for (int p = 0; p < 3; p++) {
            leaders.add(TestCluster.leaderOf(described, p));
            assertThat(described.partitions().get(p).replicas()).hasSize(3);
        }
        assertThat(leaders).as("leaders spread over the brokers").hasSize(3);
        int victim = TestCluster.leaderOf(described, 0);

        int total = 3000;
        Map<String, RecordMetadata> acked = new ConcurrentHashMap<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch third = new CountDownLatch(total / 3);
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        // A consumer reads all along, across the leader's death: it validates its position with the new leader
        // (OffsetsForLeaderEpoch) and must never see a record twice, a gap, or one that was not acknowledged.
        Map<TopicPartition, Map<Long, String>> tailed = new ConcurrentHashMap<>();
        AtomicReference<Exception> tailFailure = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean tailing = new java.util.concurrent.atomic.AtomicBoolean(true);
        String tailBootstrap = cluster.bootstrap();
        Thread tail = new Thread(() -> {
            Properties props = new Properties();
            props.put("bootstrap.servers", tailBootstrap);
            props.put("auto.offset.reset", "earliest");
            props.put("enable.auto.commit", "false");
            props.put("metadata.max.age.ms", "2000");
            props.put("reconnect.backoff.max.ms", "500");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
                consumer.assign(tps);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                while (System.nanoTime() < deadline && (tailing.get()
                        || tailed.values().stream().mapToInt(Map::size).sum() < total)) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        String before = tailed.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ConcurrentHashMap<>())
                                .put(r.offset(), r.value());
                        if (before != null) {
                            throw new IllegalStateException("offset " + r.offset() + " of " + r.partition() + " read twice");
                        }
                    }
                }
            } catch (Exception e) {
                tailFailure.set(e);
            }
        }, "tailing-consumer");
        tail.start();
        try (KafkaProducer<String, String> producer = producer(cluster.bootstrap(), "all")) {
            Thread killer = new Thread(() -> {
                try {
                    if (third.await(60, TimeUnit.SECONDS)) {
                        cluster.kill(victim);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            killer.start();
            for (int i = 0; i < total; i++) {
                String value = "v-" + i;
                sends.add(producer.send(new ProducerRecord<>(topic, Integer.toString(i), value), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        acked.put(value, md);
                    }
                    third.countDown();
                }));
                if (i % 100 == 99) {
                    Thread.sleep(20); // a steady stream, so the kill lands mid-stream
                }
            }
            producer.flush();
            killer.join(TimeUnit.SECONDS.toMillis(70));
        }
        assertThat(cluster.broker(victim).isAlive()).isFalse();
        assertThat(failure.get()).as("no send failed").isNull();
        assertThat(acked).hasSize(total);

        Map<TopicPartition, Map<Long, String>> read = readAll(cluster.bootstrap(), topic, 3, total);
        for (Map.Entry<String, RecordMetadata> e : acked.entrySet()) {
            RecordMetadata md = e.getValue();
            assertThat(read.getOrDefault(new TopicPartition(topic, md.partition()), Map.of()).get(md.offset()))
                    .as("record acknowledged at %d-%d", md.partition(), md.offset()).isEqualTo(e.getKey());
        }
        assertThat(read.values().stream().mapToInt(Map::size).sum()).as("nothing more than what was acknowledged").isEqualTo(total);
        tailing.set(false);
        tail.join(TimeUnit.SECONDS.toMillis(90));
        assertThat(tailFailure.get()).as("the tailing consumer's failure").isNull();
        assertThat(tailed).as("what the consumer read along the way").isEqualTo(read);

        // The killed broker comes back, truncates where it diverged, catches up and rejoins every ISR.
        cluster.startBroker(victim).port();
        cluster.awaitIsr(admin, topic, 3, 90);
    }
}
