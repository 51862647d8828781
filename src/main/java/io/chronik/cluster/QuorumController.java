package io.chronik.cluster;

import io.chronik.cluster.MetadataQuery.BrokerState;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * How a broker talks to the controller, whichever broker it is: commands go through the quorum log and complete
 * once applied (with the command's result), queries are answered by the leader from memory. Ratis's client finds
 * the leader and follows redirects; it keeps at most 100 requests in flight and retries a bounded number of times.
 * Nothing here blocks: every call returns a future, completed on a Ratis client thread.
 */
public final class QuorumController implements Closeable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(QuorumController.class);

    private final QuorumServer quorum;
    private final long timeoutMillis;
    private volatile RaftClient client;
    private volatile boolean closed;

    public QuorumController(QuorumServer quorum) {
        this.quorum = quorum;
        ClusterSettings s = quorum.settings();
        // Long enough to ride out an election (up to two election timeouts) plus a request timeout.
        this.timeoutMillis = s.electionTimeoutMax().multipliedBy(2).plus(s.requestTimeout()).toMillis();
        this.client = newClient();
    }

    private RaftClient newClient() {
        ClusterSettings s = quorum.settings();
        return RaftClient.newBuilder()
                .setRaftGroup(quorum.group())
                .setProperties(RaftTuning.clientProperties(s))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) Math.max(3, timeoutMillis / 200), TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
                .build();
    }

    /** Writes {@code command} through the quorum; completes with its result once the leader has applied it. */
    public CompletableFuture<CommandResult> submit(MetadataCommand command) {
        RaftClient used = client;
        return used.async().send(Message.valueOf(ByteString.copyFrom(CommandCodec.encode(command))))
                .whenComplete((reply, error) -> replaceIfBroken(used, error))
                .thenApply(reply -> decode(reply, CommandCodec::decodeResult))
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * A Ratis client whose ordered request ran out of retries (the quorum had no majority for longer than the retry
     * budget) closes its request window for good: every later request fails with AlreadyClosedException. Such a
     * client is replaced by a new one, so the broker talks to the controller again once the quorum is back.
     */
    private void replaceIfBroken(RaftClient used, Throwable error) {
        if (error == null || closed || !brokenBy(error)) {
            return;
        }
        synchronized (this) {
            if (client != used || closed) {
                return;
            }
            client = newClient();
        }
        log.info("The client to the metadata quorum gave up on a request ({}); replaced by a new one", error.toString());
        Thread closer = new Thread(() -> {
            try {
                used.close();
            } catch (IOException | RuntimeException e) {
                log.debug("Closing the replaced quorum client failed: {}", e.toString());
            }
        }, "chronik-quorum-client-close");
        closer.setDaemon(true);
        closer.start();
    }

    private static boolean brokenBy(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException
                    || t instanceof org.apache.ratis.protocol.exceptions.RaftRetryFailureException) {
                return true;
            }
        }
        return false;
    }

    public CompletableFuture<BrokerState> heartbeat(MetadataQuery.Heartbeat heartbeat) {
        return query(heartbeat).thenApply(bytes -> decodeBytes(bytes, QueryCodec::decodeBrokerState));
    }

    public CompletableFuture<QuorumStatus> describeQuorum() {
        return query(new MetadataQuery.DescribeQuorum()).thenApply(bytes -> decodeBytes(bytes, QueryCodec::decodeStatus));
    }

    private CompletableFuture<byte[]> query(MetadataQuery query) {
        RaftClient used = client;
        return used.async().sendReadOnlyNonLinearizable(Message.valueOf(ByteString.copyFrom(QueryCodec.encode(query))))
                .whenComplete((reply, error) -> replaceIfBroken(used, error))
                .thenApply(reply -> decode(reply, bytes -> bytes))
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private interface Decoder<T> {
        T decode(byte[] bytes) throws IOException;
    }

    private static <T> T decode(RaftClientReply reply, Decoder<T> decoder) {
        if (!reply.isSuccess()) {
            throw new CompletionException(reply.getException() != null ? reply.getException()
                    : new IOException("the metadata quorum refused the request"));
        }
        return decodeBytes(reply.getMessage().getContent().toByteArray(), decoder);
    }

    private static <T> T decodeBytes(byte[] bytes, Decoder<T> decoder) {
        try {
            return decoder.decode(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        client.close();
    }
}
