package io.chronik.ops;

import io.chronik.testing.ChildBroker;
import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cluster metrics and readiness with three broker processes: readiness waits for registration, the leader's
 * under-replicated / under-min-ISR gauges and ISR counters follow a follower's kill -9 and rejoin, leaders add up
 * to the partition count, and every query of the dashboard's Cluster row finds its metric in the brokers' scrapes.
 * The replica lag limit (1.5 s) is below the broker session (4 s), so the leader shrinks the ISR itself before the
 * controller fences the killed broker.
 */
class ClusterMetricsTest {
    private static final String TOPIC = "metered";
    private static final int PARTITIONS = 3;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    static HttpResponse<String> get(ChildBroker broker, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String scrape(ChildBroker broker) throws Exception {
        return get(broker, "/actuator/prometheus").body();
    }

    static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("series " + series + " not exported");
    }

    double value(int broker, String series) throws Exception {
        return value(scrape(cluster.broker(broker)), series);
    }

    double sumOverRunning(String series) throws Exception {
        double sum = 0;
        for (int id : cluster.ids()) {
            if (cluster.broker(id).isAlive()) {
                sum += value(id, series);
            }
        }
        return sum;
    }

    @Test
    void replicationMetricsFollowAFollowersCrashAndRejoin() throws Exception {
        cluster = TestCluster.create(dir, "cluster-metrics-test", 3, "--chronik.replication.lag-time-max=1500ms");

        // Alone, broker 1 has no quorum majority: it cannot register, so it is not ready.
        ChildBroker first = cluster.startBroker(1);
        first.port();
        HttpResponse<String> early = get(first, "/actuator/health/readiness");
        assertThat(early.statusCode()).as(early.body()).isEqualTo(503);
        assertThat(early.body()).contains("clusterMembership", "not registered", "not yet published");
        assertThat(value(1, "chronik_under_replicated_partitions")).isZero();

        cluster.startBroker(2);
        cluster.startBroker(3);
        cluster.awaitLiveBrokers(3, 90);
        for (int id : cluster.ids()) {
            ChildBroker b = cluster.broker(id);
            HttpResponse<String> ready = TestCluster.await("readiness of broker " + id, 30,
                    () -> get(b, "/actuator/health/readiness"), r -> r.statusCode() == 200);
            assertThat(ready.body()).contains("registered, unfenced", "published");
        }

        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "3"))))
                .all().get(30, TimeUnit.SECONDS);
        TopicDescription described = cluster.awaitIsr(admin, TOPIC, 3, 60);
        produce(200);

        TestCluster.await("leaders adding up to " + PARTITIONS, 30,
                () -> sumOverRunning("chronik_leader_partitions"), n -> n == PARTITIONS);
        TestCluster.await("followers caught up", 30,
                () -> sumOverRunning("chronik_replica_fetch_lag_records{topic=\"" + TOPIC + "\"}"), n -> n == 0);
        assertThat(sumOverRunning("chronik_under_replicated_partitions")).isZero();
        assertThat(sumOverRunning("chronik_offline_partitions")).isZero();
        clusterPanelsAreExported();

        int leader = TestCluster.leaderOf(described, 0);
        int follower = cluster.ids().stream().filter(id -> id != leader).findFirst().orElseThrow();
        double shrinks = value(leader, "chronik_isr_shrinks_total");

        cluster.kill(follower);
        cluster.awaitLiveBrokers(2, 30); // fenced
        TestCluster.await("under-replicated and under-min-ISR partitions on leader " + leader, 30,
                () -> scrape(cluster.broker(leader)),
                s -> value(s, "chronik_under_replicated_partitions") > 0 && value(s, "chronik_under_min_isr_partitions") > 0);
        assertThat(value(leader, "chronik_isr_shrinks_total")).isGreaterThan(shrinks);
        assertThat(value(leader, "chronik_active_brokers")).isEqualTo(2);
        assertThat(value(leader, "chronik_fenced_brokers")).isEqualTo(1);
        assertThat(sumOverRunning("chronik_leader_partitions")).isEqualTo(PARTITIONS);
        double expands = value(leader, "chronik_isr_expands_total");

        cluster.startBroker(follower);
        cluster.awaitLiveBrokers(3, 90);
        cluster.awaitIsr(admin, TOPIC, 3, 60);
        TestCluster.await("no under-replicated partition on any broker", 30,
                () -> sumOverRunning("chronik_under_replicated_partitions") + sumOverRunning("chronik_under_min_isr_partitions"),
                n -> n == 0);
        assertThat(value(leader, "chronik_isr_expands_total")).isGreaterThan(expands);
        TestCluster.await("leaders adding up to " + PARTITIONS + " after the rejoin", 30,
                () -> sumOverRunning("chronik_leader_partitions"), n -> n == PARTITIONS);
    }

    private void clusterPanelsAreExported() throws Exception {
        Set<String> used = Dashboard.metricsByRow().get(Dashboard.CLUSTER_ROW);
        assertThat(used).as("metrics of the Cluster row").hasSizeGreaterThanOrEqualTo(8);
        StringBuilder scrapes = new StringBuilder();
        for (int id : cluster.ids()) {
            scrapes.append(scrape(cluster.broker(id)));
        }
        Set<String> missing = new TreeSet<>();
        for (String name : used) {
            if (!Dashboard.exported(scrapes.toString(), name)) {
                missing.add(name);
            }
        }
        assertThat(missing).as("Cluster row metrics missing from the brokers' scrapes").isEmpty();
    }

    private void produce(int records) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrap());
        props.put("acks", "all");
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, "k", "v" + i));
            }
            producer.flush();
        }
    }
}
