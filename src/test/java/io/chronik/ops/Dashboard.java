package io.chronik.ops;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names the Grafana dashboard's panel queries use, by the row the panels sit under. */
final class Dashboard {
    static final String CLUSTER_ROW = "Cluster";
    private static final Pattern METRIC = Pattern.compile("chronik_[a-z_]+");

    private Dashboard() {
    }

    static Map<String, Set<String>> metricsByRow() {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("grafana/dashboards/chronik.json").toFile());
        Map<String, Set<String>> byRow = new TreeMap<>();
        String row = "";
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.path("type").asText().equals("row")) {
                row = panel.get("title").asText();
                continue;
            }
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    byRow.computeIfAbsent(row, r -> new TreeSet<>()).add(m.group());
                }
            }
        }
        return byRow;
    }

    /** Whether {@code scrape} has at least one sample of {@code name}. */
    static boolean exported(String scrape, String name) {
        return Pattern.compile("(?m)^" + name + "[{ ]").matcher(scrape).find();
    }
}
