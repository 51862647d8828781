package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.ElectLeader;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class PreferredLeaderBalancerTest {
    private final UUID[] incarnations = {null, UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
    private final UUID topicId = UUID.randomUUID();
    private ClusterImage image = ClusterImage.EMPTY;
    private long index;

    private void apply(MetadataCommand command) {
        image = MetadataApplier.apply(image, command, ++index).image();
    }

    @BeforeEach
    void threeLiveBrokers() {
        for (int id = 1; id <= 3; id++) {
            apply(new RegisterBroker(id, incarnations[id], "c1", "127.0.0.1", 9090 + id));
            apply(new UnfenceBroker(id, incarnations[id]));
        }
    }

    /** Ten partitions, broker 1 preferred for all; broker 1 bounced, so 2 leads them, and 1 is back in every ISR. */
    private void brokerOneBouncedAndCaughtUp() {
        List<List<Integer>> assignments = new ArrayList<>();
        for (int p = 0; p < 10; p++) {
            assignments.add(List.of(1, 2, 3));
        }
        apply(new CreateTopic(topicId, "t", Map.of(), assignments));
        apply(new FenceBroker(1, incarnations[1]));
        incarnations[1] = UUID.randomUUID();
        apply(new RegisterBroker(1, incarnations[1], "c1", "127.0.0.1", 9091));
        apply(new UnfenceBroker(1, incarnations[1]));
        for (int p = 0; p < 10; p++) {
            PartitionRegistration partition = image.topic(topicId).orElseThrow().partitions().get(p);
            assertThat(partition.leader()).isEqualTo(2);
            apply(new ChangePartition(topicId, p, 2, List.of(2, 3, 1), partition.partitionEpoch()));
        }
    }

    @Test
    void aBrokerAboveTheAllowedImbalanceGetsItsLiveInSyncPartitionsBack() {
        brokerOneBouncedAndCaughtUp();
        List<ElectLeader> elections = PreferredLeaderBalancer.imbalanced(image, 10);
        assertThat(elections).hasSize(10).allMatch(e -> !e.unclean() && e.topicId().equals(topicId));
        for (ElectLeader e : elections) {
            apply(e);
        }
        assertThat(image.topic(topicId).orElseThrow().partitions()).allMatch(p -> p.leader() == 1);
        assertThat(PreferredLeaderBalancer.imbalanced(image, 10)).isEmpty();
    }

    @Test
    void anImbalanceWithinThePercentageIsLeftAlone() {
        brokerOneBouncedAndCaughtUp();
        // Nine of ten back with their preferred leader: 10% imbalance is not above 10%.
        for (int p = 1; p < 10; p++) {
            apply(new ElectLeader(topicId, p, false));
        }
        assertThat(PreferredLeaderBalancer.imbalanced(image, 10)).isEmpty();
        assertThat(PreferredLeaderBalancer.imbalanced(image, 9)).extracting(ElectLeader::partition).containsExactly(0);
    }

    @Test
    void aPreferredReplicaOutOfTheIsrOrFencedIsNotElected() {
        apply(new CreateTopic(topicId, "t", Map.of(), List.of(List.of(1, 2, 3), List.of(1, 2, 3))));
        apply(new FenceBroker(1, incarnations[1]));
        assertThat(PreferredLeaderBalancer.imbalanced(image, 0)).isEmpty(); // fenced
        incarnations[1] = UUID.randomUUID();
        apply(new RegisterBroker(1, incarnations[1], "c1", "127.0.0.1", 9091));
        apply(new UnfenceBroker(1, incarnations[1]));
        assertThat(PreferredLeaderBalancer.imbalanced(image, 0)).isEmpty(); // live, not yet in sync
    }

    @Test
    void onlyTheControllerChecksAndNotWhileElectionsAreInFlight() {
        brokerOneBouncedAndCaughtUp();
        List<MetadataCommand> submitted = new ArrayList<>();
        List<CompletableFuture<CommandResult>> pending = new ArrayList<>();
        PreferredLeaderBalancer balancer = new PreferredLeaderBalancer(() -> image, command -> {
            submitted.add(command);
            CompletableFuture<CommandResult> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }, 10, null);
        balancer.checkBalance();
        assertThat(submitted).isEmpty();
        balancer.onLeaderChanged(1, true);
        balancer.checkBalance();
        assertThat(submitted).hasSize(10);
        balancer.checkBalance();
        assertThat(submitted).hasSize(10);
        pending.forEach(f -> f.complete(CommandResult.OK));
        balancer.checkBalance();
        assertThat(submitted).hasSize(20); // the image was not changed here, so the same elections again
        balancer.onLeaderChanged(2, false);
        pending.forEach(f -> f.complete(CommandResult.OK));
        balancer.checkBalance();
        assertThat(submitted).hasSize(20);
        balancer.close();
    }
}
