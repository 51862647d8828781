package io.chronik.ops;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** The Helm chart, linted and rendered with helm-java (no helm binary), checked against the application. */
class HelmChartTest {
    private static final Path CHART = Path.of("helm/chronik");

    @Test
    void chartLintsCleanly() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    }

    @Test
    void defaultValuesRenderAConsistentStatefulSet() {
        Rendered r = render(t -> t);
        r.assertConsistent(9092, 8080, "/var/lib/chronik");
        assertThat(r.kinds()).contains("StatefulSet", "ConfigMap", "Service", "PodDisruptionBudget").doesNotContain("ServiceMonitor");
    }

    @Test
    void nonDefaultValuesFlowIntoPortsMountsConfigAndServiceMonitor() {
        Rendered r = render(t -> t.set("kafkaPort", 29092).set("httpPort", 9000).set("dataDir", "/data/chronik")
                .set("serviceMonitor.enabled", true).set("podDisruptionBudget.enabled", false)
                .set("chronik.default-partitions", 6));
        r.assertConsistent(29092, 9000, "/data/chronik");
        assertThat(r.kinds()).contains("ServiceMonitor").doesNotContain("PodDisruptionBudget");
        Map<String, Object> monitor = r.first("ServiceMonitor");
        List<Map<String, Object>> endpoints = list(map(monitor, "spec"), "endpoints");
        assertThat(endpoints.get(0)).containsEntry("path", "/actuator/prometheus").containsEntry("port", "http");
        assertThat(map(r.applicationYml(), "chronik")).containsEntry("default-partitions", 6);
    }

    private static Rendered render(UnaryOperator<TemplateCommand> values) {
        String manifests = values.apply(new Helm(CHART).template().withName("chronik")).call();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(manifests)) {
            if (doc instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) m;
                docs.add(typed);
            }
        }
        return new Rendered(docs);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.get(key);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        return (List<Map<String, Object>>) parent.get(key);
    }

    record Rendered(List<Map<String, Object>> docs) {
        List<String> kinds() {
            return docs.stream().map(d -> (String) d.get("kind")).toList();
        }

        Map<String, Object> first(String kind) {
            return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst().orElseThrow();
        }

        Map<String, Object> applicationYml() {
            String yml = (String) map(first("ConfigMap"), "data").get("application.yml");
            return new Yaml().load(yml);
        }

        void assertConsistent(int kafkaPort, int httpPort, String dataDir) {
            Map<String, Object> app = applicationYml();
            assertThat(map(app, "server")).containsEntry("port", httpPort);
            assertThat(map(map(app, "chronik"), "listener")).containsEntry("port", kafkaPort);
            assertThat(map(app, "chronik")).containsEntry("data-dir", dataDir);

            Map<String, Object> podSpec = map(map(map(first("StatefulSet"), "spec"), "template"), "spec");
            assertThat(map(podSpec, "securityContext")).containsEntry("runAsNonRoot", true);
            Map<String, Object> container = list(podSpec, "containers").get(0);
            List<Map<String, Object>> ports = list(container, "ports");
            assertThat(ports).anySatisfy(p -> assertThat(p).containsEntry("name", "http").containsEntry("containerPort", httpPort));
            assertThat(ports).anySatisfy(p -> assertThat(p).containsEntry("name", "kafka").containsEntry("containerPort", kafkaPort));
            // The probes hit the Actuator health groups the application exposes (see ObservabilityTest).
            assertThat(map(map(container, "livenessProbe"), "httpGet"))
                    .containsEntry("path", "/actuator/health/liveness").containsEntry("port", "http");
            assertThat(map(map(container, "readinessProbe"), "httpGet"))
                    .containsEntry("path", "/actuator/health/readiness").containsEntry("port", "http");
            assertThat(list(container, "volumeMounts"))
                    .anySatisfy(m -> assertThat(m).containsEntry("name", "data").containsEntry("mountPath", dataDir));
            assertThat(list(map(first("StatefulSet"), "spec"), "volumeClaimTemplates").get(0))
                    .extracting(t -> map(t, "metadata").get("name")).isEqualTo("data");
            assertThat(list(container, "env"))
                    .anySatisfy(e -> assertThat((String) e.get("value")).contains("chronik-headless").contains("$(POD_NAME)"));
            Map<String, Object> headless = docs.stream().filter(d -> "Service".equals(d.get("kind"))
                    && "None".equals(map(d, "spec").get("clusterIP"))).findFirst().orElseThrow();
            assertThat(map(headless, "metadata")).containsEntry("name", "chronik-headless");
            assertThat(map(first("StatefulSet"), "spec")).containsEntry("serviceName", "chronik-headless");
        }
    }
}
