package io.chronik.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Non-Java clients the compatibility tests run (kcat, node with kafkajs, Python with librdkafka). */
public final class ExternalTools {
    private ExternalTools() {
    }

    /** Whether {@code tool} is an executable on the PATH. */
    public static boolean onPath(String tool) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    /**
     * Runs {@code command} with {@code env} added to its environment and {@code stdin} as its input; returns its
     * output (stdout and stderr together), failing unless it exits with 0 within {@code timeoutSeconds}.
     */
    public static String run(List<String> command, Map<String, String> env, String stdin, long timeoutSeconds)
            throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        try {
            try (var input = process.getOutputStream()) {
                input.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean done = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            assertThat(done).as("%s finished in time:%n%s", command, output).isTrue();
            assertThat(process.exitValue()).as("exit code of %s; output:%n%s", command, output).isZero();
            return output;
        } finally {
            process.destroyForcibly();
        }
    }
}
