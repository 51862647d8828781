package io.chronik.log;

/**
 * The answer to an OffsetsForLeaderEpoch question: the largest leader epoch at or below the requested one and the
 * offset where it ended (the start offset of the next larger epoch, or the log end offset for the latest epoch);
 * (-1, -1) when the log cannot tell (see {@link LeaderEpochCache#endOffsetFor}).
 */
public record EpochEndOffset(int epoch, long endOffset) {
    public static final int UNDEFINED_EPOCH = -1;
    public static final long UNDEFINED_EPOCH_OFFSET = -1;
    public static final EpochEndOffset UNDEFINED = new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
}
