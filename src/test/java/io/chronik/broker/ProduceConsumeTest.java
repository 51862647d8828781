package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Produce and consume through the real Java client: every codec, every acks level. */
class ProduceConsumeTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dataDir);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void roundTripPreservesKeysHeadersAndTimestampsForEveryCodec(String codec) throws Exception {
        String topic = "codec-" + codec;
        Clients.createTopic(broker, topic, 1);
        int count = 500;
        long baseTimestamp = 1_700_000_000_000L;
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("compression.type", codec))) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                RecordHeaders headers = new RecordHeaders();
                headers.add("h-index", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                headers.add("h-codec", codec.getBytes(StandardCharsets.UTF_8));
                String key = i % 7 == 0 ? null : "key-" + i;
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, baseTimestamp + i, key,
                        "value-" + i + "-" + "x".repeat(i % 50), headers);
                sent.add(record);
                acks.add(producer.send(record));
            }
            for (int i = 0; i < count; i++) {
                assertThat(acks.get(i).get(30, TimeUnit.SECONDS).offset()).isEqualTo(i);
            }
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> received = Clients.readAll(consumer,
                    List.of(new TopicPartition(topic, 0)), count, Duration.ofSeconds(30));
            assertThat(received).hasSize(count);
            for (int i = 0; i < count; i++) {
                ConsumerRecord<String, String> got = received.get(i);
                ProducerRecord<String, String> want = sent.get(i);
                assertThat(got.offset()).isEqualTo(i);
                assertThat(got.key()).isEqualTo(want.key());
                assertThat(got.value()).isEqualTo(want.value());
                assertThat(got.timestamp()).isEqualTo(want.timestamp());
                assertThat(got.headers().toArray()).containsExactly(want.headers().toArray());
            }
        }
    }

    @ParameterizedTest(name = "acks={0}")
    @ValueSource(strings = {"0", "1", "all"})
    void everyAcksLevelDeliversAllRecords(String acks) throws Exception {
        String topic = "acks-" + acks;
        Clients.createTopic(broker, topic, 2);
        int count = 2000;
        Map<String, Object> config = acks.equals("0")
                ? Map.of("acks", acks, "enable.idempotence", "false")
                : Map.of("acks", acks);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, config)) {
            List<Future<RecordMetadata>> results = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                results.add(producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i)));
            }
            producer.flush();
            for (Future<RecordMetadata> result : results) {
                RecordMetadata metadata = result.get(30, TimeUnit.SECONDS);
                if (!acks.equals("0")) {
                    assertThat(metadata.offset()).isBetween(0L, (long) count);
                }
            }
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            List<ConsumerRecord<String, String>> received = Clients.readAll(consumer,
                    List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)), count, Duration.ofSeconds(30));
            assertThat(received).hasSize(count);
            assertThat(received.stream().map(ConsumerRecord::value).distinct().count()).isEqualTo(count);
        }
    }

    @Test
    void produceToAnUnknownTopicAutoCreatesItThroughMetadata() throws Exception {
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of())) {
            RecordMetadata metadata = producer.send(new ProducerRecord<>("auto-created", "k", "v")).get(30, TimeUnit.SECONDS);
            assertThat(metadata.offset()).isZero();
        }
    }
}
