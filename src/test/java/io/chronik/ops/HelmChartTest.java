package io.chronik.ops;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.chronik.cluster.QuorumVoter;
import io.chronik.cluster.QuorumVoters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Helm chart, linted and rendered with helm-java (no helm binary), checked against the application. */
class HelmChartTest {
    private static final Path CHART = Path.of("helm/chronik");

    @Test
    void chartLintsCleanly() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    }

    @Test
    void chartWithOneReplicaLintsCleanly(@TempDir Path copy) throws IOException {
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path from : files.toList()) {
                Path to = copy.resolve(CHART.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to);
                }
            }
        }
        Path values = copy.resolve("values.yaml");
        String original = Files.readString(values);
        Files.writeString(values, original.replaceFirst("(?m)^replicaCount: 3$", "replicaCount: 1"));
        assertThat(Files.readString(values)).isNotEqualTo(original);
        LintResult result = new Helm(copy).lint().strict().call();
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    }

    @Test
    void defaultValuesRenderAConsistentStatefulSet() {
        Rendered r = render(t -> t);
        r.assertConsistent(9092, 8080, "/var/lib/chronik");
        assertThat(r.kinds()).contains("StatefulSet", "ConfigMap", "Service", "PodDisruptionBudget").doesNotContain("ServiceMonitor");
    }

    @Test
    void defaultValuesFormAThreeBrokerClusterOfTheStatefulSetsPods(@TempDir Path bin) throws Exception {
        Rendered r = render(t -> t);
        Map<String, Object> spec = map(r.first("StatefulSet"), "spec");
        assertThat(spec).containsEntry("replicas", 3).containsEntry("podManagementPolicy", "Parallel");
        assertThat(map(spec, "updateStrategy")).containsEntry("type", "RollingUpdate");
        assertThat(map(map(spec, "updateStrategy"), "rollingUpdate")).containsEntry("maxUnavailable", 1).containsEntry("partition", 0);
        // Controlled shutdown takes up to 3 x the 5 s quorum request timeout, then the listener drains (5 s).
        assertThat((Integer) map(map(spec, "template"), "spec").get("terminationGracePeriodSeconds")).isGreaterThanOrEqualTo(30);

        assertThat(r.env("chronik-0", "streaming").get("CHRONIK_CLUSTER_VOTERS")).isEqualTo("1@chronik-0.chronik-headless.streaming.svc.cluster.local:9093,"
                + "2@chronik-1.chronik-headless.streaming.svc.cluster.local:9093,"
                + "3@chronik-2.chronik-headless.streaming.svc.cluster.local:9093");
        r.assertEachPodIsTheVoterOfItsNodeId(bin, "chronik", "streaming", 3, 9093);

        Map<String, Object> pdb = r.first("PodDisruptionBudget");
        assertThat(map(pdb, "spec")).containsEntry("maxUnavailable", 1);
        assertThat(map(map(map(spec, "template"), "metadata"), "labels"))
                .containsAllEntriesOf(map(map(map(pdb, "spec"), "selector"), "matchLabels"));
        assertThat(list(map(r.headless(), "spec"), "ports"))
                .anySatisfy(p -> assertThat(p).containsEntry("name", "quorum").containsEntry("port", 9093).containsEntry("targetPort", "quorum"));
        assertThat(map(r.headless(), "spec")).containsEntry("publishNotReadyAddresses", true);
        assertThat(list(r.container(), "ports"))
                .anySatisfy(p -> assertThat(p).containsEntry("name", "quorum").containsEntry("containerPort", 9093));
    }

    @Test
    void oneReplicaRendersASingleBrokerWithoutVoters() {
        Rendered r = render(t -> t.set("replicaCount", 1));
        r.assertConsistent(9092, 8080, "/var/lib/chronik");
        assertThat(map(r.first("StatefulSet"), "spec")).containsEntry("replicas", 1);
        assertThat(map(r.applicationYml(), "chronik")).doesNotContainKey("cluster").doesNotContainKey("node-id");
        assertThat(r.container()).doesNotContainKey("command");
        assertThat(r.env("chronik-0", "default")).doesNotContainKeys("CHRONIK_CLUSTER_VOTERS", "CHRONIK_NODE_ID")
                .containsEntry("CHRONIK_ADVERTISED_HOST", "chronik-0.chronik-headless.default.svc.cluster.local");
        assertThat(list(r.container(), "ports")).extracting(p -> p.get("name")).containsExactlyInAnyOrder("kafka", "http");
        assertThat(list(map(r.headless(), "spec"), "ports")).extracting(p -> p.get("name")).containsExactly("kafka");
        assertThat(r.kinds()).contains("PodDisruptionBudget");
    }

    @Test
    void clusterValuesFlowIntoVotersAndMergeWithOtherClusterSettings(@TempDir Path bin) throws Exception {
        Rendered r = render(t -> t.withName("events").set("replicaCount", 5).set("quorumPort", 19093)
                .set("clusterDomain", "example.internal").set("kafkaPort", 29092)
                .set("chronik.cluster.session-timeout", "12s").set("chronik.listener.io-threads", 2));
        r.assertConsistent(29092, 8080, "/var/lib/chronik", "events-chronik");
        Map<String, Object> chronik = map(r.applicationYml(), "chronik");
        assertThat(map(chronik, "cluster")).containsEntry("session-timeout", "12s");
        assertThat(map(chronik, "listener")).containsEntry("port", 29092).containsEntry("io-threads", 2);
        assertThat(QuorumVoters.parse(r.env("events-chronik-0", "prod").get("CHRONIK_CLUSTER_VOTERS")).all()).extracting(QuorumVoter::toString).containsExactly(
                "1@events-chronik-0.events-chronik-headless.prod.svc.example.internal:19093",
                "2@events-chronik-1.events-chronik-headless.prod.svc.example.internal:19093",
                "3@events-chronik-2.events-chronik-headless.prod.svc.example.internal:19093",
                "4@events-chronik-3.events-chronik-headless.prod.svc.example.internal:19093",
                "5@events-chronik-4.events-chronik-headless.prod.svc.example.internal:19093");
        r.assertEachPodIsTheVoterOfItsNodeId(bin, "events-chronik", "prod", 5, 19093);
    }

    @Test
    void votersOrNodeIdInTheChronikValuesAreRefusedInACluster() {
        assertThatThrownBy(() -> render(t -> t.set("chronik.cluster.voters", "1@elsewhere:9093")))
                .hasMessageContaining("chronik.cluster.voters and chronik.node-id are set by the chart");
        assertThatThrownBy(() -> render(t -> t.set("chronik.node-id", 7))).hasMessageContaining("chronik.node-id");
        assertThat(render(t -> t.set("replicaCount", 1).set("chronik.node-id", 7)).applicationYml())
                .extracting(app -> map(app, "chronik").get("node-id")).isEqualTo(7);
    }

    @Test
    void startCommandRefusesAPodNameWithoutAnOrdinal(@TempDir Path bin) throws Exception {
        Rendered r = render(t -> t);
        Started started = r.start(bin, "chronik");
        assertThat(started.exitCode()).isNotZero();
        assertThat(started.output()).contains("cannot derive chronik.node-id from the pod name 'chronik'").doesNotContain("java ran");
    }

    @Test
    void startCommandRunsTheImagesEntrypoint() throws IOException {
        Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT \\[(.*)]$").matcher(Files.readString(Path.of("Dockerfile")));
        assertThat(entrypoint.find()).isTrue();
        String command = entrypoint.group(1).replace("\"", "").replace(",", "");
        List<String> script = strings(render(t -> t).container(), "command");
        assertThat(script.get(2)).contains("exec " + command + " \"$@\"");
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

    @SuppressWarnings("unchecked")
    static List<String> strings(Map<String, Object> parent, String key) {
        return (List<String>) parent.get(key);
    }

    /** What the rendered start command did with a stand-in {@code java} that prints its node id and arguments. */
    record Started(int exitCode, String output) {
    }

    record Rendered(List<Map<String, Object>> docs) {
        List<String> kinds() {
            return docs.stream().map(d -> (String) d.get("kind")).toList();
        }

        Map<String, Object> first(String kind) {
            return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst().orElseThrow();
        }

        Map<String, Object> container() {
            Map<String, Object> podSpec = map(map(map(first("StatefulSet"), "spec"), "template"), "spec");
            return list(podSpec, "containers").get(0);
        }

        Map<String, Object> headless() {
            return docs.stream().filter(d -> "Service".equals(d.get("kind")) && "None".equals(map(d, "spec").get("clusterIP")))
                    .findFirst().orElseThrow();
        }

        /**
         * The container's environment in pod {@code pod} of namespace {@code namespace}, as the kubelet builds it: field
         * references filled in, and $(NAME) replaced by the value of a variable defined earlier in the list.
         */
        Map<String, String> env(String pod, String namespace) {
            Map<String, String> env = new java.util.LinkedHashMap<>();
            for (Map<String, Object> e : list(container(), "env")) {
                String value;
                if (e.containsKey("valueFrom")) {
                    String field = (String) map(map(e, "valueFrom"), "fieldRef").get("fieldPath");
                    value = switch (field) {
                        case "metadata.name" -> pod;
                        case "metadata.namespace" -> namespace;
                        default -> throw new AssertionError("unexpected field reference " + field);
                    };
                } else {
                    Matcher ref = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher((String) e.get("value"));
                    StringBuilder expanded = new StringBuilder();
                    while (ref.find()) {
                        String defined = env.get(ref.group(1));
                        ref.appendReplacement(expanded, Matcher.quoteReplacement(defined != null ? defined : ref.group()));
                    }
                    value = ref.appendTail(expanded).toString();
                }
                env.put((String) e.get("name"), value);
            }
            return env;
        }

        /** Runs the container's command and args as the kubelet would (env POD_NAME), with a stand-in java. */
        Started start(Path bin, String podName) throws Exception {
            Path java = bin.resolve("java");
            Files.writeString(java, "#!/bin/sh\necho \"java ran node-id=$CHRONIK_NODE_ID\"\nfor a in \"$@\"; do echo \"arg $a\"; done\n");
            Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> command = new ArrayList<>(strings(container(), "command"));
            command.addAll(strings(container(), "args"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("POD_NAME", podName);
            builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
            Process process = builder.start();
            try {
                assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("start command finished").isTrue();
                return new Started(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } finally {
                process.destroyForcibly();
            }
        }

        /**
         * For every ordinal, the node id the start command derives from the pod name is a voter whose address is the
         * host the pod advertises (the env value with the kubelet's $(VAR) expansion), and the quorum port the pod exposes.
         */
        void assertEachPodIsTheVoterOfItsNodeId(Path bin, String fullname, String namespace, int replicas, int quorumPort) throws Exception {
            for (int ordinal = 0; ordinal < replicas; ordinal++) {
                String pod = fullname + "-" + ordinal;
                Map<String, String> env = env(pod, namespace);
                String voters = env.get("CHRONIK_CLUSTER_VOTERS");
                assertThat(QuorumVoters.parse(voters).size()).isEqualTo(replicas);
                Started started = start(bin, pod);
                assertThat(started.exitCode()).as(started.output()).isZero();
                Matcher nodeId = Pattern.compile("java ran node-id=(\\d+)").matcher(started.output());
                assertThat(nodeId.find()).as(started.output()).isTrue();
                int id = Integer.parseInt(nodeId.group(1));
                assertThat(id).isEqualTo(ordinal + 1);
                assertThat(started.output()).contains("arg --spring.config.additional-location=file:/config/application.yml");
                QuorumVoter voter = QuorumVoters.parse(voters, id).voter(id).orElseThrow();
                assertThat(voter.host()).isEqualTo(env.get("CHRONIK_ADVERTISED_HOST")).doesNotContain("$(");
                assertThat(voter.port()).isEqualTo(quorumPort);
            }
        }

        Map<String, Object> applicationYml() {
            String yml = (String) map(first("ConfigMap"), "data").get("application.yml");
            return new Yaml().load(yml);
        }

        void assertConsistent(int kafkaPort, int httpPort, String dataDir) {
            assertConsistent(kafkaPort, httpPort, dataDir, "chronik");
        }

        void assertConsistent(int kafkaPort, int httpPort, String dataDir, String fullname) {
            Map<String, Object> app = applicationYml();
            assertThat(map(app, "server")).containsEntry("port", httpPort);
            assertThat(map(map(app, "chronik"), "listener")).containsEntry("port", kafkaPort);
            assertThat(map(app, "chronik")).containsEntry("data-dir", dataDir);

            Map<String, Object> podSpec = map(map(map(first("StatefulSet"), "spec"), "template"), "spec");
            assertThat(map(podSpec, "securityContext")).containsEntry("runAsNonRoot", true);
            Map<String, Object> container = container();
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
                    .anySatisfy(e -> assertThat((String) e.get("value")).contains(fullname + "-headless").contains("$(POD_NAME)"));
            assertThat(map(headless(), "metadata")).containsEntry("name", fullname + "-headless");
            assertThat(map(first("StatefulSet"), "spec")).containsEntry("serviceName", fullname + "-headless");
        }
    }
}
