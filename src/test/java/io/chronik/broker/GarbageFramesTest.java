package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.MetadataRequestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Malformed input closes only the connection that sent it; the broker keeps serving everyone else. */
class GarbageFramesTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dataDir, Map.of("chronik.max-request-bytes", "1MB"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static byte[] lengthPrefix(int length) {
        return ByteBuffer.allocate(4).putInt(length).array();
    }

    @Test
    void hugeLengthPrefixClosesTheConnection() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.sendRaw(lengthPrefix(Integer.MAX_VALUE));
            assertThat(client.closedByBroker()).isTrue();
        }
        assertBrokerServes("after-huge");
    }

    @Test
    void negativeLengthPrefixClosesTheConnection() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.sendRaw(lengthPrefix(-5));
            assertThat(client.closedByBroker()).isTrue();
        }
        assertBrokerServes("after-negative");
    }

    @Test
    void unknownApiKeyClosesTheConnection() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            byte[] frame = RawKafkaClient.frame(new MetadataRequestData().setTopics(null), (short) 12, 1);
            frame[4] = 0x7f;
            frame[5] = 0x10;
            client.sendRaw(frame);
            assertThat(client.closedByBroker()).isTrue();
        }
        assertBrokerServes("after-unknown-key");
    }

    @Test
    void bodyThatDoesNotParseClosesTheConnection() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            byte[] frame = RawKafkaClient.frame(new MetadataRequestData().setTopics(null), (short) 12, 1);
            byte[] body = new byte[200];
            new Random(7).nextBytes(body);
            ByteBuffer garbage = ByteBuffer.allocate(4 + 14 + body.length);
            garbage.putInt(14 + body.length).put(frame, 4, 14).put(body);
            client.sendRaw(garbage.array());
            assertThat(client.closedByBroker()).isTrue();
        }
        assertBrokerServes("after-bad-body");
    }

    @Test
    void truncatedBodiesAndSeededRandomBytesNeverTakeTheBrokerDown() throws Exception {
        Random random = new Random(42);
        for (int i = 0; i < 40; i++) {
            try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
                if (i % 2 == 0) {
                    // A valid frame cut short, then the client goes away.
                    byte[] frame = RawKafkaClient.frame(new MetadataRequestData().setTopics(null), (short) 12, i);
                    client.sendRaw(java.util.Arrays.copyOf(frame, 4 + random.nextInt(frame.length - 4)));
                } else {
                    byte[] noise = new byte[1 + random.nextInt(4096)];
                    random.nextBytes(noise);
                    client.sendRaw(noise);
                }
            }
        }
        assertBrokerServes("after-noise");
    }

    private static void assertBrokerServes(String topic) throws Exception {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            assertThat(producer.send(new ProducerRecord<>(topic, "k", "v")).get(30, TimeUnit.SECONDS).offset()).isZero();
        }
    }
}
