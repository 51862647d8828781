package io.chronik.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The produce time embedded in a payload's first 16 bytes: this process's run id, then System.nanoTime(). Round-trip
 * latency needs a clock finer than the record's millisecond CreateTime; nanoTime is only comparable within one
 * process, so a consumer trusts a stamp only if the run id is its own and otherwise falls back to CreateTime.
 */
final class PayloadStamp {
    static final int SIZE = 16;
    static final long NONE = Long.MIN_VALUE;
    private static final long RUN_ID = ThreadLocalRandom.current().nextLong() | 1L;

    private PayloadStamp() {
    }

    static void write(byte[] payload, long nanoTime) {
        if (payload.length >= SIZE) {
            ByteBuffer.wrap(payload).putLong(0, RUN_ID).putLong(8, nanoTime);
        }
    }

    /** The nanoTime this process stamped into the payload, or {@link #NONE} if it is not ours. */
    static long read(byte[] payload) {
        if (payload == null || payload.length < SIZE) {
            return NONE;
        }
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        return buffer.getLong(0) == RUN_ID ? buffer.getLong(8) : NONE;
    }
}
