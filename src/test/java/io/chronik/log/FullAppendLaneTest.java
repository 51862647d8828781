package io.chronik.log;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full append lane slows producers down instead of failing them: with a lane of 16 tasks held up, many producers'
 * requests all get acknowledged, none with KAFKA_STORAGE_ERROR, and each partition keeps every producer's order.
 */
class FullAppendLaneTest {
    @TempDir
    Path dataDir;

    @Test
    void producersAgainstAFullLaneAreAllAcknowledgedInOrder() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.storage.append-threads", "1",
                "chronik.storage.max-pending-appends-per-lane", "16"))) {
            Clients.createTopic(broker, "full", 4);
            MeterRegistry registry = broker.bean(MeterRegistry.class);
            Log log = broker.bean(LogManager.class).log("full", 0).orElseThrow();
            AppendLane lane = (AppendLane) log.lane();

            // Hold the lane's thread so its queue fills up.
            CountDownLatch release = new CountDownLatch(1);
            lane.execute(() -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });

            int producers = 24;
            int records = 20;
            ExecutorService pool = Executors.newFixedThreadPool(producers);
            try {
                List<Future<Integer>> done = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    int id = p;
                    done.add(pool.submit(() -> {
                        // No retries: a produce the broker failed fails its send.
                        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "1",
                                "retries", "0", "enable.idempotence", "false", "linger.ms", "0",
                                "max.in.flight.requests.per.connection", "5"))) {
                            List<Future<RecordMetadata>> sends = new ArrayList<>();
                            for (int i = 0; i < records; i++) {
                                sends.add(producer.send(new ProducerRecord<>("full", i % 4, "p" + id, id + ":" + i)));
                            }
                            for (Future<RecordMetadata> send : sends) {
                                send.get(90, TimeUnit.SECONDS);
                            }
                            return sends.size();
                        }
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (lane.waiting() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(lane.waiting()).as("appends waiting for room in the full lane").isPositive();
                assertThat(registry.get("chronik.reads.held").tag("reason", "append-lane").counter().count())
                        .as("connections that stopped reading for the full lane").isPositive();

                release.countDown();
                for (Future<Integer> f : done) {
                    assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(records);
                }
            } finally {
                release.countDown();
                pool.shutdownNow();
            }

            // Every record is there once, and each producer's records are in its order within each partition.
            List<TopicPartition> partitions = List.of(new TopicPartition("full", 0), new TopicPartition("full", 1),
                    new TopicPartition("full", 2), new TopicPartition("full", 3));
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                List<ConsumerRecord<String, String>> all = Clients.readAll(consumer, partitions, producers * records,
                        Duration.ofSeconds(60));
                assertThat(all).hasSize(producers * records);
                Map<String, Integer> last = new HashMap<>();
                for (ConsumerRecord<String, String> r : all) {
                    String[] parts = r.value().split(":");
                    String key = r.partition() + "/" + parts[0];
                    int seq = Integer.parseInt(parts[1]);
                    assertThat(seq).as("order of " + key).isGreaterThan(last.getOrDefault(key, -1));
                    last.put(key, seq);
                }
            }
        }
    }
}
