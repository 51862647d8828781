package io.chronik.connect;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Kafka Connect distributed worker ({@code ConnectDistributed}) in a child JVM on the jars in
 * {@code target/connect-lib}, with its REST listener on an ephemeral port of 127.0.0.1. Its output is kept for
 * failure messages; {@link #stop()} ends it as an orchestrator does (SIGTERM) and waits for it.
 */
final class ConnectWorker implements AutoCloseable {
    static final Path LIB = Path.of("target", "connect-lib");

    private final Process process;
    private final Thread reader;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final int restPort;

    private ConnectWorker(Process process, int restPort) {
        this.process = process;
        this.restPort = restPort;
        this.reader = new Thread(this::readOutput, "connect-worker-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a worker with these worker settings (plus the REST listener) in {@code workDir}. */
    static ConnectWorker start(Path workDir, Map<String, String> settings) throws IOException {
        int port = freePort();
        Map<String, String> all = new TreeMap<>(settings);
        all.put("listeners", "http://127.0.0.1:" + port);
        all.put("rest.advertised.host.name", "127.0.0.1");
        all.put("rest.advertised.port", Integer.toString(port));
        Path workerProperties = workDir.resolve("worker-" + port + ".properties");
        Files.writeString(workerProperties, all.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")));
        Path log4j = workDir.resolve("log4j2.properties");
        Files.writeString(log4j, String.join("\n",
                "appender.stdout.type=Console",
                "appender.stdout.name=STDOUT",
                "appender.stdout.layout.type=PatternLayout",
                "appender.stdout.layout.pattern=[%d] %p %m (%c)%n",
                "rootLogger.level=WARN",
                "rootLogger.appenderRef.stdout.ref=STDOUT",
                // the herder's joins, assignments and connector starts, to tell what a slow worker was doing
                "logger.herder.name=org.apache.kafka.connect.runtime.distributed.DistributedHerder",
                "logger.herder.level=INFO",
                ""));
        String classpath = LIB.toAbsolutePath() + "/*";
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dlog4j2.configurationFile=" + log4j.toUri(),
                "-cp", classpath, "org.apache.kafka.connect.cli.ConnectDistributed", workerProperties.toString())
                .redirectErrorStream(true).start();
        return new ConnectWorker(process, port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
            }
        } catch (IOException ignored) {
            // the worker ended
        }
    }

    String restUrl() {
        return "http://127.0.0.1:" + restPort;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The worker's last lines of output, for failure messages. */
    String outputTail() {
        synchronized (output) {
            return String.join("\n", output.subList(Math.max(0, output.size() - 60), output.size()));
        }
    }

    /**
     * SIGTERM, then waits for the worker to stop its connectors, commit their offsets and leave the group. Through
     * the process handle, because {@code Process.destroy()} also closes the pipes and would lose the last output.
     */
    void stop() throws InterruptedException {
        process.toHandle().destroy();
        // A few seconds normally; on a two-core machine shared with other JVMs the worker's orderly shutdown (tasks'
        // graceful stop, producer flushes, leaving the group) has taken more than 30 s.
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the Connect worker did not stop within 60 s of SIGTERM:\n" + outputTail());
        }
        reader.join(10_000);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
