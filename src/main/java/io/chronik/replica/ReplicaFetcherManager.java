package io.chronik.replica;

import io.chronik.client.BrokerClient;
import io.chronik.client.ClientSettings;
import io.chronik.cluster.BrokerRegistration;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The follower fetchers of this broker, one per leader broker, each with its own connection to that leader. A
 * partition is fetched by exactly one of them: the one of its current leader. Guarded by its own monitor.
 */
final class ReplicaFetcherManager implements AutoCloseable {
    /** Fetch requests in flight on one replication connection: one at a time per fetcher, with room for others. */
    private static final int MAX_IN_FLIGHT = 16;

    private final ReplicationSettings settings;
    private final ReplicationThrottles throttles;
    private final ScheduledExecutorService scheduler;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private final Map<Partition, ReplicaFetcher> assigned = new HashMap<>();

    ReplicaFetcherManager(ReplicationSettings settings, ReplicationThrottles throttles, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.throttles = throttles;
        this.scheduler = scheduler;
    }

    synchronized void follow(Partition partition, BrokerRegistration leader, int leaderEpoch) {
        unfollow(partition);
        ReplicaFetcher fetcher = fetchers.get(leader.id());
        if (fetcher != null && !fetcher.hasEndpoint(leader.host(), leader.port())) {
            ReplicaFetcher stale = fetcher;
            stale.close(); // the leader restarted elsewhere: its partitions were reassigned with new epochs
            fetchers.remove(leader.id());
            assigned.values().removeIf(f -> f == stale);
            fetcher = null;
        }
        if (fetcher == null) {
            ClientSettings client = new ClientSettings("chronik-replica-" + settings.brokerId(), MAX_IN_FLIGHT,
                    Duration.ofSeconds(5), settings.requestTimeout(), Duration.ofMillis(100), settings.fetchBackoff());
            fetcher = new ReplicaFetcher(leader.id(), leader.host(), leader.port(),
                    new BrokerClient(leader.host(), leader.port(), client), settings, throttles, scheduler);
            fetchers.put(leader.id(), fetcher);
        }
        fetcher.add(partition, leaderEpoch);
        assigned.put(partition, fetcher);
    }

    synchronized void unfollow(Partition partition) {
        ReplicaFetcher fetcher = assigned.remove(partition);
        if (fetcher != null) {
            fetcher.remove(partition);
            if (fetcher.isEmpty()) {
                fetcher.close();
                fetchers.remove(fetcher.leaderId());
            }
        }
    }

    synchronized boolean isFollowing(Partition partition) {
        return assigned.containsKey(partition);
    }

    @Override
    public synchronized void close() {
        fetchers.values().forEach(ReplicaFetcher::close);
        fetchers.clear();
        assigned.clear();
    }
}
