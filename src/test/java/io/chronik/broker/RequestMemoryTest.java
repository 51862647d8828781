package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * chronik.max-queued-request-bytes bounds the memory all connections hold in requests: past it Chronik stops
 * reading sockets until requests are done, and nothing fails.
 */
class RequestMemoryTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;
    static MeterRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        broker = TestBroker.start(dataDir, Map.of("chronik.max-queued-request-bytes", "64KB"));
        registry = broker.bean(MeterRegistry.class);
        Clients.createTopic(broker, "memory", 4);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static double heldForMemory() {
        return registry.get("chronik.reads.held").tag("reason", "request-memory").counter().count();
    }

    private static double memoryInUse() {
        return registry.get("chronik.request.memory.bytes").gauge().value();
    }

    @Test
    void manyProducersAgainstATinyBudgetAllSucceedWhileReadsArePaused() throws Exception {
        double heldBefore = heldForMemory();
        int producers = 12;
        int records = 150;
        String value = "m".repeat(4096);
        ExecutorService pool = Executors.newFixedThreadPool(producers);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                done.add(pool.submit(() -> {
                    // No retries: a request the broker failed would fail its send.
                    try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "all",
                            "retries", "0", "enable.idempotence", "false", "batch.size", "65536", "linger.ms", "5"))) {
                        List<Future<RecordMetadata>> sends = new ArrayList<>();
                        for (int i = 0; i < records; i++) {
                            sends.add(producer.send(new ProducerRecord<>("memory", i % 4, "p" + id, value)));
                        }
                        for (Future<RecordMetadata> send : sends) {
                            send.get(60, TimeUnit.SECONDS);
                        }
                        return sends.size();
                    }
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(records);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(heldForMemory()).as("reads held back for request memory").isGreaterThan(heldBefore);
        // Every charged byte is given back once the requests are done.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (memoryInUse() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(memoryInUse()).isZero();
    }

    @Test
    void aRequestLargerThanTheWholeBudgetStillProceeds() throws Exception {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("max.request.size", "1000000",
                "retries", "0", "enable.idempotence", "false"))) {
            RecordMetadata written = producer.send(new ProducerRecord<>("memory", 0, "big", "b".repeat(300_000)))
                    .get(30, TimeUnit.SECONDS);
            assertThat(written.offset()).isNotNegative();
        }
    }

    @Test
    void aBudgetOfZeroStopsStartupNamingTheKey(@TempDir Path otherDir) {
        Throwable failure = catchThrowable(() -> TestBroker.start(otherDir, Map.of("chronik.max-queued-request-bytes", "0")).close());
        assertThat(failure).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).contains("chronik.max-queued-request-bytes");
    }
}
