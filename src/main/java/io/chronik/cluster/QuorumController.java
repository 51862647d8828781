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
    private final RaftClient client;
    private final long timeoutMillis;

    public QuorumController(QuorumServer quorum) {
        ClusterSettings s = quorum.settings();
        // Long enough to ride out an election (up to two election timeouts) plus a request timeout.
        this.timeoutMillis = s.electionTimeoutMax().multipliedBy(2).plus(s.requestTimeout()).toMillis();
        this.client = RaftClient.newBuilder()
                .setRaftGroup(quorum.group())
                .setProperties(RaftTuning.clientProperties(s))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) Math.max(3, timeoutMillis / 200), TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
                .build();
    }

    /** Writes {@code command} through the quorum; completes with its result once the leader has applied it. */
    public CompletableFuture<CommandResult> submit(MetadataCommand command) {
        return client.async().send(Message.valueOf(ByteString.copyFrom(CommandCodec.encode(command))))
                .thenApply(reply -> decode(reply, CommandCodec::decodeResult))
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    public CompletableFuture<BrokerState> heartbeat(MetadataQuery.Heartbeat heartbeat) {
        return query(heartbeat).thenApply(bytes -> decodeBytes(bytes, QueryCodec::decodeBrokerState));
    }

    public CompletableFuture<QuorumStatus> describeQuorum() {
        return query(new MetadataQuery.DescribeQuorum()).thenApply(bytes -> decodeBytes(bytes, QueryCodec::decodeStatus));
    }

    private CompletableFuture<byte[]> query(MetadataQuery query) {
        return client.async().sendReadOnlyNonLinearizable(Message.valueOf(ByteString.copyFrom(QueryCodec.encode(query))))
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
        client.close();
    }
}
