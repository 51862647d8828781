package io.chronik.handler;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The offsets-topic partition of a key, as Kafka computes it (its leader coordinates the key in a cluster). */
class CoordinatorPlacementTest {

    @Test
    void partitionIsKafkasFormula() {
        assertThat(CoordinatorPlacement.partitionFor("my-group", 50)).isEqualTo(Math.abs("my-group".hashCode()) % 50);
        // A key whose hash is Integer.MIN_VALUE must not give a negative partition.
        String minHash = "polygenelubricants";
        assertThat(minHash.hashCode()).isEqualTo(Integer.MIN_VALUE);
        assertThat(CoordinatorPlacement.partitionFor(minHash, 50)).isEqualTo(0);
        assertThat(CoordinatorPlacement.partitionFor("", 50)).isZero();
    }
}
