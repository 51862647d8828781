package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Lets Kafka's generated messages serialize straight into a Netty buffer. Zero-copy records are not written:
 * at each one the buffer is cut and the records handed to {@code onZeroCopy}, so the caller can interleave file
 * regions between buffer slices.
 */
final class ByteBufWritable implements Writable {
    private final ByteBuf buf;
    private final Consumer<ZeroCopyRecords> onZeroCopy;

    ByteBufWritable(ByteBuf buf, Consumer<ZeroCopyRecords> onZeroCopy) {
        this.buf = buf;
        this.onZeroCopy = onZeroCopy;
    }

    @Override
    public void writeByte(byte val) {
        buf.writeByte(val);
    }

    @Override
    public void writeShort(short val) {
        buf.writeShort(val);
    }

    @Override
    public void writeInt(int val) {
        buf.writeInt(val);
    }

    @Override
    public void writeLong(long val) {
        buf.writeLong(val);
    }

    @Override
    public void writeDouble(double val) {
        buf.writeDouble(val);
    }

    @Override
    public void writeByteArray(byte[] arr) {
        buf.writeBytes(arr);
    }

    @Override
    public void writeUnsignedVarint(int i) {
        while ((i & 0xFFFFFF80) != 0) {
            buf.writeByte((i & 0x7F) | 0x80);
            i >>>= 7;
        }
        buf.writeByte(i);
    }

    @Override
    public void writeByteBuffer(ByteBuffer src) {
        buf.writeBytes(src.duplicate());
    }

    @Override
    public void writeVarint(int i) {
        writeUnsignedVarint((i << 1) ^ (i >> 31));
    }

    @Override
    public void writeVarlong(long i) {
        long v = (i << 1) ^ (i >> 63);
        while ((v & 0xFFFFFFFFFFFFFF80L) != 0L) {
            buf.writeByte(((int) v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf.writeByte((int) v);
    }

    @Override
    public void writeRecords(BaseRecords records) {
        if (records instanceof ZeroCopyRecords zeroCopy) {
            onZeroCopy.accept(zeroCopy);
        } else if (records instanceof MemoryRecords memory) {
            writeByteBuffer(memory.buffer());
        } else {
            throw new IllegalArgumentException("unexpected records type " + records.getClass().getSimpleName());
        }
    }
}
