package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
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

    private static ListOffsetsResultInfo offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).all().get(30, TimeUnit.SECONDS).get(tp);
    }
}
