package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file behind an in-memory index. Entries are appended as they are added so the file usually matches memory,
 * but the file is only a cache of what the .log holds: a failed write just marks it stale and it is rewritten
 * whole at the next flush; a damaged one is rebuilt from the .log at load.
 */
final class IndexFile {
    private final Path path;
    private FileChannel channel;
    private boolean stale;

    IndexFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    /** Content of the file, or null when it does not exist or cannot be read. */
    static byte[] readAll(Path path) {
        try {
            return Files.isRegularFile(path) ? Files.readAllBytes(path) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Writes one entry at its place; on failure remembers to rewrite the whole file later. */
    void write(ByteBuffer entry, long position) {
        if (stale) {
            return;
        }
        try {
            if (channel == null) {
                channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            }
            long at = position;
            while (entry.hasRemaining()) {
                at += channel.write(entry, at);
            }
        } catch (IOException e) {
            stale = true;
            closeQuietly();
        }
    }

    /** Makes the file exactly {@code content} and durable (used after a rebuild, on roll and at close). */
    void rewrite(ByteBuffer content) throws IOException {
        closeQuietly();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long at = 0;
            while (content.hasRemaining()) {
                at += ch.write(content, at);
            }
            ch.force(true);
        }
        stale = false;
    }

    void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the index is rebuilt from the log if the file turns out incomplete
            }
            channel = null;
        }
    }

    void delete() {
        closeQuietly();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // an orphan index file is harmless: it is validated against its .log before use
        }
    }
}
