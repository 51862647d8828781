package io.chronik.group;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A group member in its own JVM, so a test can kill it without leaving the group. Prints its assignment.
 * Arguments: bootstrap servers, group, topic, and optionally the group protocol (classic or consumer).
 */
public final class GroupMemberProcess {
    public static void main(String[] args) {
        Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", args[0], "group.id", args[1],
                "key.deserializer", StringDeserializer.class.getName(), "value.deserializer", StringDeserializer.class.getName()));
        String protocol = args.length > 3 ? args[3] : "classic";
        if (protocol.equals("consumer")) {
            // Session and heartbeat timing belong to the broker under the consumer protocol.
            config.put("group.protocol", "consumer");
        } else {
            config.put("session.timeout.ms", "6000");
            config.put("heartbeat.interval.ms", "500");
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    System.out.println("ASSIGNED " + consumer.assignment().size());
                    System.out.flush();
                }
            });
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200));
            }
        }
    }
}
