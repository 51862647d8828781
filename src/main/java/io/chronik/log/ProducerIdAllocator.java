package io.chronik.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hands out producer ids from blocks of {@value #BLOCK_SIZE}: the end of the current block is persisted
 * (write-then-rename) before any id of it is used, so after a restart allocation resumes past every id ever given.
 */
final class ProducerIdAllocator {
    static final String FILE = "__chronik_producer_ids";
    static final int BLOCK_SIZE = 1000;

    private final Path file;
    private long next;
    private long blockEnd;

    ProducerIdAllocator(Path dataDir) throws IOException {
        this.file = dataDir.resolve(FILE);
        long reserved = 0;
        if (Files.isRegularFile(file)) {
            try {
                reserved = Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
            } catch (NumberFormatException e) {
                throw new IOException("damaged producer id file " + file, e);
            }
        }
        this.next = reserved;
        this.blockEnd = reserved;
    }

    synchronized long allocate() throws IOException {
        if (next >= blockEnd) {
            long end = next + BLOCK_SIZE;
            AtomicFiles.write(file, Long.toString(end).getBytes(StandardCharsets.UTF_8));
            blockEnd = end;
        }
        return next++;
    }
}
