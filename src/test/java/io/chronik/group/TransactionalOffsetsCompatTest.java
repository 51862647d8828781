package io.chronik.group;

import io.chronik.testing.ExternalTools;
import io.chronik.testing.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Transactions from clients other than Java against a broker in this JVM: kafkajs and librdkafka (Debian's
 * python3-confluent-kafka) each commit a transaction carrying its group's offsets, abort another and commit a third,
 * with non-transactional messages in between; their read_committed consumers see exactly the committed and
 * non-transactional messages, and the group's offset is the committed transaction's (see compat/).
 */
class TransactionalOffsetsCompatTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() throws IOException {
        dataDir = Files.createTempDirectory("chronik-txn-compat");
        broker = TestBroker.start(dataDir, Map.of("chronik.group.initial-rebalance-delay", "0s"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }


    @Test
    void kafkajsCommitsAndAbortsTransactions() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("compat/kafkajs/node_modules/kafkajs")), "run npm ci in compat/kafkajs");
        String output = ExternalTools.run(List.of("node", "compat/kafkajs/transactions.js"),
                Map.of("BOOTSTRAP", broker.bootstrapServers(), "TOPIC", "kafkajs-txn", "KAFKAJS_NO_PARTITIONER_WARNING", "1"), "", 150);
        assertThat(output).contains("\"committed\":11", "\"plain\":5", "\"aborted\":0", "\"groupOffset\":\"42\"");
    }

    @Test
    void librdkafkaCommitsAndAbortsTransactions() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3 (apt-get install python3-confluent-kafka)");
        String output = ExternalTools.run(List.of(PYTHON.toString(), "compat/librdkafka/transactions.py", broker.bootstrapServers(),
                "librdkafka-txn"), Map.of(), "", 150);
        assertThat(output).contains("\"committed\": 11", "\"plain\": 5", "\"aborted\": 0", "\"groupOffset\": 42");
    }
}
