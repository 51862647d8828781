package io.chronik.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Real Kafka clients pointed at a test broker. */
public final class Clients {
    private Clients() {
    }

    public static KafkaProducer<String, String> producer(TestBroker broker, Map<String, Object> extra) {
        Properties props = broker.clientProperties();
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        props.put("linger.ms", "5");
        props.put("delivery.timeout.ms", "60000");
        props.put("request.timeout.ms", "30000");
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }

    public static KafkaProducer<byte[], byte[]> bytesProducer(TestBroker broker, Map<String, Object> extra) {
        Properties props = broker.clientProperties();
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }

    public static KafkaConsumer<String, String> consumer(TestBroker broker, Map<String, Object> extra) {
        Properties props = broker.clientProperties();
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.putAll(extra);
        return new KafkaConsumer<>(props);
    }

    public static KafkaConsumer<byte[], byte[]> bytesConsumer(TestBroker broker, Map<String, Object> extra) {
        Properties props = broker.clientProperties();
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.putAll(extra);
        return new KafkaConsumer<>(props);
    }

    public static Admin admin(TestBroker broker) {
        return Admin.create(broker.clientProperties());
    }

    public static void createTopic(TestBroker broker, String name, int partitions) throws Exception {
        try (Admin admin = admin(broker)) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Polls every consumer (driving their group membership) until {@code done} holds; fails after 60 s. */
    public static void pollUntil(List<? extends KafkaConsumer<?, ?>> consumers, java.util.function.BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime()).as("timed out waiting for: " + what).isLessThan(deadline);
            for (KafkaConsumer<?, ?> c : consumers) {
                c.poll(Duration.ofMillis(50));
            }
        }
    }

    /** Reads from the assigned partitions from the beginning until {@code expected} records arrived or the time is up. */
    public static <K, V> List<ConsumerRecord<K, V>> readAll(KafkaConsumer<K, V> consumer, List<TopicPartition> partitions,
                                                            int expected, Duration timeout) {
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (records.size() < expected && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }
}
