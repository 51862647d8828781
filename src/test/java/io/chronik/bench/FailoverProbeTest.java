package io.chronik.bench;

import io.chronik.testing.TestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The failover probe against a real three-broker cluster: it kills the leader itself and measures the failover. */
class FailoverProbeTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void killsTheLeaderAndMeasuresTheTimeToTheNextAcknowledgementWithNothingLost() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, "probe", 3)) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic("failover", 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                        .all().get(30, TimeUnit.SECONDS);
                cluster.awaitIsr(admin, "failover", 3, 60);
                int leader = TestCluster.leaderOf(TestCluster.describe(admin, "failover"), 0);

                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int exit = FailoverProbe.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                        "-b", cluster.bootstrap(), "-t", "failover", "--rate", "100", "--warmup", "1s", "--after", "1s", "--timeout", "90s",
                        "--broker-pid", "1=" + cluster.broker(1).pid(), "--broker-pid", "2=" + cluster.broker(2).pid(),
                        "--broker-pid", "3=" + cluster.broker(3).pid());
                String report = out.toString(StandardCharsets.UTF_8);

                assertThat(exit).as(report + err).isZero();
                assertThat(value(report, "killed_broker")).isEqualTo(String.valueOf(leader));
                assertThat(cluster.broker(leader).awaitExit(10, TimeUnit.SECONDS)).as("the leader was killed").isNotNull();
                double failoverMs = Double.parseDouble(value(report, "failover_ms"));
                // The test cluster fences a silent broker after 4 s: the failover cannot be faster than a fraction of that.
                assertThat(failoverMs).isBetween(500.0, 60_000.0);
                assertThat(value(report, "failed")).isEqualTo("0");
                assertThat(value(report, "lost")).isEqualTo("0");
                assertThat(Long.parseLong(value(report, "acked"))).isGreaterThan(100);
            }
        }
    }

    private static String value(String report, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + "=(\\S+)$").matcher(report);
        assertThat(m.find()).as(key + " in\n" + report).isTrue();
        return m.group(1);
    }
}
