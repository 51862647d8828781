package io.chronik.bench;

import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;

/** How the bench's command-line tools start: their quiet client logging, and picocli with a one-line error. */
final class BenchLauncher {
    private BenchLauncher() {
    }

    /** Before any logger exists: the bench's own quiet logging (client warnings), not the broker's configuration. */
    static void quietLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "chronik-bench-logback.xml");
        }
    }

    /**
     * Runs {@code command} with these arguments and returns its exit code; a failure is printed as one line prefixed
     * with {@code name} and answered with {@code failedExit}.
     */
    static int run(Object command, String name, int failedExit, PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(name + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return failedExit;
        });
        return cli.execute(args);
    }
}
