package io.chronik.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code <data-dir>/cleaner-offset-checkpoint}: for each compacted partition, the offset where its last cleaning
 * ended (its first dirty offset), in Kafka's checkpoint format (version, count, then {@code topic partition offset}
 * lines). Written whole with write-then-rename; a damaged file only makes the next cleaning start from the log start.
 */
final class CleanerCheckpoint {
    static final String FILE = "cleaner-offset-checkpoint";
    private static final System.Logger LOGGER = System.getLogger(CleanerCheckpoint.class.getName());

    /** A checkpointed partition. */
    record Key(String topic, int partition) {
    }

    private final Path file;

    CleanerCheckpoint(Path dataDir) {
        this.file = dataDir.resolve(FILE);
    }

    Map<Key, Long> read() {
        Map<Key, Long> offsets = new HashMap<>();
        if (!Files.isRegularFile(file)) {
            return offsets;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 2 || !lines.get(0).trim().equals("0")) {
                throw new IOException("unknown version or missing count");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (lines.size() < 2 + count) {
                throw new IOException("expected " + count + " entries, found " + (lines.size() - 2));
            }
            for (int i = 2; i < 2 + count; i++) {
                String[] parts = lines.get(i).trim().split(" ");
                if (parts.length != 3) {
                    throw new IOException("malformed line '" + lines.get(i) + "'");
                }
                offsets.put(new Key(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
            }
            return offsets;
        } catch (IOException | RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Ignoring damaged " + file + " (compacted partitions are cleaned "
                    + "from their start again): " + e);
            return new HashMap<>();
        }
    }

    void write(Map<Key, Long> offsets) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("0");
        lines.add(Integer.toString(offsets.size()));
        offsets.forEach((k, offset) -> lines.add(k.topic() + " " + k.partition() + " " + offset));
        AtomicFiles.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
