package io.chronik.log;

import java.nio.file.Path;

/**
 * A byte range of a segment file holding whole record batches, to be sent to the network without copying
 * (sendfile). The file stays on disk for at least {@code StorageConfig.fileDeleteDelayMs} after its segment
 * is deleted, so a reader may open it shortly after receiving the slice.
 */
public record FileSlice(Path file, long position, int size) {
    public static final FileSlice EMPTY = new FileSlice(null, 0, 0);

    public boolean isEmpty() {
        return size == 0;
    }
}
