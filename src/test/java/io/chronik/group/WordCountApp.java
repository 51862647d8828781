package io.chronik.group;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * A Kafka Streams word count (lines -> repartition by word -> count in a changelog-backed store -> counts), run in
 * its own JVM by {@link KafkaStreamsTest} on Kafka Streams' own client jars. Prints its state changes
 * ("STATE RUNNING", ...) and closes cleanly on SIGTERM. Arguments: bootstrap servers, state directory, and
 * optionally the processing guarantee (e.g. {@code exactly_once_v2}; at_least_once by default).
 */
public final class WordCountApp {
    private static final Map<String, String> CHANGELOG_CONFIGS = Map.of("segment.ms", "100", "min.cleanable.dirty.ratio", "0.01");

    public static void main(String[] args) throws InterruptedException {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("lines", Consumed.with(Serdes.String(), Serdes.String()))
                .flatMap((key, line) -> Arrays.stream(line.split(" ")).map(w -> KeyValue.pair(w, w)).toList())
                .groupByKey(Grouped.with("by-word", Serdes.String(), Serdes.String()))
                // The changelog rolls a segment every 100 ms of appends and is cleanable once 1 % of it is superseded,
                // so a log cleaner compacts it while the test runs.
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>with(Serdes.String(), Serdes.Long())
                        .withLoggingEnabled(CHANGELOG_CONFIGS))
                .toStream()
                .to("counts", Produced.with(Serdes.String(), Serdes.Long()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "word-count");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[1]);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), "6000");
        props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), "500");
        if (args.length > 2) {
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[2]);
            // A killed instance's open transaction is aborted after this; the default (10 s) would only slow the test.
            props.put(StreamsConfig.producerPrefix("transaction.timeout.ms"), "5000");
        }
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        CountDownLatch closed = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            System.out.println("STATE " + now);
            System.out.flush();
        });
        streams.setUncaughtExceptionHandler(e -> {
            System.out.println("FAILED " + e);
            System.out.flush();
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            closed.countDown();
        }));
        streams.start();
        closed.await();
    }
}
