package io.chronik.txn;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java client's transaction version as Chronik advertises it (the {@code transaction.version} feature): at 2 (the
 * default) every commit or abort bumps the producer's epoch and the producer sends neither AddPartitionsToTxn nor
 * AddOffsetsToTxn (leaders and the group coordinator add the partitions); pinned to 1 with
 * {@code chronik.transaction.version=1}, the classic protocol: one epoch for every transaction, partitions added by the
 * producer. Both commit and abort records and group offsets exactly as they should.
 */
@Timeout(180)
class TransactionVersion2Test {
    private static final TopicPartition IN = new TopicPartition("tv-in", 0);

    @TempDir
    Path dataDir;

    @Test
    void theJavaClientUsesTransactionVersion2() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            List<Integer> epochs = run(broker, "tv2");
            // One bump per EndTxn: the client really ran transaction version 2.
            for (int i = 1; i < epochs.size(); i++) {
                assertThat(epochs.get(i)).as("epochs %s", epochs).isEqualTo(epochs.get(i - 1) + 1);
            }
            assertThat(requests(broker, "add_partitions_to_txn")).isZero();
            assertThat(requests(broker, "add_offsets_to_txn")).isZero();
        }
    }

    @Test
    void pinnedToVersion1TheClassicProtocolStillWorks() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.transaction.version", "1"))) {
            List<Integer> epochs = run(broker, "tv1");
            assertThat(epochs).as("epochs").containsOnly(epochs.get(0));
            assertThat(requests(broker, "add_partitions_to_txn")).isPositive();
            assertThat(requests(broker, "add_offsets_to_txn")).isPositive();
        }
    }

    /**
     * Back-to-back transactions with pipelined batches, as ProducerPerformance --transactional-id runs them: the first
     * batches of each transaction reach the leader while the markers of the one before are still being written (the
     * coordinator answers CONCURRENT_TRANSACTIONS), and later batches of the same transaction must not be taken before
     * them. Every transaction commits in time and read_committed sees each record once.
     */
    @Test
    void pipelinedBackToBackTransactionsAllCommit() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "tv-burst", 1);
            int transactions = 30;
            int perTransaction = 2_000;
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("transactional.id", "burst",
                    "linger.ms", "0", "batch.size", "4096", "max.block.ms", "20000"))) {
                producer.initTransactions();
                for (int t = 0; t < transactions; t++) {
                    producer.beginTransaction();
                    for (int i = 0; i < perTransaction; i++) {
                        producer.send(new ProducerRecord<>("tv-burst", 0, null, t + "-" + i + "-" + "x".repeat(100)));
                    }
                    producer.commitTransaction();
                }
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", "read_committed"))) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer,
                        List.of(new TopicPartition("tv-burst", 0)), transactions * perTransaction, Duration.ofSeconds(60));
                assertThat(records).hasSize(transactions * perTransaction);
                assertThat(records.stream().map(ConsumerRecord::value).distinct().count())
                        .isEqualTo((long) transactions * perTransaction);
            }
        }
    }

    private static double requests(TestBroker broker, String api) {
        return broker.bean(MeterRegistry.class).get("chronik.requests").tag("api", api).counter().count();
    }

    /**
     * Three committed transactions and an aborted one, each with records on two partitions and the group's offsets;
     * checks what read_committed consumers and the group see. The producer's epoch after initTransactions and after
     * each transaction.
     */
    private static List<Integer> run(TestBroker broker, String id) throws Exception {
        Clients.createTopic(broker, "tv", 2);
        Clients.createTopic(broker, "tv-in", 1);
        List<Integer> epochs = new ArrayList<>();
        try (Admin admin = Clients.admin(broker);
             KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("transactional.id", id))) {
            producer.initTransactions();
            epochs.add(epoch(admin, id));
            for (int i = 0; i < 4; i++) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tv", 0, null, "a" + i)).get(60, TimeUnit.SECONDS);
                producer.send(new ProducerRecord<>("tv", 1, null, "b" + i)).get(60, TimeUnit.SECONDS);
                producer.sendOffsetsToTransaction(Map.of(IN, new OffsetAndMetadata(i + 1)),
                        new ConsumerGroupMetadata("tv-group"));
                if (i == 3) {
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
                epochs.add(epoch(admin, id));
            }
            // The next transaction goes on at the epoch EndTxn gave.
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tv", 0, null, "a4")).get(60, TimeUnit.SECONDS);
            producer.commitTransaction();

            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", "read_committed"))) {
                List<String> values = Clients.readAll(consumer, List.of(new TopicPartition("tv", 0),
                        new TopicPartition("tv", 1)), 7, Duration.ofSeconds(30)).stream().map(ConsumerRecord::value).toList();
                assertThat(values).containsExactlyInAnyOrder("a0", "b0", "a1", "b1", "a2", "b2", "a4");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long committed = -1;
            while (committed != 3 && System.nanoTime() < deadline) {
                OffsetAndMetadata offset = admin.listConsumerGroupOffsets("tv-group").partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS).get(IN);
                committed = offset == null ? -1 : offset.offset();
                Thread.sleep(committed == 3 ? 0 : 50);
            }
            assertThat(committed).as("the group's offset: the last committed transaction's").isEqualTo(3);
        }
        return epochs;
    }

    private static int epoch(Admin admin, String id) throws Exception {
        return admin.describeTransactions(List.of(id)).description(id).get(30, TimeUnit.SECONDS).producerEpoch();
    }
}
