package io.chronik.cluster;

import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The replicated state machine of the metadata quorum: applies committed commands in log order to the
 * {@link ClusterImage}, tells listeners, writes the image as a snapshot when the quorum asks (so the log can be
 * purged up to it) and loads the latest snapshot at startup or after the leader installed one. Queries that are
 * not log entries (heartbeats, quorum status) are answered by the {@link QueryHandler} on the leader.
 */
public final class MetadataStateMachine extends BaseStateMachine {
    private static final Logger log = LoggerFactory.getLogger(MetadataStateMachine.class);

    /** Answers a query that reached this broker while it is the quorum leader. */
    public interface QueryHandler {
        CompletableFuture<byte[]> answer(byte[] query);
    }

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ClusterImage image = ClusterImage.EMPTY;
    private final AppliedIndexWaiters appliedWaiters = new AppliedIndexWaiters();
    private volatile QueryHandler queries = query -> CompletableFuture.failedFuture(new IllegalStateException("not serving queries yet"));

    public void addListener(MetadataListener listener) {
        listeners.add(listener);
    }

    public void setQueryHandler(QueryHandler handler) {
        this.queries = handler;
    }

    /** The latest applied image. */
    public ClusterImage image() {
        return image;
    }

    /**
     * Completes once this broker has applied the quorum's log up to {@code index} (commands and Ratis' own entries
     * alike); the caller bounds the wait.
     */
    public CompletableFuture<Void> awaitApplied(long index) {
        return appliedWaiters.await(index);
    }

    @Override
    protected boolean updateLastAppliedTermIndex(long term, long index) {
        boolean updated = super.updateLastAppliedTermIndex(term, index);
        appliedUpTo(getLastAppliedTermIndex());
        return updated;
    }

    @Override
    protected boolean updateLastAppliedTermIndex(TermIndex termIndex) {
        boolean updated = super.updateLastAppliedTermIndex(termIndex);
        appliedUpTo(getLastAppliedTermIndex());
        return updated;
    }

    @Override
    protected void setLastAppliedTermIndex(TermIndex termIndex) {
        super.setLastAppliedTermIndex(termIndex);
        appliedUpTo(termIndex);
    }

    private void appliedUpTo(TermIndex termIndex) {
        // The base class's constructor sets the first index before this class's fields exist.
        if (appliedWaiters != null && termIndex != null) {
            appliedWaiters.applied(termIndex.getIndex());
        }
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            load(storage.loadLatestSnapshot());
        });
    }

    /** Ratis pauses the state machine before it replaces its snapshot with one installed from the leader. */
    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** After the leader installed a snapshot on this follower: load it and run again. */
    @Override
    public void reinitialize() throws IOException {
        load(storage.loadLatestSnapshot());
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        try {
            CommandCodec.decode(request.getMessage().getContent().toByteArray());
        } catch (IOException | RuntimeException e) {
            trx.setException(new IllegalArgumentException("not a metadata command: " + e.getMessage()));
        }
        return trx;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        TermIndex termIndex = TermIndex.valueOf(entry);
        MetadataCommand command = null;
        CommandResult result;
        ClusterImage applied;
        synchronized (this) {
            try {
                command = CommandCodec.decode(entry.getStateMachineLogEntry().getLogData().toByteArray());
                MetadataApplier.Applied outcome = MetadataApplier.apply(image, command, termIndex.getIndex());
                image = outcome.image();
                result = outcome.result();
            } catch (IOException | RuntimeException e) {
                // Every broker refuses the same entry the same way, so their images stay equal.
                log.warn("Cluster metadata entry {} cannot be applied: {}", termIndex, e.toString());
                result = CommandResult.error(Errors.INVALID_REQUEST, e.toString());
            }
            applied = image;
            updateLastAppliedTermIndex(termIndex);
        }
        if (command != null) {
            for (MetadataListener listener : listeners) {
                try {
                    listener.onApplied(termIndex.getIndex(), command, result, applied);
                } catch (RuntimeException e) {
                    log.error("Metadata listener {} failed on entry {}", listener, termIndex, e);
                }
            }
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(CommandCodec.encodeResult(result))));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        return queries.answer(request.getContent().toByteArray()).thenApply(bytes -> Message.valueOf(ByteString.copyFrom(bytes)));
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId memberId, RaftPeerId leaderId) {
        int leader = leaderId == null ? -1 : QuorumPeers.nodeId(leaderId);
        boolean self = leaderId != null && leaderId.equals(memberId.getPeerId());
        log.info("Metadata quorum leader (the controller) is now {}", leader < 0 ? "unknown" : self ? leader + " (this broker)" : leader);
        for (MetadataListener listener : listeners) {
            try {
                listener.onLeaderChanged(leader, self);
            } catch (RuntimeException e) {
                log.error("Metadata listener {} failed on a leader change", listener, e);
            }
        }
    }

    /** Writes the image as of the last applied entry; Ratis then purges the log up to the returned index. */
    @Override
    public long takeSnapshot() throws IOException {
        ClusterImage snapshot;
        TermIndex last;
        synchronized (this) {
            snapshot = image;
            last = getLastAppliedTermIndex();
        }
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
        try (FileOutputStream fos = new FileOutputStream(tmp.toFile());
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fos))) {
            ImageCodec.write(snapshot, out);
            out.flush();
            fos.getChannel().force(true);
        }
        Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
        log.debug("Cluster metadata snapshot at {}", last);
        return last.getIndex();
    }

    @Override
    public String toString() {
        return "cluster metadata state machine of group " + getGroupId();
    }

    private void load(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            return;
        }
        Path path = snapshot.getFile().getPath();
        if (snapshot.getFile().getFileDigest() != null) {
            MD5FileUtil.verifySavedMD5(path.toFile(), snapshot.getFile().getFileDigest());
        }
        ClusterImage loaded;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path)))) {
            loaded = ImageCodec.read(in);
        }
        TermIndex termIndex = snapshot.getTermIndex();
        synchronized (this) {
            image = loaded;
            setLastAppliedTermIndex(termIndex);
        }
        log.info("Cluster metadata loaded from snapshot {} ({} brokers, {} topics)", termIndex, loaded.brokers().size(),
                loaded.topics().size());
        for (MetadataListener listener : listeners) {
            listener.onImageLoaded(termIndex.getIndex(), loaded);
        }
    }
}
