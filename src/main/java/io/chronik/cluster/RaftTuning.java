package io.chronik.cluster;

import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Every Ratis property Chronik sets, and why (the README's cluster section says the same for operators).
 * <ul>
 * <li>Election timeout 2-4 s instead of Ratis's 150-300 ms: brokers share small, busy machines, and a GC or
 * scheduling pause longer than the timeout makes followers depose a healthy leader (Ratis's own tracker: spurious
 * elections on JVM pauses, RATIS-1149; Ozone raised its timeout to 10 s, HDDS-1718). 2 s still elects a new
 * controller well within the 9 s broker session timeout. The pause monitor warns from half the minimum.</li>
 * <li>Request timeout 5 s instead of 3 s: an fsync on a shared disk can take seconds.</li>
 * <li>Snapshots every {@code snapshot-threshold} applied entries, the log purged up to each snapshot (not only up
 * to what every follower has, or a stopped broker would keep the log growing), two snapshot files kept, and
 * small segments so a purge frees space: without these the log grows without bound (Ratis leaves auto-snapshots
 * off and keeps every snapshot file by default). A follower that fell behind the purge gets the snapshot.</li>
 * <li>Heartbeats are not log entries (see {@link MetadataQuery}), so an idle cluster does not grow its log.</li>
 * <li>Storage: a durable segmented log (not in memory), recovered at startup, fsynced before an entry counts.</li>
 * <li>Small buffers and caches: a broker may run with a 256 MB heap, and metadata entries are small.</li>
 * </ul>
 */
final class RaftTuning {
    /** The largest metadata entry; a CreateTopic with thousands of partitions stays far below. */
    static final SizeInBytes MAX_ENTRY = SizeInBytes.valueOf("1MB");

    private RaftTuning() {
    }

    static RaftProperties serverProperties(ClusterSettings s) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        QuorumVoter self = s.self();
        NettyConfigKeys.Server.setHost(p, self.host());
        NettyConfigKeys.Server.setPort(p, self.port());

        RaftServerConfigKeys.setStorageDir(p, List.of(s.metadataDir().toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, s.metadataDir().resolve("removed-groups").toFile());
        RaftServerConfigKeys.Log.setUseMemory(p, false);
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, false);

        RaftServerConfigKeys.Rpc.setTimeoutMin(p, time(s.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, time(s.electionTimeoutMax()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, time(s.requestTimeout()));
        RaftServerConfigKeys.setSleepDeviationThreshold(p, time(s.electionTimeoutMin().dividedBy(2)));

        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, s.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(Integer.MAX_VALUE, s.snapshotThreshold()));

        SizeInBytes segment = SizeInBytes.valueOf(s.logSegmentBytes());
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, segment);
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(s.logSegmentBytes(), 64 * 1024)));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 4);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf(Math.max(4 * s.logSegmentBytes(), 8L << 20)));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, MAX_ENTRY);
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(MAX_ENTRY.getSize() + 64 * 1024));
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, MAX_ENTRY);
        return p;
    }

    /** The client that submits commands and queries: bounded in-flight requests, bounded retries. */
    static RaftProperties clientProperties(ClusterSettings s) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, time(s.requestTimeout()));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 100);
        return p;
    }

    static TimeDuration time(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }
}
