package io.chronik.handler;

import io.chronik.cluster.BrokerRegistration;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The coordinator of a key: Kafka's offsets-topic partition, over the registered brokers, skipping fenced ones. */
class CoordinatorPlacementTest {

    private static BrokerRegistration broker(int id, boolean fenced) {
        return new BrokerRegistration(id, UUID.randomUUID(), id, "127.0.0.1", 9000 + id, fenced);
    }

    @Test
    void partitionIsKafkasFormula() {
        assertThat(CoordinatorPlacement.partitionFor("my-group", 50)).isEqualTo(Math.abs("my-group".hashCode()) % 50);
        // A key whose hash is Integer.MIN_VALUE must not give a negative partition.
        String minHash = "polygenelubricants";
        assertThat(minHash.hashCode()).isEqualTo(Integer.MIN_VALUE);
        assertThat(CoordinatorPlacement.partitionFor(minHash, 50)).isEqualTo(0);
        assertThat(CoordinatorPlacement.partitionFor("", 50)).isZero();
    }

    @Test
    void partitionModuloTheBrokersSortedById() {
        // Given out of order: the placement sorts by id.
        List<BrokerRegistration> brokers = List.of(broker(7, false), broker(2, false), broker(5, false));
        assertThat(CoordinatorPlacement.choose(brokers, 0).map(BrokerRegistration::id)).contains(2);
        assertThat(CoordinatorPlacement.choose(brokers, 1).map(BrokerRegistration::id)).contains(5);
        assertThat(CoordinatorPlacement.choose(brokers, 2).map(BrokerRegistration::id)).contains(7);
        assertThat(CoordinatorPlacement.choose(brokers, 49).map(BrokerRegistration::id)).contains(5);
    }

    @Test
    void aFencedBrokersKeysMoveToTheNextLiveOneInOrder() {
        List<BrokerRegistration> brokers = List.of(broker(1, false), broker(2, true), broker(3, false));
        assertThat(CoordinatorPlacement.choose(brokers, 0).map(BrokerRegistration::id)).contains(1);
        assertThat(CoordinatorPlacement.choose(brokers, 1).map(BrokerRegistration::id)).contains(3);
        assertThat(CoordinatorPlacement.choose(brokers, 2).map(BrokerRegistration::id)).contains(3);
        // Wrapping around past the highest id.
        List<BrokerRegistration> lastFenced = List.of(broker(1, false), broker(2, false), broker(3, true));
        assertThat(CoordinatorPlacement.choose(lastFenced, 2).map(BrokerRegistration::id)).contains(1);
    }

    @Test
    void noLiveBrokerNoCoordinator() {
        assertThat(CoordinatorPlacement.choose(List.of(broker(1, true), broker(2, true)), 3)).isEqualTo(Optional.empty());
        assertThat(CoordinatorPlacement.choose(List.of(), 3)).isEqualTo(Optional.empty());
    }
}
