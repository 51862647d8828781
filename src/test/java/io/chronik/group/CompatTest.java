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



    @Test
    void kcatMetadataKeysHeadersAndBalancedGroup() throws Exception {
        assumeTrue(ExternalTools.onPath("kcat"), "kcat is not installed (apt-get install kcat)");
        String output = ExternalTools.run(List.of("bash", "compat/kcat.sh", broker.bootstrapServers(), "kcat"), Map.of(), "", 120);
        assertThat(output).contains("kcat compat: OK");
    }

    @Test
    void kafkajsProducerAndTwoMemberGroup() throws Exception {
        assumeTrue(ExternalTools.onPath("node"), "node is not installed");
        assumeTrue(Files.isDirectory(Path.of("compat/kafkajs/node_modules/kafkajs")), "run npm ci in compat/kafkajs");
        String output = ExternalTools.run(List.of("node", "compat/kafkajs/group.js"),
                Map.of("BOOTSTRAP", broker.bootstrapServers(), "TOPIC", "kafkajs-compat", "KAFKAJS_NO_PARTITIONER_WARNING", "1"), "", 120);
        assertThat(output).contains("\"unique\":500", "\"dupes\":0");
    }
}
