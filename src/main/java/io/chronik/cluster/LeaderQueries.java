package io.chronik.cluster;

import io.chronik.cluster.MetadataQuery.Heartbeat;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** Answers the queries that reach this broker while it leads the quorum: heartbeats and the quorum's status. */
final class LeaderQueries implements MetadataStateMachine.QueryHandler {
    private final BrokerHeartbeatManager heartbeats;
    private final QuorumServer quorum;

    LeaderQueries(BrokerHeartbeatManager heartbeats, QuorumServer quorum) {
        this.heartbeats = heartbeats;
        this.quorum = quorum;
    }

    @Override
    public CompletableFuture<byte[]> answer(byte[] bytes) {
        try {
            MetadataQuery query = QueryCodec.decode(bytes);
            if (query instanceof Heartbeat h) {
                return CompletableFuture.completedFuture(QueryCodec.encode(heartbeats.heartbeat(h)));
            }
            return CompletableFuture.completedFuture(QueryCodec.encode(quorum.status()));
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Routes the state machine's queries to {@code heartbeats} and {@code quorum}. */
    static void install(QuorumServer quorum, BrokerHeartbeatManager heartbeats) {
        quorum.stateMachine().setQueryHandler(new LeaderQueries(heartbeats, quorum));
    }
}
