package io.chronik.ops;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Actuator endpoints and the Grafana dashboard, against a broker that has carried real traffic. */
class ObservabilityTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startAndDriveTraffic() throws Exception {
        broker = TestBroker.start(dataDir, Map.of());
        Clients.createTopic(broker, "observed", 2);
        try (KafkaProducer<String, String> producer = Clients.producer(broker, Map.of("acks", "all"))) {
            for (int i = 0; i < 500; i++) {
                producer.send(new ProducerRecord<>("observed", i % 2, "k", "v" + i));
            }
            producer.flush();
        }
        try (KafkaConsumer<String, String> consumer = Clients.consumer(broker, Map.of())) {
            assertThat(Clients.readAll(consumer, List.of(new TopicPartition("observed", 0), new TopicPartition("observed", 1)),
                    500, Duration.ofSeconds(30))).hasSize(500);
        }
        // A group that committed offset 100 on partition 0 (250 records there): lag 150 for that partition.
        try (KafkaConsumer<String, String> grouped = Clients.consumer(broker, Map.of("group.id", "observed-group"))) {
            grouped.commitSync(Map.of(new TopicPartition("observed", 0), new org.apache.kafka.clients.consumer.OffsetAndMetadata(100)));
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void prometheusExportsThroughputAndBackpressureMetricsWithValues() throws Exception {
        String scrape = get("/actuator/prometheus").body();
        assertThat(value(scrape, "chronik_messages_in_total{topic=\"observed\"}")).isEqualTo(500);
        assertThat(value(scrape, "chronik_bytes_in_total{topic=\"observed\"}")).isPositive();
        assertThat(value(scrape, "chronik_bytes_out_total{topic=\"observed\"}")).isPositive();
        assertThat(value(scrape, "chronik_requests_total{api=\"produce\"}")).isPositive();
        assertThat(value(scrape, "chronik_fsync_batch_records_sum")).isGreaterThanOrEqualTo(500);
        assertThat(value(scrape, "chronik_log_size_bytes{topic=\"observed\"}")).isPositive();
        assertThat(value(scrape, "chronik_consumer_group_lag{group=\"observed-group\",topic=\"observed\"}")).isEqualTo(150);
        assertThat(scrape).contains("chronik_connections ", "chronik_inflight_requests ", "chronik_reads_paused_total ",
                "chronik_reads_paused_seconds_total ", "chronik_channel_unwritable_total ", "chronik_pending_response_bytes ",
                "chronik_request_duration_seconds_bucket{api=\"fetch\"", "chronik_log_append_duration_seconds_bucket",
                "chronik_fsync_duration_seconds_bucket");
        assertThat(scrape).doesNotContain("client_id=", "connection=");
    }

    @Test
    void everyMetricUsedByTheGrafanaDashboardIsExported() throws Exception {
        // The Cluster row's panels are checked against a cluster's scrapes in ClusterMetricsTest.
        Set<String> used = new TreeSet<>();
        Dashboard.metricsByRow().forEach((row, names) -> {
            if (!row.equals(Dashboard.CLUSTER_ROW)) {
                used.addAll(names);
            }
        });
        assertThat(used).as("metric names in panels").hasSizeGreaterThan(10);
        String scrape = get("/actuator/prometheus").body();
        for (String name : used) {
            assertThat(Dashboard.exported(scrape, name)).as("dashboard metric %s is exported", name).isTrue();
        }
    }

    @Test
    void healthGroupsInfoAndMetricsEndpointsAnswer() throws Exception {
        HttpResponse<String> readiness = get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"UP\"");
        assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        String health = get("/actuator/health").body();
        assertThat(health).contains("kafkaListener", "diskSpace", "clusterMembership", "single broker");
        String info = get("/actuator/info").body();
        assertThat(info).contains("\"build\"", "\"version\"");
        assertThat(get("/actuator/metrics/chronik.requests").statusCode()).isEqualTo(200);
    }

    @Test
    void theRetiredRefreshSettingIsRejectedByName(@TempDir Path otherDir) {
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() ->
                TestBroker.start(otherDir, Map.of("chronik.metrics.log-size-refresh", "200ms")).close());
        assertThat(failure).isNotNull();
        java.io.StringWriter trace = new java.io.StringWriter();
        failure.printStackTrace(new java.io.PrintWriter(trace));
        assertThat(trace.toString()).contains("chronik.metrics.log-size-refresh", "computed at each scrape");
    }

    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("series " + series + " not exported");
    }
}
