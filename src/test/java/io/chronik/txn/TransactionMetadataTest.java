package io.chronik.txn;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The coordinator's state transitions and the layout of its records in {@code __transaction_state}. */
class TransactionMetadataTest {
    private static final TopicPartition A = new TopicPartition("a", 0);
    private static final TopicPartition B = new TopicPartition("b", 3);

    @Test
    void aTransactionGoesFromEmptyThroughOngoingAndPrepareToComplete() {
        TransactionMetadata fresh = TransactionMetadata.fresh(7, 60_000, 100);
        assertThat(fresh.producerEpoch()).isEqualTo((short) -1);
        TransactionMetadata initialised = fresh.bumpEpoch(30_000, 110);
        assertThat(initialised.producerEpoch()).isZero();
        assertThat(initialised.lastProducerEpoch()).isEqualTo((short) -1);
        assertThat(initialised.timeoutMs()).isEqualTo(30_000);

        TransactionMetadata ongoing = initialised.addPartitions(Set.of(A), 200).addPartitions(Set.of(B), 300);
        assertThat(ongoing.state()).isEqualTo(TransactionState.ONGOING);
        assertThat(ongoing.partitions()).containsExactlyInAnyOrder(A, B);
        assertThat(ongoing.startTimestamp()).as("begun by the first partition").isEqualTo(200);
        assertThat(ongoing.timedOut(200 + 30_000)).isFalse();
        assertThat(ongoing.timedOut(200 + 30_001)).isTrue();

        TransactionMetadata prepared = ongoing.prepare(true, 400);
        assertThat(prepared.state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(prepared.partitions()).containsExactlyInAnyOrder(A, B);
        TransactionMetadata complete = prepared.complete(500);
        assertThat(complete.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
        assertThat(complete.partitions()).isEmpty();
        assertThat(complete.addPartitions(Set.of(A), 600).startTimestamp()).as("a new transaction").isEqualTo(600);
        assertThat(ongoing.prepare(false, 400).complete(500).state()).isEqualTo(TransactionState.COMPLETE_ABORT);
    }

    @Test
    void wrongTransitionsAreRefused() {
        TransactionMetadata empty = TransactionMetadata.fresh(7, 60_000, 0).bumpEpoch(60_000, 0);
        assertThatThrownBy(() -> empty.prepare(true, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> empty.complete(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> empty.prepareFencedAbort(1)).isInstanceOf(IllegalStateException.class);
        TransactionMetadata prepared = empty.addPartitions(Set.of(A), 1).prepare(false, 2);
        assertThatThrownBy(() -> prepared.addPartitions(Set.of(B), 3)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> prepared.bumpEpoch(60_000, 3)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> prepared.dead(3)).isInstanceOf(IllegalStateException.class);
        assertThat(prepared.complete(3).dead(4).state()).isEqualTo(TransactionState.DEAD);
    }

    @Test
    void aFencedAbortBumpsTheEpochAndForgetsTheLastOne() {
        TransactionMetadata ongoing = TransactionMetadata.fresh(7, 60_000, 0).bumpEpoch(60_000, 0).bumpEpoch(60_000, 0)
                .addPartitions(Set.of(A), 1);
        assertThat(ongoing.producerEpoch()).isEqualTo((short) 1);
        assertThat(ongoing.lastProducerEpoch()).isZero();
        TransactionMetadata aborting = ongoing.prepareFencedAbort(2);
        assertThat(aborting.state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(aborting.producerEpoch()).isEqualTo((short) 2);
        assertThat(aborting.lastProducerEpoch()).isEqualTo((short) -1);
        assertThat(aborting.partitions()).containsExactly(A);
    }

    @Test
    void anExhaustedEpochRotatesTheProducerId() {
        TransactionMetadata worn = new TransactionMetadata(7, -1, (short) (Short.MAX_VALUE - 1), (short) 5, 1000,
                TransactionState.COMPLETE_ABORT, Set.of(), -1, 0);
        assertThat(TransactionMetadata.epochExhausted(worn.producerEpoch())).isTrue();
        assertThatThrownBy(() -> worn.bumpEpoch(1000, 1)).isInstanceOf(IllegalStateException.class);
        TransactionMetadata rotated = worn.rotateProducerId(8, 1000, 1);
        assertThat(rotated.producerId()).isEqualTo(8);
        assertThat(rotated.lastProducerId()).isEqualTo(7);
        assertThat(rotated.producerEpoch()).isZero();
    }

    @Test
    void recordsRoundTripAndTombstonesDecodeAsRemovals() {
        TransactionMetadata m = new TransactionMetadata(1234567890123L, 42, (short) 3, (short) 2, 60_000,
                TransactionState.PREPARE_COMMIT, Set.of(A, B, new TopicPartition("a", 9)), 111, 222);
        TransactionRecords.Entry decoded = TransactionRecords.decode(ByteBuffer.wrap(TransactionRecords.key("id-é")),
                ByteBuffer.wrap(TransactionRecords.value(m)));
        assertThat(decoded.transactionalId()).isEqualTo("id-é");
        assertThat(decoded.metadata()).isEqualTo(m);
        assertThat(TransactionRecords.decode(ByteBuffer.wrap(TransactionRecords.key("gone")), null).metadata()).isNull();
    }

    @Test
    void theLayoutIsVersionedAndUnknownVersionsAreRefused() {
        byte[] key = TransactionRecords.key("x");
        assertThat(key).containsExactly(0, 0, 0, 1, 'x');
        byte[] value = TransactionRecords.value(TransactionMetadata.fresh(5, 1000, 9));
        ByteBuffer v = ByteBuffer.wrap(value);
        assertThat(v.getShort()).isZero();
        assertThat(v.getLong()).isEqualTo(5);
        assertThat(value).hasSize(2 + 8 + 8 + 2 + 2 + 4 + 1 + 8 + 8 + 4);
        value[1] = 2; // version 1 adds the transaction version; 2 is unknown
        assertThatThrownBy(() -> TransactionRecords.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(value)))
                .isInstanceOf(IllegalArgumentException.class);
        key[1] = 1;
        assertThatThrownBy(() -> TransactionRecords.decode(ByteBuffer.wrap(key), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void transactionVersionTwoBumpsTheEpochAtEveryEndAndRotatesTheIdWhenItRunsOut() {
        TransactionMetadata ongoing = TransactionMetadata.fresh(7, 1000, 0).bumpEpoch(1000, 0)
                .addPartitions(Set.of(A), 1, TransactionMetadata.TV_2);
        assertThat(ongoing.transactionVersion()).isEqualTo(TransactionMetadata.TV_2);
        TransactionMetadata committing = ongoing.prepareWithEpochBump(true, -1, 2);
        assertThat(committing.state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(committing.producerEpoch()).isEqualTo((short) 1); // the markers carry the bumped epoch
        assertThat(committing.lastProducerEpoch()).isZero();
        assertThat(committing.partitions()).containsExactly(A);
        assertThat(committing.producerIdAfterCompletion()).isEqualTo(7);
        assertThat(committing.producerEpochAfterCompletion()).isEqualTo((short) 1);
        TransactionMetadata committed = committing.complete(3);
        assertThat(committed.producerEpoch()).isEqualTo((short) 1);
        assertThat(committed.lastProducerEpoch()).isZero();

        // An abort with nothing open (no partition joined) still bumps the epoch, with nothing to mark.
        TransactionMetadata emptyAbort = committed.prepareWithEpochBump(false, -1, 4);
        assertThat(emptyAbort.state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(emptyAbort.partitions()).isEmpty();
        assertThat(emptyAbort.producerEpoch()).isEqualTo((short) 2);
        assertThatThrownBy(() -> committed.prepareWithEpochBump(true, -1, 4)).isInstanceOf(IllegalStateException.class);

        TransactionMetadata worn = new TransactionMetadata(7, -1, (short) (Short.MAX_VALUE - 2), (short) 5, 1000,
                TransactionState.ONGOING, Set.of(A), 1, 1, TransactionMetadata.TV_2, -1);
        TransactionMetadata last = worn.prepareWithEpochBump(true, 9, 2);
        assertThat(last.producerEpoch()).isEqualTo((short) (Short.MAX_VALUE - 1));
        assertThat(last.producerId()).isEqualTo(7); // markers go out under the old id
        assertThat(last.producerIdAfterCompletion()).isEqualTo(9);
        assertThat(last.producerEpochAfterCompletion()).isZero();
        TransactionMetadata rotated = last.complete(3);
        assertThat(rotated.producerId()).isEqualTo(9);
        assertThat(rotated.producerEpoch()).isZero();
        assertThat(rotated.lastProducerId()).isEqualTo(7);
        assertThat(rotated.lastProducerEpoch()).isEqualTo((short) (Short.MAX_VALUE - 2));
        assertThat(rotated.nextProducerId()).isEqualTo(-1);

        // Records keep the transaction version and the next producer id (value version 1).
        TransactionRecords.Entry decoded = TransactionRecords.decode(ByteBuffer.wrap(TransactionRecords.key("tv2")),
                ByteBuffer.wrap(TransactionRecords.value(last)));
        assertThat(decoded.metadata()).isEqualTo(last);
        assertThat(ByteBuffer.wrap(TransactionRecords.value(last)).getShort()).isEqualTo((short) 1);
    }
}
