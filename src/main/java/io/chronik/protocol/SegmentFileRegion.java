package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;

import java.nio.channels.FileChannel;

/**
 * A segment-file range sent with sendfile. It is a {@link DefaultFileRegion} (so the epoll transport uses
 * native sendfile) that also presents itself as an empty {@link ByteBufHolder}: Reactor Netty's send path
 * measures messages as buffers or buffer holders and silently drops any other message it measures as empty,
 * which a plain file region would be.
 *
 * <p>The channel is the segment's own, shared with other readers: when the region is sent or discarded it gives
 * back its {@link FileReference} instead of closing the channel.
 */
final class SegmentFileRegion extends DefaultFileRegion implements ByteBufHolder {
    private final FileReference reference;

    SegmentFileRegion(FileChannel file, long position, long count, FileReference reference) {
        super(file, position, count);
        this.reference = reference;
    }

    @Override
    protected void deallocate() {
        reference.release();
    }

    @Override
    public ByteBuf content() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public ByteBufHolder copy() {
        throw new UnsupportedOperationException("a file region cannot be copied");
    }

    @Override
    public ByteBufHolder duplicate() {
        throw new UnsupportedOperationException("a file region cannot be duplicated");
    }

    @Override
    public ByteBufHolder retainedDuplicate() {
        throw new UnsupportedOperationException("a file region cannot be duplicated");
    }

    @Override
    public ByteBufHolder replace(ByteBuf content) {
        throw new UnsupportedOperationException("a file region's content cannot be replaced");
    }

    @Override
    public SegmentFileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public SegmentFileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public SegmentFileRegion touch() {
        super.touch();
        return this;
    }

    @Override
    public SegmentFileRegion touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
