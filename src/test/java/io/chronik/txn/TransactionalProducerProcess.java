package io.chronik.txn;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Map;

/**
 * A transactional producer in its own JVM, so a test can kill it with -9 mid-transaction. Arguments: bootstrap
 * servers, transactional id, topic, record count, transaction.timeout.ms. Opens a transaction, sends the records,
 * flushes, prints SENT and waits (about three minutes at most) without ending the transaction.
 */
public final class TransactionalProducerProcess {
    public static void main(String[] args) throws Exception {
        Map<String, Object> config = Map.of("bootstrap.servers", args[0], "transactional.id", args[1],
                "transaction.timeout.ms", args[4], "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < Integer.parseInt(args[3]); i++) {
                producer.send(new ProducerRecord<>(args[2], "zombie-" + i));
            }
            producer.flush();
            System.out.println("SENT");
            System.out.flush();
            Thread.sleep(180_000);
        }
    }
}
