package io.chronik.broker;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java client's default idempotent producer, pipelining five requests per connection. */
class IdempotentProducerTest {
    @TempDir
    Path dataDir;

    @Test
    void twoHundredThousandRecordsAreReadExactlyOnceAndInOrderPerPartition() throws Exception {
        int count = 200_000;
        int partitions = 3;
        try (TestBroker broker = TestBroker.start(dataDir)) {
            Clients.createTopic(broker, "idem", partitions);
            AtomicReference<Exception> failure = new AtomicReference<>();
            try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of(
                    "enable.idempotence", "true", "acks", "all", "max.in.flight.requests.per.connection", "5",
                    "batch.size", "16384", "linger.ms", "2"))) {
                for (int i = 0; i < count; i++) {
                    int partition = i % partitions;
                    producer.send(new ProducerRecord<>("idem", partition, null, partition + ":" + i / partitions),
                            (metadata, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                }
                            });
                }
                producer.flush();
            }
            assertThat(failure.get()).isNull();

            List<TopicPartition> tps = List.of(new TopicPartition("idem", 0), new TopicPartition("idem", 1),
                    new TopicPartition("idem", 2));
            try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of("max.poll.records", "5000"))) {
                List<ConsumerRecord<String, String>> records = Clients.readAll(consumer, tps, count, Duration.ofSeconds(120));
                assertThat(records).hasSize(count);
                Map<Integer, Integer> next = new HashMap<>();
                for (ConsumerRecord<String, String> record : records) {
                    int expected = next.getOrDefault(record.partition(), 0);
                    assertThat(record.value()).isEqualTo(record.partition() + ":" + expected);
                    assertThat(record.offset()).isEqualTo(expected);
                    next.put(record.partition(), expected + 1);
                }
                assertThat(next.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
            }
        }
    }
}
