package io.chronik.txn;

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

    private static boolean onPath(String tool) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static String run(List<String> command, String stdin) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(output).isTrue();
            assertThat(process.exitValue()).as("exit code of %s; output:\n%s", command, output).isZero();
            return output;
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void librdkafkaThroughKcatCommitsATransactionReadCommittedConsumersSee() throws Exception {
        assumeTrue(onPath("kcat"), "kcat is not installed (apt-get install kcat)");
        try (TestBroker broker = TestBroker.start(dataDir)) {
            io.chronik.testing.Clients.createTopic(broker, "kcat-txn", 1);
            String bootstrap = broker.bootstrapServers();
            run(List.of("kcat", "-P", "-b", bootstrap, "-t", "kcat-txn", "-p", "0", "-X", "transactional.id=kcat-txn"),
                    "k1\nk2\nk3\n");
            run(List.of("kcat", "-P", "-b", bootstrap, "-t", "kcat-txn", "-p", "0"), "plain\n");
            String read = run(List.of("kcat", "-C", "-b", bootstrap, "-t", "kcat-txn", "-p", "0", "-o", "beginning", "-e",
                    "-q", "-X", "isolation.level=read_committed"), "");
            assertThat(read.lines().toList()).containsExactly("k1", "k2", "k3", "plain");
        }
    }

    @Test
    void kafkajsCommitsAndAbortsAndItsConsumerReadsOnlyTheCommitted() throws Exception {
        assumeTrue(onPath("node"), "node is not installed");
        assumeTrue(Files.isDirectory(Path.of("compat/kafkajs/node_modules/kafkajs")), "run npm ci in compat/kafkajs");
        try (TestBroker broker = TestBroker.start(dataDir)) {
            ProcessBuilder builder = new ProcessBuilder("node", "compat/kafkajs/txn.js").redirectErrorStream(true);
            builder.environment().putAll(Map.of("BOOTSTRAP", broker.bootstrapServers(), "TOPIC", "kafkajs-txn",
                    "KAFKAJS_NO_PARTITIONER_WARNING", "1"));
            Process process = builder.start();
            try {
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(output).isTrue();
                assertThat(process.exitValue()).as("exit code; output:\n%s", output).isZero();
                assertThat(output).contains("{\"values\":[\"t1\",\"t2\",\"p1\",\"t3\"]}");
            } finally {
                process.destroyForcibly();
            }
        }
    }
}
