package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.DeleteTopic;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.protocol.Errors;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The replicated state machine without a quorum: entries applied in order, a snapshot written and loaded again. */
class MetadataStateMachineTest {
    @TempDir
    Path dir;

    private final List<RaftStorage> storages = new ArrayList<>();
    private final UUID incarnation = UUID.randomUUID();
    private final UUID topicId = UUID.randomUUID();

    @AfterEach
    void closeStorages() throws IOException {
        for (RaftStorage s : storages) {
            s.close();
        }
    }

    private MetadataStateMachine open() throws IOException {
        RaftStorage storage = RaftStorage.newBuilder().setDirectory(dir.toFile())
                .setOption(Files.exists(dir.resolve("current")) ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .setStorageFreeSpaceMin(org.apache.ratis.util.SizeInBytes.ZERO)
                .setLogCorruptionPolicy(org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy.EXCEPTION)
                .build();
        storage.initialize();
        storages.add(storage);
        MetadataStateMachine machine = new MetadataStateMachine();
        machine.initialize(server(), RaftGroupId.randomId(), storage);
        return machine;
    }

    /** Only the server's id is asked for outside a running quorum. */
    private static org.apache.ratis.server.RaftServer server() {
        return (org.apache.ratis.server.RaftServer) java.lang.reflect.Proxy.newProxyInstance(MetadataStateMachineTest.class.getClassLoader(),
                new Class<?>[]{org.apache.ratis.server.RaftServer.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> QuorumPeers.peerId(1);
                    case "toString" -> "test server";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static CommandResult apply(MetadataStateMachine machine, long term, long index, MetadataCommand command) throws Exception {
        return apply(machine, term, index, CommandCodec.encode(command));
    }

    private static CommandResult apply(MetadataStateMachine machine, long term, long index, byte[] data) throws Exception {
        LogEntryProto entry = LogEntryProto.newBuilder().setTerm(term).setIndex(index)
                .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFrom(data))).build();
        TransactionContext trx = TransactionContext.newBuilder().setStateMachine(machine).setServerRole(RaftPeerRole.FOLLOWER)
                .setLogEntry(entry).build();
        return CommandCodec.decodeResult(machine.applyTransaction(trx).get().getContent().toByteArray());
    }

    @Test
    void appliesInOrderTellsListenersAndAnswersWithTheResult() throws Exception {
        MetadataStateMachine machine = open();
        List<String> seen = new ArrayList<>();
        machine.addListener((index, command, result, image) -> seen.add(index + ":" + command.getClass().getSimpleName()
                + ":" + result.error() + ":" + image.brokers().size()));

        assertThat(apply(machine, 1, 1, new RegisterBroker(1, incarnation, "c", "h", 9092)).ok()).isTrue();
        assertThat(apply(machine, 1, 2, new UnfenceBroker(1, UUID.randomUUID())).error()).isEqualTo(Errors.STALE_BROKER_EPOCH);
        assertThat(apply(machine, 1, 3, new byte[]{42}).error()).isEqualTo(Errors.INVALID_REQUEST);

        assertThat(seen).containsExactly("1:RegisterBroker:NONE:1", "2:UnfenceBroker:STALE_BROKER_EPOCH:1");
        assertThat(machine.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(1, 3));
        assertThat(machine.image().broker(1).orElseThrow().fenced()).isTrue();
    }

    @Test
    void aSnapshotHoldsTheWholeImageAndIsLoadedOnRestart() throws Exception {
        MetadataStateMachine machine = open();
        apply(machine, 1, 1, new RegisterBroker(1, incarnation, "c", "h1", 9092));
        apply(machine, 1, 2, new UnfenceBroker(1, incarnation));
        apply(machine, 2, 3, new RegisterBroker(2, UUID.randomUUID(), "c", "h2", 9093));
        apply(machine, 2, 4, new CreateTopic(topicId, "orders", Map.of("cleanup.policy", "compact"), List.of(List.of(1, 2), List.of(2, 1))));
        apply(machine, 2, 5, new ChangePartition(topicId, 1, 1, List.of(1), 0));
        apply(machine, 2, 6, new CreateTopic(UUID.randomUUID(), "gone", Map.of(), List.of(List.of(1))));
        apply(machine, 2, 7, new DeleteTopic(machine.image().topic("gone").orElseThrow().id()));
        apply(machine, 2, 8, new MetadataCommand.AlterBrokerConfigs("", Map.of("leader.replication.throttled.rate", "100"), List.of()));
        apply(machine, 2, 9, new MetadataCommand.AlterBrokerConfigs("2", Map.of("follower.replication.throttled.rate", "7"), List.of()));
        ClusterImage before = machine.image();
        assertThat(before.dynamicBrokerConfigs("2")).containsExactly(Map.entry("follower.replication.throttled.rate", "7"));

        assertThat(machine.takeSnapshot()).isEqualTo(9);
        assertThat(machine.getStateMachineStorage().getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(2, 9));
        machine.close();
        storages.remove(0).close();

        MetadataStateMachine restarted = open();
        List<Long> loaded = new ArrayList<>();
        assertThat(restarted.image()).isEqualTo(before);
        assertThat(restarted.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(2, 9));
        assertThat(restarted.image().dynamicBrokerConfigs("")).containsExactly(Map.entry("leader.replication.throttled.rate", "100"));
        assertThat(restarted.image().topic(topicId).orElseThrow().partitions().get(1))
                .isEqualTo(new PartitionRegistration(List.of(2, 1), List.of(1), 1, 0, 1));

        // Entries after the snapshot apply on top of it.
        restarted.addListener((index, command, result, image) -> loaded.add(index));
        apply(restarted, 3, 10, new FenceBroker(1, incarnation));
        assertThat(loaded).containsExactly(10L);
        assertThat(restarted.image().broker(1).orElseThrow().fenced()).isTrue();
        assertThat(restarted.image().topic(topicId).orElseThrow().partitions().get(1).leader()).isEqualTo(PartitionRegistration.NO_LEADER);
    }

    @Test
    void reinitializeLoadsANewerSnapshotAndTellsListeners() throws Exception {
        MetadataStateMachine leader = open();
        apply(leader, 1, 1, new RegisterBroker(3, incarnation, "c", "h3", 9094));
        leader.takeSnapshot();
        List<Long> loaded = new ArrayList<>();
        leader.addListener(new MetadataListener() {
            @Override
            public void onApplied(long index, MetadataCommand command, CommandResult result, ClusterImage image) {
            }

            @Override
            public void onImageLoaded(long index, ClusterImage image) {
                loaded.add(index);
            }
        });
        // As Ratis does around installing a snapshot from the leader.
        leader.pause();
        assertThat(leader.getLifeCycleState()).isEqualTo(org.apache.ratis.util.LifeCycle.State.PAUSED);
        leader.reinitialize();
        assertThat(leader.getLifeCycleState()).isEqualTo(org.apache.ratis.util.LifeCycle.State.RUNNING);
        assertThat(loaded).containsExactly(1L);
        assertThat(leader.image().broker(3)).isPresent();
    }

    @Test
    void brokerConfigChangesMergeAndAnEmptySetLeavesNoResource() {
        ClusterImage image = ClusterImage.EMPTY;
        image = MetadataApplier.apply(image, new MetadataCommand.AlterBrokerConfigs("1",
                Map.of("leader.replication.throttled.rate", "10", "follower.replication.throttled.rate", "20"), List.of()), 1).image();
        // A change that names one key leaves the other as it is.
        image = MetadataApplier.apply(image, new MetadataCommand.AlterBrokerConfigs("1",
                Map.of("leader.replication.throttled.rate", "11"), List.of()), 2).image();
        assertThat(image.dynamicBrokerConfigs("1")).containsOnly(Map.entry("leader.replication.throttled.rate", "11"),
                Map.entry("follower.replication.throttled.rate", "20"));
        image = MetadataApplier.apply(image, new MetadataCommand.AlterBrokerConfigs("1", Map.of(),
                List.of("leader.replication.throttled.rate", "follower.replication.throttled.rate")), 3).image();
        assertThat(image.dynamicBrokerConfigs()).isEmpty();
        assertThat(image).isEqualTo(ClusterImage.EMPTY);
    }

    @Test
    void everyCommandSurvivesItsEncoding() throws Exception {
        List<MetadataCommand> commands = List.of(new RegisterBroker(1, incarnation, "c", "h", 1), new FenceBroker(2, incarnation),
                new UnfenceBroker(3, incarnation), new CreateTopic(topicId, "t", Map.of("a", "b"), List.of(List.of(1, 2), List.of(3))),
                new DeleteTopic(topicId), new ChangePartition(topicId, 4, 5, List.of(5, 6), 7),
                new MetadataCommand.CreatePartitions(topicId, List.of(List.of(1, 2), List.of(2, 3))),
                new MetadataCommand.AlterTopicConfigs(topicId, Map.of("retention.ms", "5", "cleanup.policy", "compact")),
                new MetadataCommand.ElectLeader(topicId, 3, false), new MetadataCommand.ElectLeader(topicId, 0, true),
                new MetadataCommand.AlterBrokerConfigs("", Map.of("leader.replication.throttled.rate", "1"), List.of()),
                new MetadataCommand.AlterBrokerConfigs("3", Map.of(), List.of("follower.replication.throttled.rate")));
        for (MetadataCommand command : commands) {
            assertThat(CommandCodec.decode(CommandCodec.encode(command))).isEqualTo(command);
        }
        CommandResult result = CommandResult.error(Errors.INVALID_REQUEST, "why");
        assertThat(CommandCodec.decodeResult(CommandCodec.encodeResult(result))).isEqualTo(result);
    }
}
