package io.chronik.txn;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Transactions through the Java client against a broker alone: KafkaProducer with a transactional.id (commit, abort,
 * fencing, a producer killed mid-transaction, a broker restarted mid-transaction) and KafkaConsumer with
 * isolation.level=read_committed.
 */
@Timeout(240)
class TransactionProducerTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path dataDir;

    private static KafkaProducer<String, String> transactional(TestBroker broker, String id, Map<String, Object> extra) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("transactional.id", id, "max.block.ms", "60000"));
        config.putAll(extra);
        return Clients.producer(broker, config);
    }

    private static List<String> readCommitted(TestBroker broker, int expected, Duration timeout) {
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", "read_committed"))) {
            return Clients.readAll(consumer, List.of(TP), expected, timeout).stream().map(ConsumerRecord::value).toList();
        }
    }

    private static long latest(TestBroker broker, IsolationLevel isolation) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            return admin.listOffsets(Map.of(TP, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
                    .get(30, TimeUnit.SECONDS).get(TP).offset();
        }
    }

    /** The read_committed latest offset once it reaches {@code expected} (markers follow EndTxn's answer). */
    private static long awaitCommittedLatest(TestBroker broker, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long latest = latest(broker, IsolationLevel.READ_COMMITTED);
        while (latest != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
            latest = latest(broker, IsolationLevel.READ_COMMITTED);
        }
        return latest;
    }

    @Test
    void readCommittedSeesExactlyTheCommittedAndNonTransactionalRecordsInOrder() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> txn = transactional(broker, "orders-txn", Map.of());
                 KafkaProducer<String, String> plain = Clients.producer(broker, Map.of())) {
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "c1"));
                txn.send(new ProducerRecord<>("orders", "c2"));
                txn.commitTransaction();
                plain.send(new ProducerRecord<>("orders", "p1")).get();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "a1"));
                txn.flush();
                plain.send(new ProducerRecord<>("orders", "p2")).get();
                txn.abortTransaction();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "c3"));
                txn.commitTransaction();
                plain.send(new ProducerRecord<>("orders", "p3")).get();
            }
            // c1 c2 COMMIT p1 a1 p2 ABORT c3 COMMIT p3: 10 offsets
            assertThat(latest(broker, IsolationLevel.READ_UNCOMMITTED)).isEqualTo(10);
            assertThat(awaitCommittedLatest(broker, 10)).isEqualTo(10);
            assertThat(readCommitted(broker, 6, Duration.ofSeconds(10))).containsExactly("c1", "c2", "p1", "p2", "c3", "p3");
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("isolation.level", "read_uncommitted"))) {
                assertThat(Clients.readAll(consumer, List.of(TP), 7, Duration.ofSeconds(10)).stream().map(ConsumerRecord::value))
                        .containsExactly("c1", "c2", "p1", "a1", "p2", "c3", "p3");
            }
        }
    }

    @Test
    void anOpenTransactionHoldsReadCommittedConsumersAtTheLastStableOffset() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> txn = transactional(broker, "open-txn", Map.of());
                 KafkaProducer<String, String> plain = Clients.producer(broker, Map.of())) {
                plain.send(new ProducerRecord<>("orders", "before")).get();
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "t1"));
                txn.flush();
                plain.send(new ProducerRecord<>("orders", "after")).get();
                assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isEqualTo(1);
                assertThat(readCommitted(broker, 3, Duration.ofSeconds(3))).containsExactly("before");
                txn.commitTransaction();
            }
            assertThat(awaitCommittedLatest(broker, 4)).isEqualTo(4);
            assertThat(readCommitted(broker, 3, Duration.ofSeconds(10))).containsExactly("before", "t1", "after");
        }
    }

    @Test
    void aSecondProducerWithTheSameIdFencesTheFirstAndAbortsItsTransaction() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> zombie = transactional(broker, "fenced-txn", Map.of())) {
                zombie.initTransactions();
                zombie.beginTransaction();
                zombie.send(new ProducerRecord<>("orders", "zombie")).get();
                try (KafkaProducer<String, String> successor = transactional(broker, "fenced-txn", Map.of())) {
                    successor.initTransactions(); // aborts the zombie's transaction first
                    successor.beginTransaction();
                    successor.send(new ProducerRecord<>("orders", "successor"));
                    successor.commitTransaction();
                }
                assertThatThrownBy(zombie::commitTransaction).isInstanceOfAny(ProducerFencedException.class, KafkaException.class)
                        .satisfies(e -> assertThat(e instanceof ProducerFencedException || e.getCause() instanceof ProducerFencedException)
                                .as(e.toString()).isTrue());
            }
            assertThat(readCommitted(broker, 1, Duration.ofSeconds(10))).containsExactly("successor");
        }
    }

    @Test
    void aProducerKilledMidTransactionIsAbortedAfterItsTimeout() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.transaction.abort-timed-out-interval", "200ms"))) {
            Clients.createTopic(broker, "orders", 1);
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), TransactionalProducerProcess.class.getName(),
                    broker.bootstrapServers(), "killed-txn", "orders", "3", "3000");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream()));
                List<String> lines = new ArrayList<>();
                String line;
                while ((line = output.readLine()) != null && !line.equals("SENT")) {
                    lines.add(line);
                }
                assertThat(line).as(String.join("\n", lines)).isEqualTo("SENT");
                try (KafkaProducer<String, String> plain = Clients.producer(broker, Map.of())) {
                    plain.send(new ProducerRecord<>("orders", "plain")).get();
                }
                assertThat(latest(broker, IsolationLevel.READ_COMMITTED)).isZero();
                process.destroyForcibly(); // SIGKILL
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                // The coordinator aborts it once transaction.timeout.ms (3 s) has passed: the consumer moves on.
                assertThat(readCommitted(broker, 1, Duration.ofSeconds(30))).containsExactly("plain");
                assertThat(awaitCommittedLatest(broker, 5)).isEqualTo(5);
                // The id is usable again, by a new producer.
                try (KafkaProducer<String, String> next = transactional(broker, "killed-txn", Map.of())) {
                    next.initTransactions();
                    next.beginTransaction();
                    next.send(new ProducerRecord<>("orders", "next"));
                    next.commitTransaction();
                }
                assertThat(readCommitted(broker, 2, Duration.ofSeconds(10))).containsExactly("plain", "next");
            } finally {
                process.destroyForcibly();
            }
        }
    }

    /** Kafka's kafka-transactions tool (TransactionsCommand) against the broker: its exit code and output. */
    private static String transactionsCli(TestBroker broker, String... args) throws Exception {
        Path lib = Path.of("target", "tools-lib");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(lib), "target/tools-lib is made by the Maven build");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", lib.toAbsolutePath() + java.io.File.separator + "*", "org.apache.kafka.tools.TransactionsCommand",
                "--bootstrap-server", broker.bootstrapServers()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("kafka-transactions finished").isTrue();
            assertThat(process.exitValue()).as(output).isZero();
            return output;
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void kafkaTransactionsListsAndDescribesAnOpenTransaction() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> txn = transactional(broker, "listed-txn", Map.of())) {
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "open")).get();
                String listed = transactionsCli(broker, "list");
                assertThat(listed).containsPattern("listed-txn\\s+0\\s+\\d+\\s+Ongoing");
                String described = transactionsCli(broker, "describe", "--transactional-id", "listed-txn");
                assertThat(described).contains("listed-txn").contains("Ongoing").contains("orders-0");
                txn.commitTransaction();
            }
            assertThat(awaitCommittedLatest(broker, 2)).isEqualTo(2);
            assertThat(transactionsCli(broker, "describe", "--transactional-id", "listed-txn")).contains("CompleteCommit");
        }
    }

    private static boolean idKnown(TestBroker broker, String id) throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            admin.describeTransactions(List.of(id)).description(id).get(30, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TransactionalIdNotFoundException) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void anIdleTransactionalIdExpiresAndStaysForgottenAfterARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.transaction.id-expiration", "2s",
                "chronik.transaction.abort-timed-out-interval", "200ms"))) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> txn = transactional(broker, "idle-txn", Map.of())) {
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "once"));
                txn.commitTransaction();
            }
            assertThat(idKnown(broker, "idle-txn")).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (idKnown(broker, "idle-txn") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(idKnown(broker, "idle-txn")).as("expired").isFalse();
            broker.stop();
        }
        // Restarted without expiration in sight: the id is gone only if its tombstone is replayed.
        try (TestBroker restarted = TestBroker.start(dataDir)) {
            assertThat(idKnown(restarted, "idle-txn")).as("the tombstone is replayed").isFalse();
            assertThat(readCommitted(restarted, 1, Duration.ofSeconds(10))).containsExactly("once");
        }
    }

    @Test
    void aTransactionOpenAcrossABrokerRestartCommits() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.listener.port", String.valueOf(port)))) {
            Clients.createTopic(broker, "orders", 1);
            try (KafkaProducer<String, String> txn = transactional(broker, "restart-txn", Map.of())) {
                txn.initTransactions();
                txn.beginTransaction();
                txn.send(new ProducerRecord<>("orders", "r1")).get();
                broker.restart();
                txn.send(new ProducerRecord<>("orders", "r2"));
                txn.commitTransaction();
            }
            assertThat(readCommitted(broker, 2, Duration.ofSeconds(10))).containsExactly("r1", "r2");
            assertThat(awaitCommittedLatest(broker, 3)).isEqualTo(3);
        }
    }
}
