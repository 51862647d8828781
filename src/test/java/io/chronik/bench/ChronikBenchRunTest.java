package io.chronik.bench;

import io.chronik.testing.TestBroker;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** chronik-bench end to end: against a fake broker that stops answering, and against a real Chronik broker. */
class ChronikBenchRunTest {
    @TempDir
    Path dir;

    @Test
    void brokerThatStopsAnsweringProducesIsReportedAsStallWithANonZeroExit() throws Exception {
        try (SilentBroker broker = new SilentBroker()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Path json = dir.resolve("stall.json");
            long start = System.nanoTime();
            int exit = ChronikBench.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                    "-b", "127.0.0.1:" + broker.port(), "-t", "silent", "--acks", "1", "-d", "20s", "-c", "2",
                    "--json-output", json.toString());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(exit).as("output:\n%s", out).isEqualTo(ChronikBench.EXIT_STALL);
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("STALL at").contains("produce:");
            assertThat(seconds).as("stall detected well before the 20 s run ends").isLessThan(12);
            assertThat(broker.producesSwallowed).isPositive();
            assertThat(Files.readString(json)).contains("\"stall\":true", "\"exitCode\":3");
        }
    }

    @Test
    void shortProduceRunAgainstChronikExitsCleanly() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"))) {
            Path json = dir.resolve("produce.json");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = ChronikBench.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                    "-b", broker.bootstrapServers(), "-t", "bench-produce", "--create-topic", "-p", "3", "-c", "2",
                    "-s", "128", "-d", "2s", "--rate", "20000", "--json-output", json.toString());
            assertThat(exit).as("output:\n%s", out).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("produce:").doesNotContain("STALL");
            String summary = Files.readString(json);
            assertThat(summary).contains("\"mode\":\"produce\"", "\"stall\":false", "\"exitCode\":0", "\"produce_errors\":0");
            assertThat(number(summary, "produce_messages")).isPositive();

            // The same topic read back from the earliest offset: everything produced is there.
            ByteArrayOutputStream consumeOut = new ByteArrayOutputStream();
            Path consumeJson = dir.resolve("consume.json");
            int consumeExit = ChronikBench.run(new PrintStream(consumeOut, true, StandardCharsets.UTF_8), System.err,
                    "-b", broker.bootstrapServers(), "-t", "bench-produce", "-m", "consume", "-c", "2", "-d", "2s",
                    "--json-output", consumeJson.toString());
            assertThat(consumeExit).as("output:\n%s", consumeOut).isZero();
            assertThat(number(Files.readString(consumeJson), "consume_messages")).isEqualTo(number(summary, "produce_messages"));
        }
    }

    @Test
    void shortRoundTripAgainstChronikExitsCleanly() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"))) {
            Path json = dir.resolve("summary.json");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = ChronikBench.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                    "-b", broker.bootstrapServers(), "-t", "bench-rt", "--create-topic", "-p", "3", "-c", "2", "-s", "128",
                    "-d", "2s", "-m", "round-trip", "--acks", "all", "--rate", "2000", "--json-output", json.toString());
            assertThat(exit).as("output:\n%s", out).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("produce:", "consume:").doesNotContain("STALL");
            String summary = Files.readString(json);
            assertThat(summary).contains("\"mode\":\"round-trip\"", "\"stall\":false");
            long produced = number(summary, "produce_messages");
            assertThat(produced).isPositive();
            assertThat(number(summary, "consume_messages")).as("round trip waits for the consumers").isEqualTo(produced);
        }
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertThat(m.find()).as("%s in %s", field, json).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Answers ApiVersions and Metadata like a one-broker cluster, then reads produce requests and never answers. */
    static final class SilentBroker implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Uuid topicId = Uuid.randomUuid();
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile int producesSwallowed;

        SilentBroker() throws Exception {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        sockets.add(socket);
                        Thread t = new Thread(() -> serve(socket), "silent-broker-conn");
                        t.setDaemon(true);
                        t.start();
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "silent-broker");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(Socket socket) {
            try (socket; DataInputStream in = new DataInputStream(socket.getInputStream());
                 DataOutputStream out = new DataOutputStream(socket.getOutputStream())) {
                while (true) {
                    byte[] frame = new byte[in.readInt()];
                    in.readFully(frame);
                    ByteBuffer buffer = ByteBuffer.wrap(frame);
                    RequestHeader header = RequestHeader.parse(buffer);
                    ApiKeys key = header.apiKey();
                    short version = header.apiVersion();
                    if (key == ApiKeys.API_VERSIONS) {
                        ApiVersionsResponseData.ApiVersionCollection apis = new ApiVersionsResponseData.ApiVersionCollection();
                        for (ApiKeys k : List.of(ApiKeys.API_VERSIONS, ApiKeys.METADATA, ApiKeys.PRODUCE)) {
                            apis.add(new ApiVersionsResponseData.ApiVersion().setApiKey(k.id)
                                    .setMinVersion(k.oldestVersion()).setMaxVersion(k.latestVersion()));
                        }
                        write(out, header, new ApiVersionsResponseData().setApiKeys(apis), (short) 0);
                    } else if (key == ApiKeys.METADATA) {
                        MetadataRequestData request = new MetadataRequestData(new ByteBufferAccessor(buffer), version);
                        MetadataResponseData response = new MetadataResponseData().setClusterId("silent").setControllerId(0);
                        response.brokers().add(new MetadataResponseData.MetadataResponseBroker().setNodeId(0)
                                .setHost("127.0.0.1").setPort(port()));
                        if (request.topics() != null) {
                            for (MetadataRequestData.MetadataRequestTopic t : request.topics()) {
                                MetadataResponseData.MetadataResponseTopic topic = new MetadataResponseData.MetadataResponseTopic()
                                        .setName(t.name()).setTopicId(topicId);
                                topic.partitions().add(new MetadataResponseData.MetadataResponsePartition().setPartitionIndex(0)
                                        .setLeaderId(0).setReplicaNodes(List.of(0)).setIsrNodes(List.of(0)));
                                response.topics().add(topic);
                            }
                        }
                        write(out, header, response, key.responseHeaderVersion(version));
                    } else {
                        producesSwallowed++;
                    }
                }
            } catch (Exception closed) {
                // the client went away
            }
        }

        private static void write(DataOutputStream out, RequestHeader header, ApiMessage body, short headerVersion) throws Exception {
            ObjectSerializationCache cache = new ObjectSerializationCache();
            ResponseHeaderData h = new ResponseHeaderData().setCorrelationId(header.correlationId());
            int size = h.size(cache, headerVersion) + body.size(cache, header.apiVersion());
            ByteBuffer buffer = ByteBuffer.allocate(4 + size);
            buffer.putInt(size);
            ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
            h.write(accessor, cache, headerVersion);
            body.write(accessor, cache, header.apiVersion());
            out.write(buffer.array());
            out.flush();
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
