package io.chronik.cluster;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * An observer (a broker beyond the voters) asks the quorum leader to add it to the Raft configuration as a listener:
 * the leader then replicates the metadata log to it, and it never votes or leads. Asking again after a restart
 * changes nothing. Runs on its own thread, retrying every second until the leader accepts or the broker stops;
 * until then the broker simply has no metadata (it is not registered and serves no partitions).
 */
public final class ObserverJoin implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ObserverJoin.class);
    private static final long RETRY_MILLIS = 1000;

    private final Thread thread;
    private volatile boolean closed;

    private ObserverJoin(QuorumServer quorum) {
        ClusterSettings settings = quorum.settings();
        if (settings.isObserver()) {
            this.thread = new Thread(() -> run(settings, quorum), "chronik-quorum-observer-join");
            thread.setDaemon(true);
        } else {
            this.thread = null;
        }
    }

    /** Starts joining when this broker is an observer; does nothing on a voter. */
    public static ObserverJoin start(QuorumServer quorum) {
        ObserverJoin join = new ObserverJoin(quorum);
        if (join.thread != null) {
            join.thread.start();
        }
        return join;
    }

    private void run(ClusterSettings settings, QuorumServer quorum) {
        SetConfigurationRequest.Arguments add = SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(List.of())
                .setListenersInNewConf(List.of(QuorumPeers.listener(settings.self())))
                .setMode(SetConfigurationRequest.Mode.ADD)
                .build();
        int attempts = 0;
        while (!closed) {
            attempts++;
            try (RaftClient client = RaftClient.newBuilder().setRaftGroup(quorum.group())
                    .setProperties(RaftTuning.clientProperties(settings)).build()) {
                RaftClientReply reply = client.admin().setConfiguration(add);
                if (reply.isSuccess()) {
                    log.info("Joined the metadata quorum as observer {} at {} (voters {})", settings.nodeId(),
                            settings.self().address(), settings.voters());
                    return;
                }
                if (attempts == 1 || attempts % 30 == 0) {
                    log.info("The metadata quorum did not add observer {} yet: {}", settings.nodeId(), reply.getException());
                }
            } catch (IOException | RuntimeException e) {
                if (attempts == 1 || attempts % 30 == 0) {
                    log.info("The metadata quorum did not add observer {} yet: {}", settings.nodeId(), e.toString());
                }
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
