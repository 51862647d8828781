package io.chronik.connect;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Kafka Connect's REST API of one worker, through java.net.http. Every call repeats, within a deadline, until its
 * answer is the one asked for: a worker answers 409 while it rebalances and 404 for connectors it has not read yet.
 */
final class ConnectRest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One answer of the worker: the HTTP status and the body (JSON where the worker sent JSON). */
    record Answer(int status, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ConnectWorker worker;

    ConnectRest(ConnectWorker worker) {
        this.worker = worker;
    }

    static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    /**
     * Sends the request until the answer satisfies {@code done} and returns that answer; fails, with the last answer
     * and the worker's output, when the worker dies or {@code timeout} passes.
     */
    Answer until(String method, String path, String body, Predicate<Answer> done, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (true) {
            if (!worker.isAlive()) {
                throw new AssertionError("the Connect worker died while waiting for " + what + ":\n" + worker.outputTail());
            }
            try {
                Answer answer = send(method, path, body);
                if (done.test(answer)) {
                    return answer;
                }
                last = answer.status() + " " + answer.body();
            } catch (IOException e) {
                last = e.toString(); // not listening yet, or restarting its REST server
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + " (" + method + " " + path + "), last answer: "
                        + last + "\nworker output:\n" + worker.outputTail());
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
    }

    private Answer send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(worker.restUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }
}
