package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.RegisterBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Three quorum members in one JVM (the quorum alone, without brokers around it): the log is purged up to each
 * snapshot so it stays small, and a member that was down while the log moved past it catches up from the
 * leader's snapshot and ends with the same image.
 */
class QuorumSnapshotTest {
    @TempDir
    Path dir;

    private final QuorumServer[] members = new QuorumServer[4];
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private QuorumVoters voters;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        for (QuorumServer m : members) {
            if (m != null) {
                m.close();
            }
        }
    }

    private ClusterSettings settings(int id) {
        return new ClusterSettings(id, "snapshot-test", voters, dir.resolve("data-" + id).resolve(ClusterSettings.METADATA_DIR),
                Duration.ofSeconds(9), Duration.ofSeconds(2), Duration.ofMillis(1000), Duration.ofMillis(2000), Duration.ofSeconds(5),
                5, 1024);
    }

    private QuorumServer start(int id, MetadataStateMachine machine) {
        BrokerHeartbeatManager heartbeats = new BrokerHeartbeatManager(machine::image, c -> new CompletableFuture<>(),
                Duration.ofSeconds(9), System::nanoTime, false);
        machine.addListener(heartbeats);
        members[id] = QuorumServer.start(settings(id), machine, heartbeats);
        return members[id];
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private long segmentFiles(int id) throws IOException {
        try (Stream<Path> files = Files.walk(settings(id).metadataDir())) {
            return files.filter(p -> p.getFileName().toString().startsWith("log_")).count();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theLogIsPurgedUpToSnapshotsAndALaggingMemberCatchesUpFromTheLeadersSnapshot() throws Exception {
        voters = QuorumVoters.parse("1@127.0.0.1:" + freePort() + ",2@127.0.0.1:" + freePort() + ",3@127.0.0.1:" + freePort());
        for (int id = 1; id <= 3; id++) {
            start(id, new MetadataStateMachine());
        }
        QuorumController controller = new QuorumController(members[1]);
        closeables.add(controller);
        await("a leader", () -> Stream.of(members[1], members[2], members[3]).anyMatch(QuorumServer::isLeader));
        assertThat(controller.submit(new RegisterBroker(100, UUID.randomUUID(), "snapshot-test", "h", 1)).get(30, TimeUnit.SECONDS).ok()).isTrue();

        int down = Stream.of(1, 2, 3).filter(id -> !members[id].isLeader() && id != 1).findFirst().orElse(3);
        if (members[down].isLeader()) {
            down = 2; // member 1 leads and submits
        }
        long lastIndexBeforeStop = members[down].appliedIndex();
        members[down].close();
        members[down] = null;

        List<CompletableFuture<CommandResult>> results = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            results.add(controller.submit(new RegisterBroker(1000 + i, UUID.randomUUID(), "snapshot-test", "host-" + i, 2000 + i)));
        }
        for (CompletableFuture<CommandResult> r : results) {
            assertThat(r.get(60, TimeUnit.SECONDS).ok()).isTrue();
        }
        QuorumServer leader = Stream.of(members).filter(m -> m != null && m.isLeader()).findFirst().orElseThrow();
        int leaderId = Stream.of(1, 2, 3).filter(id -> members[id] == leader).findFirst().orElseThrow();
        await("the leader's log purged past the stopped member", () -> leader.logStartIndex() > lastIndexBeforeStop + 1);
        // 120+ entries of ~100 bytes in 1 KB segments, purged up to snapshots every 5 entries: a handful remain.
        assertThat(segmentFiles(leaderId)).as("log segments left on the leader").isLessThan(10);

        MetadataStateMachine restartedMachine = new MetadataStateMachine();
        List<Long> loaded = new CopyOnWriteArrayList<>();
        restartedMachine.addListener(new MetadataListener() {
            @Override
            public void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image) {
            }

            @Override
            public void onImageLoaded(long index, ClusterImage image) {
                loaded.add(index);
            }
        });
        QuorumServer restarted = start(down, restartedMachine);
        await("the restarted member to reach the leader's image", () -> restarted.image().brokers().size() == 121
                && restarted.image().equals(leader.image()));
        assertThat(loaded).as("snapshots loaded by the restarted member").isNotEmpty()
                .anyMatch(index -> index > lastIndexBeforeStop + 1);
    }
}
