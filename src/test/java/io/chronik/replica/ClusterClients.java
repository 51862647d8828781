package io.chronik.replica;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Java clients for the cluster fault tests, with short reconnect and metadata intervals so they follow failover fast. */
final class ClusterClients {
    private ClusterClients() {
    }

    /** acks=all producers are idempotent; acks=1 and acks=0 ones are not. {@code extra} overrides anything. */
    static KafkaProducer<String, String> producer(String bootstrap, String acks, Map<String, Object> extra) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", acks);
        props.put("enable.idempotence", acks.equals("all") ? "true" : "false");
        props.put("linger.ms", "5");
        props.put("delivery.timeout.ms", "60000");
        props.put("request.timeout.ms", "10000");
        props.put("retry.backoff.ms", "100");
        props.put("retry.backoff.max.ms", "500");
        props.put("reconnect.backoff.max.ms", "500");
        props.put("metadata.max.age.ms", "2000");
        props.putAll(extra);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /**
     * Every record of {@code topic} up to each partition's end offset (the high watermark), by partition and offset;
     * fails if an offset comes back twice or the end is not reached within {@code seconds}.
     */
    static Map<Integer, TreeMap<Long, String>> readToEnd(String bootstrap, String topic, int partitions, int seconds) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", "false");
        props.put("metadata.max.age.ms", "2000");
        props.put("reconnect.backoff.max.ms", "500");
        props.put("request.timeout.ms", "10000");
        props.put("default.api.timeout.ms", "30000");
        Map<Integer, TreeMap<Long, String>> seen = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
                seen.put(p, new TreeMap<>());
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("read %s up to %s within %d s", topic, end, seconds).isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    String before = seen.get(r.partition()).put(r.offset(), r.value());
                    assertThat(before).as("offset %d of partition %d read twice", r.offset(), r.partition()).isNull();
                }
            }
        }
        return seen;
    }

    /** Asserts that every acknowledged value is at its acknowledged partition and offset. */
    static void assertAcknowledgedAtTheirOffsets(Map<String, RecordMetadata> acked, Map<Integer, TreeMap<Long, String>> read) {
        for (Map.Entry<String, RecordMetadata> e : acked.entrySet()) {
            RecordMetadata md = e.getValue();
            assertThat(read.getOrDefault(md.partition(), new TreeMap<>()).get(md.offset()))
                    .as("value %s acknowledged at %d-%d", e.getKey(), md.partition(), md.offset()).isEqualTo(e.getKey());
        }
    }
}
