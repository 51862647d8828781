package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Follower appends: the leader's batches written byte for byte, with producer state and epochs maintained. */
class FollowerAppendTest extends ManagedLogTestSupport {

    /** Every batch of {@code log} from {@code from} to its log end, as a follower fetches it (one segment a read). */
    static ByteBuffer fetchAll(Log log, long from) {
        ByteBuffer all = ByteBuffer.allocate(0);
        long next = from;
        while (next < log.logEndOffset()) {
            ReadResult r = log.read(next, 1 << 20, true, false);
            assertThat(r.error()).isEqualTo(LogError.NONE);
            ByteBuffer got;
            try {
                got = bytes(r.slice());
            } finally {
                r.slice().release();
            }
            List<ReadBatch> batches = parse(got.duplicate());
            next = batches.get(batches.size() - 1).lastOffset() + 1;
            all = TestBatches.concat(all, got);
        }
        return all;
    }

    @Test
    void followerAppendWritesTheLeadersBytesAndItsProducerStateDeduplicatesAfterBecomingLeader() {
        Log leader = createLog(manager, "leader", Map.of());
        Log follower = createLog(manager, "follower", Map.of("segment.bytes", "300"));
        await(leader.becomeLeader(1));
        appendOk(leader, TestBatches.batch(2, 1000));
        AppendResult original = appendOk(leader, TestBatches.idempotent(7, (short) 0, 0, 3));
        await(leader.becomeLeader(2));
        appendOk(leader, TestBatches.batch(1, 2000));
        appendOk(leader, TestBatches.idempotent(7, (short) 0, 3, 2));
        ByteBuffer fetched = fetchAll(leader, 0);

        await(follower.becomeFollower(2));
        AppendResult refused = append(follower, TestBatches.batch(1, 1000));
        assertThat(refused.error()).isEqualTo(LogError.NOT_LEADER_OR_FOLLOWER);
        // First the first two batches, then everything: what the follower has is skipped, the rest rolls a segment.
        int twoBatches = (int) (RecordBatchHeader.totalSize(fetched, 0)
                + RecordBatchHeader.totalSize(fetched, (int) RecordBatchHeader.totalSize(fetched, 0)));
        AppendResult part = await(follower.appendAsFollower(fetched.duplicate().limit(twoBatches), false));
        assertThat(part.lastOffset()).isEqualTo(4);
        AppendResult appended = await(follower.appendAsFollower(fetched.duplicate(), true));
        assertThat(appended.error()).as(appended.message()).isEqualTo(LogError.NONE);
        assertThat(appended.baseOffset()).isEqualTo(5);
        assertThat(appended.lastOffset()).isEqualTo(leader.logEndOffset() - 1);
        assertThat(follower.logEndOffset()).isEqualTo(leader.logEndOffset()).isEqualTo(8);
        assertThat(follower.segmentCount()).isGreaterThan(1); // rolled by segment.bytes on the way
        assertThat(fetchAll(follower, 0)).isEqualTo(fetched); // byte for byte: offsets, epochs, CRCs
        assertThat(follower.epochEntries()).isEqualTo(leader.epochEntries());
        assertThat(follower.endOffsetForEpoch(1)).isEqualTo(new EpochEndOffset(1, 5));
        assertThat(follower.highWatermark()).isZero(); // moved only by the replication layer

        // Fetched again (a retried fetch): already there, skipped.
        AppendResult again = await(follower.appendAsFollower(fetched.duplicate(), false));
        assertThat(again.error()).isEqualTo(LogError.NONE);
        assertThat(again.recordCount()).isZero();
        assertThat(again.lastOffset()).isEqualTo(7);
        assertThat(follower.logEndOffset()).isEqualTo(8);

        // The new leader answers a retry of a batch the old leader wrote as a duplicate, with its offsets.
        await(follower.becomeLeader(3));
        AppendResult retry = append(follower, TestBatches.idempotent(7, (short) 0, 0, 3));
        assertThat(retry.error()).isEqualTo(LogError.NONE);
        assertThat(retry.recordCount()).isZero();
        assertThat(retry.baseOffset()).isEqualTo(original.baseOffset());
        assertThat(retry.lastOffset()).isEqualTo(original.lastOffset());
        assertThat(append(follower, TestBatches.idempotent(7, (short) 0, 9, 1)).error())
                .isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
        AppendResult next = appendOk(follower, TestBatches.idempotent(7, (short) 0, 5, 1));
        assertThat(next.baseOffset()).isEqualTo(8);
        assertThat(LeaderEpochTest.stampedEpochs(follower)).containsExactly(1, 1, 2, 2, 3);
        // A leader no longer takes follower appends.
        assertThat(await(follower.appendAsFollower(fetched.duplicate(), false)).error())
                .isEqualTo(LogError.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void overlapsAndDamagedBatchesAreRefusedAndGapsAreKept() {
        Log follower = createLog(manager, "f", Map.of());
        await(follower.becomeFollower(1));
        ByteBuffer first = TestBatches.batch(3, 1000);
        assertThat(await(follower.appendAsFollower(first, false)).lastOffset()).isEqualTo(2);

        ByteBuffer straddling = TestBatches.batch(2, 1000);
        straddling.putLong(RecordBatchHeader.BASE_OFFSET, 2); // offsets 2..3, the log end is 3
        assertThat(await(follower.appendAsFollower(straddling, false)).error())
                .isEqualTo(LogError.UNEXPECTED_APPEND_OFFSET);

        ByteBuffer damaged = TestBatches.batch(2, 1000);
        damaged.putLong(RecordBatchHeader.BASE_OFFSET, 3);
        damaged.put(damaged.limit() - 1, (byte) (damaged.get(damaged.limit() - 1) ^ 1));
        assertThat(await(follower.appendAsFollower(damaged, false)).error()).isEqualTo(LogError.CORRUPT_MESSAGE);

        ByteBuffer backwards = TestBatches.concat(at(TestBatches.batch(1, 1000), 10), at(TestBatches.batch(1, 1000), 5));
        assertThat(await(follower.appendAsFollower(backwards, false)).error())
                .isEqualTo(LogError.UNEXPECTED_APPEND_OFFSET);
        assertThat(follower.logEndOffset()).isEqualTo(3); // nothing of a refused append is written

        // A compacted leader's batches leave gaps: kept as they are. A trailing partial batch waits for the next fetch.
        ByteBuffer gap = TestBatches.concat(at(TestBatches.batch(1, 1000), 5), at(TestBatches.batch(2, 1000), 9));
        ByteBuffer withPartial = TestBatches.concat(gap, at(TestBatches.batch(2, 1000), 11));
        withPartial.limit(withPartial.limit() - 5);
        AppendResult result = await(follower.appendAsFollower(withPartial, false));
        assertThat(result.error()).as(result.message()).isEqualTo(LogError.NONE);
        assertThat(result.baseOffset()).isEqualTo(5);
        assertThat(follower.logEndOffset()).isEqualTo(11);
        assertThat(parse(fetchAll(follower, 0))).extracting(ReadBatch::baseOffset).containsExactly(0L, 5L, 9L);
        assertThat(follower.read(6, 1 << 20, true, false).error()).isEqualTo(LogError.NONE);
    }

    /** {@code batch} with base offset {@code offset} (outside the CRC). */
    private static ByteBuffer at(ByteBuffer batch, long offset) {
        batch.putLong(RecordBatchHeader.BASE_OFFSET, offset);
        return batch;
    }
}
