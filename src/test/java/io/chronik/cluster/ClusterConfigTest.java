package io.chronik.cluster;

import io.chronik.testing.Clients;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Cluster settings that cannot work stop startup naming the key; without voters nothing of the cluster starts. */
class ClusterConfigTest {
    @TempDir
    Path dataDir;

    private String startupFailure(Map<String, String> settings) {
        Throwable failure = catchThrowable(() -> TestBroker.start(dataDir, settings).close());
        assertThat(failure).as("startup with %s", settings).isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "4|1@127.0.0.1:19091,2@127.0.0.1:19092|chronik.cluster.voters|does not list this broker's chronik.node-id (4); a broker beyond the voters follows the quorum as an observer and needs chronik.cluster.observer-address",
            "1|1@127.0.0.1:19091,1@127.0.0.1:19092|chronik.cluster.voters|node id 1 is listed more than once",
            "1|1@127.0.0.1:19091,two@127.0.0.1:19092|chronik.cluster.voters|cannot parse 'two@127.0.0.1:19092'",
            "1|1@127.0.0.1:19091,-3@127.0.0.1:19092|chronik.cluster.voters|node ids must be positive integers",
            "0|1@127.0.0.1:19091|chronik.node-id|must be a positive integer"})
    void invalidVotersStopStartupNamingTheKey(int nodeId, String voters, String key, String reason) {
        assertThat(startupFailure(Map.of("chronik.node-id", Integer.toString(nodeId), "chronik.cluster.voters", voters)))
                .contains("Invalid configuration " + key).contains(reason);
        assertThat(dataDir.resolve(ClusterSettings.METADATA_DIR)).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1|127.0.0.1:19093|chronik.cluster.observer-address|must be empty on a voter",
            "4|127.0.0.1:19092|chronik.cluster.observer-address|is the address of a voter",
            "4|127.0.0.1|chronik.cluster.observer-address|cannot parse it; expected host:port",
            "4|127.0.0.1:0|chronik.cluster.observer-address|cannot parse it; expected host:port"})
    void anObserverAddressMustSuitTheBroker(int nodeId, String observer, String key, String reason) {
        assertThat(startupFailure(Map.of("chronik.node-id", Integer.toString(nodeId),
                "chronik.cluster.voters", "1@127.0.0.1:19091,2@127.0.0.1:19092", "chronik.cluster.observer-address", observer)))
                .contains("Invalid configuration " + key).contains(reason);
        assertThat(dataDir.resolve(ClusterSettings.METADATA_DIR)).doesNotExist();
    }

    @Test
    void electionTimeoutsMustLeaveARange() {
        Map<String, String> settings = new HashMap<>(Map.of("chronik.node-id", "1", "chronik.cluster.voters", "1@127.0.0.1:19091"));
        settings.put("chronik.cluster.election-timeout-min", "3s");
        settings.put("chronik.cluster.election-timeout-max", "3s");
        assertThat(startupFailure(settings)).contains("Invalid configuration chronik.cluster.election-timeout-max");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"leader-imbalance-per-broker-percentage|101", "leader-imbalance-check-interval|0s"})
    void leaderBalanceSettingsOutOfRangeStopStartupNamingTheKey(String key, String value) {
        Map<String, String> settings = new HashMap<>(Map.of("chronik.node-id", "1", "chronik.cluster.voters", "1@127.0.0.1:19091"));
        settings.put("chronik.cluster." + key, value);
        assertThat(startupFailure(settings)).contains("chronik.cluster." + key);
    }

    @Test
    void aReplicationFactorAboveOneStopsTheStartupOfABrokerRunningAlone() {
        assertThat(startupFailure(Map.of("chronik.default-replication-factor", "2")))
                .contains("Invalid configuration chronik.default-replication-factor=2");
    }

    @Test
    void theDefaultReplicationFactorIsAtMostThreeAndCountsTheLiveBrokersBeyondTheVoters() {
        io.chronik.config.ChronikProperties props = new io.chronik.config.ChronikProperties();
        assertThat(io.chronik.config.ReplicationDefaults.resolve(props, 0))
                .isEqualTo(new io.chronik.config.ReplicationDefaults(1, 1, false));
        assertThat(io.chronik.config.ReplicationDefaults.resolve(props, 2).replicationFactor()).isEqualTo(2);
        assertThat(io.chronik.config.ReplicationDefaults.resolve(props, 5).replicationFactor()).isEqualTo(3);
        // One voter and two observers live: three; a broker still starting does not lower the voters' default.
        io.chronik.config.ReplicationDefaults oneVoter = io.chronik.config.ReplicationDefaults.resolve(props, 1);
        assertThat(oneVoter.replicationFactor(3)).isEqualTo(3);
        assertThat(oneVoter.replicationFactor(2)).isEqualTo(2);
        assertThat(oneVoter.replicationFactor(7)).isEqualTo(3);
        assertThat(io.chronik.config.ReplicationDefaults.resolve(props, 3).replicationFactor(1)).isEqualTo(3);
        // A configured factor is what it says, whatever the count (placement refuses it if too few brokers live).
        props.setDefaultReplicationFactor(5);
        props.setMinInsyncReplicas(2);
        io.chronik.config.ReplicationDefaults five = io.chronik.config.ReplicationDefaults.resolve(props, 1);
        assertThat(five).isEqualTo(new io.chronik.config.ReplicationDefaults(5, 2, true));
        assertThat(five.replicationFactor(9)).isEqualTo(5);
    }

    @Test
    void withoutVotersTheBrokerRunsAloneAndDoesNotServeDescribeQuorum() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir); Admin admin = Clients.admin(broker)) {
            Throwable failure = catchThrowable(() -> admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS));
            assertThat(failure).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(UnsupportedVersionException.class);
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(admin.describeCluster().controller().get(30, TimeUnit.SECONDS).id()).isEqualTo(0);
            assertThat(catchThrowable(() -> broker.bean(QuorumServer.class)))
                    .isInstanceOf(org.springframework.beans.factory.NoSuchBeanDefinitionException.class);
        }
        try (var entries = Files.list(dataDir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).doesNotContain(ClusterSettings.METADATA_DIR);
        }
    }
}
