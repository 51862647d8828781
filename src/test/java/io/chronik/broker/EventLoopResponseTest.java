package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Responses completed on storage, fsync, timer and offset-writer threads are still encoded on their connection's
 * event loop. The broker counts every response encoded anywhere else; driven by the Java client, that count stays
 * zero for the APIs whose answers are completed off the event loop.
 */
class EventLoopResponseTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;
    static MeterRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        // A non-zero initial rebalance delay: the JoinGroup answer is completed by the coordinator's timer thread.
        broker = TestBroker.start(dataDir, Map.of("chronik.group.initial-rebalance-delay", "200ms"));
        registry = broker.bean(MeterRegistry.class);
        Clients.createTopic(broker, "loop", 1);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static double offLoop() {
        return registry.get("chronik.responses.off.event.loop").counter().count();
    }

    private static double requests(String api) {
        return registry.get("chronik.requests").tag("api", api).counter().count();
    }

    /** Runs {@code step}, then checks that it sent {@code api} requests and that none was encoded off the event loop. */
    private static void assertEncodedOnEventLoop(String api, ThrowingRunnable step) throws Exception {
        double before = requests(api);
        double offBefore = offLoop();
        step.run();
        assertThat(requests(api)).as(api + " requests answered").isGreaterThan(before);
        assertThat(offLoop() - offBefore).as("responses encoded off the event loop during " + api).isZero();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void produceAcksAllFetchLongPollJoinGroupAndOffsetCommitAreEncodedOnTheEventLoop() throws Exception {
        TopicPartition tp = new TopicPartition("loop", 0);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "all", "linger.ms", "0"))) {
            // Completed by the fsync thread after the group commit.
            assertEncodedOnEventLoop("produce", () -> {
                for (int i = 0; i < 20; i++) {
                    producer.send(new ProducerRecord<>("loop", 0, "k", "v" + i)).get(30, TimeUnit.SECONDS);
                }
            });

            // Parked until an append wakes it (from the append lane), then re-read on the io scheduler.
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("fetch.max.wait.ms", "20000"))) {
                consumer.assign(List.of(tp));
                consumer.seekToEnd(List.of(tp));
                consumer.position(tp);
                assertEncodedOnEventLoop("fetch", () -> {
                    CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
                        try {
                            Thread.sleep(500);
                            producer.send(new ProducerRecord<>("loop", 0, "k", "wake")).get(30, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                    ConsumerRecords<String, String> records = ConsumerRecords.empty();
                    while (records.isEmpty() && System.nanoTime() < deadline) {
                        records = consumer.poll(Duration.ofSeconds(1));
                    }
                    later.get(30, TimeUnit.SECONDS);
                    assertThat(records.records(tp)).extracting(r -> r.value()).containsExactly("wake");
                });
            }
        }

        try (KafkaConsumer<String, String> member = Clients.consumer(broker, Map.of("group.id", "loop-group"))) {
            // Completed by the coordinator's timer thread when the initial rebalance delay ends.
            assertEncodedOnEventLoop("join_group", () -> {
                member.subscribe(List.of("loop"));
                Clients.pollUntil(List.of(member), () -> !member.assignment().isEmpty(), "assignment");
            });
            // Completed by the offset store's writer thread after its fsync.
            assertEncodedOnEventLoop("offset_commit", () ->
                    member.commitSync(Map.of(tp, new OffsetAndMetadata(3)), Duration.ofSeconds(30)));
        }
    }
}
