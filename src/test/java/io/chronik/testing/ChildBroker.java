package io.chronik.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A broker in its own JVM, started like {@code java -jar chronik.jar}, for exit codes and signals. */
public final class ChildBroker implements AutoCloseable {
    private static final Pattern BOUND = Pattern.compile("Kafka listener bound to [^:]+:(\\d+)");
    private static final Pattern HTTP = Pattern.compile("Netty started on port (\\d+)");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final CompletableFuture<Integer> httpPort = new CompletableFuture<>();

    private ChildBroker(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    Matcher m = BOUND.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                    Matcher http = HTTP.matcher(line);
                    if (http.find()) {
                        httpPort.complete(Integer.parseInt(http.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            port.completeExceptionally(new IllegalStateException("broker exited before binding:\n" + String.join("\n", output)));
            httpPort.completeExceptionally(new IllegalStateException("broker exited before binding its HTTP port"));
        }, "child-broker-output");
        reader.setDaemon(true);
        reader.start();
    }

    public static ChildBroker start(Path dataDir, String... extraArgs) throws IOException {
        return start(dataDir, List.of("-Xmx512m"), extraArgs);
    }

    /** A broker JVM with these JVM options (heap size, ...) instead of the default 512 MB heap. */
    public static ChildBroker start(Path dataDir, List<String> jvmOptions, String... extraArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.chronik.ChronikApplication");
        List<String> extra = List.of(extraArgs);
        if (extra.stream().noneMatch(a -> a.startsWith("--chronik.listener.port="))) {
            command.add("--chronik.listener.port=0");
        }
        command.add("--chronik.listener.host=127.0.0.1");
        command.add("--chronik.advertised-host=127.0.0.1");
        command.add("--server.port=0");
        if (extra.stream().noneMatch(a -> a.startsWith("--chronik.data-dir="))) {
            command.add("--chronik.data-dir=" + dataDir);
        }
        command.addAll(extra);
        return new ChildBroker(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    public int port() throws Exception {
        return port.get(90, TimeUnit.SECONDS);
    }

    public String bootstrapServers() throws Exception {
        return "127.0.0.1:" + port();
    }

    /** The Actuator HTTP port. */
    public int httpPort() throws Exception {
        return httpPort.get(90, TimeUnit.SECONDS);
    }

    /**
     * Sends SIGKILL (kill -9) and waits for the process to end. Through its handle: {@code Process.destroy*} would
     * also close the output pipe and lose what the broker wrote last.
     */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The broker's process id (for tools that kill it themselves). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM; the broker's output is still read until it exits. */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** The exit code, or null if the process is still running after the timeout. */
    public Integer awaitExit(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit) ? process.exitValue() : null;
    }

    public String output() {
        return String.join("\n", output);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
