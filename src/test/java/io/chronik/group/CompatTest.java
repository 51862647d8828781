package io.chronik.group;

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

/** The scripts in compat/ (kcat for librdkafka, kafkajs) against a broker in this JVM. */
class CompatTest {
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() throws IOException {
        dataDir = Files.createTempDirectory("chronik-compat");
        broker = TestBroker.start(dataDir, Map.of("chronik.default-partitions", "4"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static boolean onPath(String tool) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static String run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean done = process.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            process.destroyForcibly();
        }
        assertThat(done).as("finished in time:\n%s", output).isTrue();
        assertThat(process.exitValue()).as("exit code; output:\n%s", output).isZero();
        return output;
    }

    @Test
    void kcatMetadataKeysHeadersAndBalancedGroup() throws Exception {
        assumeTrue(onPath("kcat"), "kcat is not installed (apt-get install kcat)");
        String output = run(List.of("bash", "compat/kcat.sh", broker.bootstrapServers(), "kcat"), Map.of());
        assertThat(output).contains("kcat compat: OK");
    }

    @Test
    void kafkajsProducerAndTwoMemberGroup() throws Exception {
        assumeTrue(onPath("node"), "node is not installed");
        assumeTrue(Files.isDirectory(Path.of("compat/kafkajs/node_modules/kafkajs")), "run npm ci in compat/kafkajs");
        String output = run(List.of("node", "compat/kafkajs/group.js"),
                Map.of("BOOTSTRAP", broker.bootstrapServers(), "TOPIC", "kafkajs-compat", "KAFKAJS_NO_PARTITIONER_WARNING", "1"));
        assertThat(output).contains("\"unique\":500", "\"dupes\":0");
    }
}
