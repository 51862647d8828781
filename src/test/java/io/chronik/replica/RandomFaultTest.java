package io.chronik.replica;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A randomized fault test in the spirit of Jepsen's queue workload. Two idempotent acks=all producers send unique
 * values to an RF 3, min.insync.replicas=2 topic of three partitions while, round after round, a randomly chosen
 * broker is killed with kill -9 (in about one round of four stopped with SIGTERM instead, a controlled shutdown),
 * stays down for a random while and is restarted (never two down at once: each round
 * waits until the restarted broker is live again, and in about half the rounds until it is back in every ISR, so
 * the next kill may hit the only in-sync replica of a partition). Then a full read checks that no acknowledged value was
 * lost, no value is in the log twice, no two acknowledged values share an offset, and every acknowledged value is
 * at the offset its acknowledgement named.
 * <p>
 * Seeded: the seed is printed and {@code -Dchronik.faults.seed=N} replays its choices; {@code -Dchronik.faults.rounds}
 * sets the rounds (6 by default; scripts/fault-test.sh runs more).
 */
class RandomFaultTest {
    @TempDir
    Path dir;

    @Test
    void noAcknowledgedValueIsLostDuplicatedOrMoved() throws Exception {
        long seed = Long.getLong("chronik.faults.seed", System.nanoTime());
        int rounds = Integer.getInteger("chronik.faults.rounds", 6);
        System.out.printf("RandomFaultTest: seed %d, %d rounds (replay with -Dchronik.faults.seed=%d)%n", seed, rounds, seed);
        Random random = new Random(seed);
        String topic = "queue";
        try (TestCluster cluster = TestCluster.start(dir, "random-fault-test", 3)) {
            Admin admin = cluster.admin();
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all().get(30, TimeUnit.SECONDS);
            cluster.awaitIsr(admin, topic, 3, 60);
            List<ProducerStream> producers = new ArrayList<>();
            for (String name : List.of("p1", "p2")) {
                producers.add(new ProducerStream(ClusterClients.producer(cluster.bootstrap(), "all",
                        Map.of("delivery.timeout.ms", "120000")), topic, name, 10_000_000, 50));
            }
            for (ProducerStream p : producers) {
                p.awaitAcked(100, 30);
            }
            for (int round = 1; round <= rounds; round++) {
                int victim = 1 + random.nextInt(3);
                long downMs = 200 + random.nextInt(4000);
                long quietMs = random.nextInt(2000);
                boolean graceful = random.nextInt(4) == 0;
                List<Integer> before = producers.stream().map(p -> p.acked().size()).toList();
                long start = System.nanoTime();
                if (graceful) {
                    cluster.broker(victim).terminate();
                    assertThat(cluster.broker(victim).awaitExit(60, TimeUnit.SECONDS)).as("broker %d stopped", victim).isNotNull();
                } else {
                    cluster.kill(victim);
                }
                Thread.sleep(downMs);
                cluster.startBroker(victim);
                cluster.awaitLiveBrokers(3, 90);
                boolean waitForIsr = random.nextBoolean();
                if (waitForIsr) {
                    cluster.awaitIsr(admin, topic, 3, 90);
                }
                // Both producers made progress through the round (they were acknowledged again after the failover).
                for (int i = 0; i < producers.size(); i++) {
                    producers.get(i).awaitAcked(before.get(i) + 50, 60);
                }
                System.out.printf("round %d: %s broker %d, down for %d ms, live again%s after %d ms; acknowledged %s%n",
                        round, graceful ? "stopped (SIGTERM)" : "killed", victim, downMs, waitForIsr ? " and in every ISR" : "",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                        producers.stream().map(p -> p.acked().size()).toList());
                Thread.sleep(quietMs);
            }
            cluster.awaitIsr(admin, topic, 3, 90); // the last one to come back catches up too
            Map<String, RecordMetadata> acked = new HashMap<>();
            List<Exception> failures = new ArrayList<>();
            long sent = 0;
            for (ProducerStream p : producers) {
                p.stop(120);
                acked.putAll(p.acked());
                failures.addAll(p.failures());
                sent += p.sent();
            }
            System.out.printf("%d values sent, %d acknowledged, %d failed%n", sent, acked.size(), failures.size());

            Map<Integer, TreeMap<Long, String>> read = ClusterClients.readToEnd(cluster.bootstrap(), topic, 3, 120);
            // No two acknowledged values at one offset.
            Map<String, String> byPosition = new HashMap<>();
            for (Map.Entry<String, RecordMetadata> e : acked.entrySet()) {
                String position = e.getValue().partition() + "-" + e.getValue().offset();
                String other = byPosition.put(position, e.getKey());
                assertThat(other).as("values %s and %s both acknowledged at %s (seed %d)", other, e.getKey(), position, seed).isNull();
            }
            // Every acknowledged value is there, at its acknowledged offset (nothing lost, nothing moved).
            ClusterClients.assertAcknowledgedAtTheirOffsets(acked, read);
            // No value twice in the log.
            Map<String, String> seenAt = new HashMap<>();
            for (Map.Entry<Integer, TreeMap<Long, String>> partition : read.entrySet()) {
                for (Map.Entry<Long, String> record : partition.getValue().entrySet()) {
                    String position = partition.getKey() + "-" + record.getKey();
                    String first = seenAt.put(record.getValue(), position);
                    assertThat(first).as("value %s at %s and at %s (seed %d)", record.getValue(), first, position, seed).isNull();
                }
            }
            // Liveness: with a 120 s delivery timeout and one broker down at a time, no send should fail.
            assertThat(failures).as("failed sends (seed %d)", seed).isEmpty();
        }
    }
}
