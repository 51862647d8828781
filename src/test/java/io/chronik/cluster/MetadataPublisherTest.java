package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.AlterTopicConfigs;
import io.chronik.cluster.MetadataCommand.CreatePartitions;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.DeleteTopic;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.log.StorageConfig;
import io.chronik.log.TopicInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

@Timeout(60)
class MetadataPublisherTest {
    private static final int SELF = 1;

    @TempDir
    Path dir;

    private final UUID incarnation = UUID.randomUUID();
    private volatile ClusterImage image = ClusterImage.EMPTY;
    private long index;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private LogManager logs;
    private MetadataPublisher publisher;

    private void start() throws Exception {
        logs = new LogManager(new StorageConfig(dir, LogConfig.KAFKA_DEFAULTS, false, 1, 1, 3_600_000, 60_000), null);
        logs.startup();
    }

    private void publisher() {
        publisher = new MetadataPublisher(SELF, logs, () -> image, List.of(new PartitionStateListener() {
            @Override
            public void onPartitionsChanged(ClusterImage from, List<LocalPartition> changed) {
                changed.forEach(p -> events.add("changed " + p.topic() + "-" + p.partition() + " leader " + p.registration().leader()
                        + " local " + logs.log(p.topic(), p.partition()).isPresent()));
            }

            @Override
            public void onPartitionsRemoved(List<LocalPartition> removed) {
                removed.forEach(p -> events.add("removed " + p.topic() + "-" + p.partition() + " local " + logs.log(p.topic(), p.partition()).isPresent()));
            }
        }));
    }

    @AfterEach
    void stop() {
        if (publisher != null) {
            publisher.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    private void apply(MetadataCommand command) {
        MetadataApplier.Applied applied = MetadataApplier.apply(image, command, ++index);
        assertThat(applied.result().ok()).as("%s: %s", command, applied.result()).isTrue();
        image = applied.image();
        if (publisher != null) {
            publisher.onApplied(index, command, applied.result(), image);
        }
    }

    private void register(int id, UUID incarnation) {
        apply(new RegisterBroker(id, incarnation, "c", "127.0.0.1", 9000 + id));
        apply(new UnfenceBroker(id, incarnation));
    }

    private void published() throws InterruptedException {
        ClusterImage wanted = image;
        await("the image published", () -> publisher.published() == wanted);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void localLogsFollowTheImageOnceItHoldsThisBrokersRegistration() throws Exception {
        start();
        UUID stale = logs.createTopic("orders", 1, Map.of(), false).id(); // re-created in the cluster while away
        logs.createTopic("forgotten", 1, Map.of(), false); // deleted in the cluster while away
        publisher();
        register(SELF, UUID.randomUUID()); // this broker's previous run
        register(2, UUID.randomUUID());
        register(3, UUID.randomUUID());
        UUID orders = UUID.randomUUID();
        UUID elsewhere = UUID.randomUUID();
        apply(new CreateTopic(orders, "orders", Map.of("retention.ms", "1000"), List.of(List.of(2, 1), List.of(1, 3))));
        apply(new CreateTopic(elsewhere, "elsewhere", Map.of(), List.of(List.of(2, 3))));
        publisher.start(incarnation);
        Thread.sleep(200);
        assertThat(publisher.published()).as("nothing before this broker's current registration").isNull();
        assertThat(logs.topic("forgotten")).isPresent();

        register(SELF, incarnation);
        published();
        TopicInfo local = logs.topic("orders").orElseThrow();
        assertThat(local.id()).isEqualTo(orders).isNotEqualTo(stale);
        assertThat(local.partitions()).isEqualTo(2);
        assertThat(local.overrides()).containsExactly(Map.entry("retention.ms", "1000"));
        assertThat(logs.topic("orders").orElseThrow().config().retentionMs()).isEqualTo(1000);
        assertThat(logs.topic("forgotten")).isEmpty();
        assertThat(logs.topic("elsewhere")).as("no replica here").isEmpty();
        assertThat(events).containsExactly("changed orders-0 leader 2 local true", "changed orders-1 leader 3 local true");

        events.clear();
        apply(new AlterTopicConfigs(orders, Map.of("retention.ms", "2000")));
        apply(new CreatePartitions(orders, List.of(List.of(3, 1))));
        apply(new CreatePartitions(elsewhere, List.of(List.of(1, 2))));
        published();
        assertThat(logs.topic("orders").orElseThrow().config().retentionMs()).isEqualTo(2000);
        assertThat(logs.topic("orders").orElseThrow().partitions()).isEqualTo(3);
        assertThat(logs.topic("elsewhere").orElseThrow().id()).isEqualTo(elsewhere);
        // Another broker's replica never gets a directory here, not even one made and deleted again.
        assertThat(logs.log("elsewhere", 0)).isEmpty();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(f -> f.startsWith("elsewhere-0"));
        }
        assertThat(events).containsExactlyInAnyOrder("changed elsewhere-1 leader 1 local true", "changed orders-2 leader 3 local true");

        events.clear();
        apply(new DeleteTopic(orders));
        published();
        assertThat(events).containsExactly("removed orders-0 local true", "removed orders-1 local true", "removed orders-2 local true");
        assertThat(logs.topic("orders")).isEmpty();
        assertThat(logs.topic("elsewhere")).isPresent();
    }
}
