package io.chronik.txn;

import io.chronik.testing.ExternalTools;
import io.chronik.testing.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Transactions through non-Java clients from compat/ (kafkajs) against a broker alone. */
@Timeout(180)
class TransactionCompatTest {
    @TempDir
    Path dataDir;



    @Test
    void librdkafkaThroughKcatCommitsATransactionReadCommittedConsumersSee() throws Exception {
        assumeTrue(ExternalTools.onPath("kcat"), "kcat is not installed (apt-get install kcat)");
        try (TestBroker broker = TestBroker.start(dataDir)) {
            io.chronik.testing.Clients.createTopic(broker, "kcat-txn", 1);
            String bootstrap = broker.bootstrapServers();
            ExternalTools.run(List.of("kcat", "-P", "-b", bootstrap, "-t", "kcat-txn", "-p", "0", "-X", "transactional.id=kcat-txn"),
                    Map.of(), "k1\nk2\nk3\n", 120);
            ExternalTools.run(List.of("kcat", "-P", "-b", bootstrap, "-t", "kcat-txn", "-p", "0"), Map.of(), "plain\n", 120);
            String read = ExternalTools.run(List.of("kcat", "-C", "-b", bootstrap, "-t", "kcat-txn", "-p", "0", "-o", "beginning", "-e",
                    "-q", "-X", "isolation.level=read_committed"), Map.of(), "", 120);
            assertThat(read.lines().toList()).containsExactly("k1", "k2", "k3", "plain");
        }
    }

    @Test
    void kafkajsCommitsAndAbortsAndItsConsumerReadsOnlyTheCommitted() throws Exception {
        assumeTrue(ExternalTools.onPath("node"), "node is not installed");
        assumeTrue(Files.isDirectory(Path.of("compat/kafkajs/node_modules/kafkajs")), "run npm ci in compat/kafkajs");
        try (TestBroker broker = TestBroker.start(dataDir)) {
            String output = ExternalTools.run(List.of("node", "compat/kafkajs/txn.js"), Map.of("BOOTSTRAP",
                    broker.bootstrapServers(), "TOPIC", "kafkajs-txn", "KAFKAJS_NO_PARTITIONER_WARNING", "1"), "", 120);
            assertThat(output).contains("{\"values\":[\"t1\",\"t2\",\"p1\",\"t3\"]}");
        }
    }
}
