package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.record.internal.FileRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** ListOffsets: earliest, latest, max timestamp and lookups by timestamp through the time index. */
class ListOffsetsTest {
    @TempDir
    Path dataDir;

    @Test
    void offsetsByTimestampEarliestLatestAndMaxTimestamp() throws Exception {
        // Small segments and index interval so lookups cross segments and use the time index.
        try (TestBroker broker = TestBroker.start(dataDir)) {
            try (Admin admin = Clients.admin(broker)) {
                admin.createTopics(java.util.List.of(new org.apache.kafka.clients.admin.NewTopic("times", 1, (short) 1)
                        .configs(Map.of("segment.bytes", "4096", "index.interval.bytes", "256")))).all().get(30, TimeUnit.SECONDS);
            }
            long base = 1_600_000_000_000L;
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("linger.ms", "0"))) {
                for (int i = 0; i < 100; i++) {
                    // One batch per record: timestamps base, base+1000, ... and one outlier that is the maximum.
                    long ts = i == 50 ? base + 10_000_000 : base + i * 1000L;
                    producer.send(new ProducerRecord<>("times", 0, ts, "k" + i, "value-" + i)).get(30, TimeUnit.SECONDS);
                }
            }
            TopicPartition tp = new TopicPartition("times", 0);
            try (Admin admin = Clients.admin(broker)) {
                assertThat(offset(admin, tp, OffsetSpec.earliest()).offset()).isZero();
                assertThat(offset(admin, tp, OffsetSpec.latest()).offset()).isEqualTo(100);
                ListOffsetsResultInfo max = offset(admin, tp, OffsetSpec.maxTimestamp());
                assertThat(max.offset()).isEqualTo(50);
                assertThat(max.timestamp()).isEqualTo(base + 10_000_000);
                ListOffsetsResultInfo at = offset(admin, tp, OffsetSpec.forTimestamp(base + 30_500));
                assertThat(at.offset()).isEqualTo(31);
                assertThat(at.timestamp()).isEqualTo(base + 31_000);
                assertThat(offset(admin, tp, OffsetSpec.forTimestamp(base + 20_000_000)).offset()).isEqualTo(-1);
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(Map.of(tp, base + 40_000),
                        Duration.ofSeconds(30));
                assertThat(found.get(tp).offset()).isEqualTo(40);
                // Like Kafka: the earliest offset whose timestamp is at or after the target, so the outlier at 50 wins.
                found = consumer.offsetsForTimes(Map.of(tp, base + 70_000), Duration.ofSeconds(30));
                assertThat(found.get(tp).offset()).isEqualTo(50);
            }
        }
    }

    @Test
    void lookupsAnswerPerRecordInsideLz4Batches() throws Exception {
        long t0 = 1_650_000_000_000L;
        int count = 1000;
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "batched", 1);
            Clients.createTopic(broker, "batched-lat", 1);
            try (Admin admin = Clients.admin(broker)) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, "batched-lat"), List.of(
                        new AlterConfigOp(new ConfigEntry("message.timestamp.type", "LogAppendTime"), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("compression.type", "lz4",
                    "linger.ms", "1000", "batch.size", "65536"))) {
                for (int i = 0; i < count; i++) {
                    // Distinct timestamps; offset 900 holds the largest one, in the middle of its batch.
                    long ts = i == 900 ? t0 + 1_000_000 : t0 + i;
                    producer.send(new ProducerRecord<>("batched", 0, ts, "k" + i, "v" + i));
                    producer.send(new ProducerRecord<>("batched-lat", 0, ts, "k" + i, "v" + i));
                }
                producer.flush();
            }
            assertThat(storedBatches(broker.dataDir().resolve("batched-0"))).as("records were batched")
                    .isLessThan(count / 10);

            TopicPartition tp = new TopicPartition("batched", 0);
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(tp, t0 + 500), Duration.ofSeconds(30)).get(tp);
                assertThat(found.offset()).isEqualTo(500);
                assertThat(found.timestamp()).isEqualTo(t0 + 500);
            }
            try (Admin admin = Clients.admin(broker)) {
                ListOffsetsResultInfo at = offset(admin, tp, OffsetSpec.forTimestamp(t0 + 777));
                assertThat(at.offset()).isEqualTo(777);
                assertThat(at.timestamp()).isEqualTo(t0 + 777);
                ListOffsetsResultInfo max = offset(admin, tp, OffsetSpec.maxTimestamp());
                assertThat(max.offset()).isEqualTo(900);
                assertThat(max.timestamp()).isEqualTo(t0 + 1_000_000);

                // LogAppendTime: every record of a batch has its batch's time, the max is the first of the newest batch.
                TopicPartition lat = new TopicPartition("batched-lat", 0);
                ListOffsetsResultInfo first = offset(admin, lat, OffsetSpec.forTimestamp(0));
                assertThat(first.offset()).isZero();
                assertThat(first.timestamp()).isGreaterThan(t0 + 1_000_000);
                ListOffsetsResultInfo latMax = offset(admin, lat, OffsetSpec.maxTimestamp());
                try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
                    List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, List.of(lat), count,
                            Duration.ofSeconds(30));
                    assertThat(records).hasSize(count);
                    ConsumerRecord<String, String> newest = records.stream()
                            .filter(r -> r.timestamp() == latMax.timestamp()).findFirst().orElseThrow();
                    assertThat(latMax.offset()).isEqualTo(newest.offset());
                    assertThat(records.get(0).timestamp()).isEqualTo(first.timestamp());
                }
            }
        }
    }

    /** How many record batches the partition directory stores. */
    static int storedBatches(Path partitionDir) throws Exception {
        int batches = 0;
        try (java.util.stream.Stream<Path> files = Files.list(partitionDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                try (FileRecords records = FileRecords.open(file.toFile())) {
                    for (var ignored : records.batches()) {
                        batches++;
                    }
                }
            }
        }
        return batches;
    }

    private static ListOffsetsResultInfo offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).all().get(30, TimeUnit.SECONDS).get(tp);
    }
}
