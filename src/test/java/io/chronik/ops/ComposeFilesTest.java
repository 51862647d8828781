package io.chronik.ops;

import io.chronik.cluster.QuorumVoter;
import io.chronik.cluster.QuorumVoters;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compose files, parsed and checked against each other, the Prometheus configs they mount and the broker's
 * settings (there is no Docker engine to run them here; ContainerImageTest runs the image where there is one).
 */
class ComposeFilesTest {
    private static final List<String> BROKERS = List.of("chronik-1", "chronik-2", "chronik-3");

    @Test
    void singleBrokerFileRunsOneBrokerWithoutVotersScrapedByPrometheus() throws IOException {
        Map<String, Object> services = services("docker-compose.yml");
        assertThat(services).containsOnlyKeys("chronik", "prometheus", "grafana");
        Map<String, Object> chronik = map(services, "chronik");
        assertThat(chronik).containsEntry("build", ".");
        assertThat(environment(chronik)).doesNotContainKeys("CHRONIK_CLUSTER_VOTERS", "CHRONIK_NODE_ID");
        assertThat(strings(chronik, "ports")).contains("9092:9092", "8080:8080");
        assertThat(scrapeTargets(services)).containsExactly("chronik:8080");
        assertMountsExist(services);
        assertPublishedPortsUnique(services);
    }

    @Test
    void clusterFileRunsThreeVotersThatFindEachOtherAndClientsFindThem() throws IOException {
        Map<String, Object> services = services("docker-compose.cluster.yml");
        assertThat(services).containsOnlyKeys("chronik-1", "chronik-2", "chronik-3", "prometheus", "grafana");
        String voters = null;
        Set<String> dataVolumes = new HashSet<>();
        for (int i = 0; i < BROKERS.size(); i++) {
            String name = BROKERS.get(i);
            int nodeId = i + 1;
            Map<String, Object> broker = map(services, name);
            Map<String, String> env = environment(broker);
            assertThat(broker).containsEntry("build", ".").containsEntry("hostname", name);
            assertThat(env).containsEntry("CHRONIK_NODE_ID", Integer.toString(nodeId)).containsEntry("CHRONIK_ADVERTISED_HOST", name);
            if (voters == null) {
                voters = env.get("CHRONIK_CLUSTER_VOTERS");
            }
            assertThat(env).as("every broker lists the same voters").containsEntry("CHRONIK_CLUSTER_VOTERS", voters);
            // The broker's own entry is at its own service name (which it binds), on a port its listeners leave free.
            QuorumVoter self = QuorumVoters.parse(voters, nodeId).voter(nodeId).orElseThrow();
            String kafkaPort = env.get("CHRONIK_LISTENER_PORT");
            assertThat(self.host()).isEqualTo(name);
            assertThat(self.port()).isNotEqualTo(Integer.parseInt(kafkaPort)).isNotEqualTo(8080);
            // Clients reach the advertised port on the host under the same number.
            assertThat(strings(broker, "ports")).contains(kafkaPort + ":" + kafkaPort, nodeId + "8080:8080");
            assertThat(Duration.parse("PT" + ((String) broker.get("stop_grace_period")).toUpperCase())).isGreaterThanOrEqualTo(Duration.ofSeconds(30));
            String volume = strings(broker, "volumes").get(0);
            assertThat(volume).endsWith(":/var/lib/chronik");
            dataVolumes.add(volume.substring(0, volume.indexOf(':')));
        }
        assertThat(QuorumVoters.parse(voters).all()).extracting(QuorumVoter::host).containsExactlyElementsOf(BROKERS);
        assertThat(dataVolumes).hasSize(3);
        assertThat(map(load("docker-compose.cluster.yml"), "volumes")).containsOnlyKeys(dataVolumes.toArray(String[]::new));

        assertThat(strings(map(services, "prometheus"), "depends_on")).containsExactlyInAnyOrderElementsOf(BROKERS);
        assertThat(scrapeTargets(services)).containsExactlyInAnyOrder("chronik-1:8080", "chronik-2:8080", "chronik-3:8080");
        assertMountsExist(services);
        assertPublishedPortsUnique(services);
    }

    /** The targets of the Prometheus config the prometheus service mounts, whose metrics path is Chronik's. */
    @SuppressWarnings("unchecked")
    private static List<String> scrapeTargets(Map<String, Object> services) throws IOException {
        String mount = strings(map(services, "prometheus"), "volumes").stream()
                .filter(v -> v.contains(":/etc/prometheus/prometheus.yml")).findFirst().orElseThrow();
        Map<String, Object> config = new Yaml().load(Files.readString(Path.of(mount.substring(0, mount.indexOf(':')))));
        List<String> targets = new ArrayList<>();
        for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
            assertThat(job).containsEntry("metrics_path", "/actuator/prometheus");
            for (Map<String, Object> statics : (List<Map<String, Object>>) job.get("static_configs")) {
                targets.addAll((List<String>) statics.get("targets"));
            }
        }
        return targets;
    }

    private static void assertMountsExist(Map<String, Object> services) {
        for (Object service : services.values()) {
            @SuppressWarnings("unchecked")
            List<String> volumes = (List<String>) ((Map<String, Object>) service).getOrDefault("volumes", List.of());
            volumes.stream().filter(v -> v.startsWith("./"))
                    .forEach(v -> assertThat(Path.of(v.substring(0, v.indexOf(':')))).as(v).exists());
        }
    }

    private static void assertPublishedPortsUnique(Map<String, Object> services) {
        List<String> published = new ArrayList<>();
        for (Object service : services.values()) {
            @SuppressWarnings("unchecked")
            List<String> ports = (List<String>) ((Map<String, Object>) service).getOrDefault("ports", List.of());
            ports.forEach(p -> published.add(p.substring(0, p.indexOf(':'))));
        }
        assertThat(published).doesNotHaveDuplicates();
    }

    private static Map<String, Object> load(String file) throws IOException {
        return new Yaml().load(Files.readString(Path.of(file)));
    }

    private static Map<String, Object> services(String file) throws IOException {
        return map(load(file), "services");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, Object> env = (Map<String, Object>) service.getOrDefault("environment", Map.of());
        Map<String, String> strings = new java.util.HashMap<>();
        env.forEach((k, v) -> strings.put(k, String.valueOf(v)));
        return strings;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.get(key);
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, Object> parent, String key) {
        return (List<String>) parent.get(key);
    }
}
