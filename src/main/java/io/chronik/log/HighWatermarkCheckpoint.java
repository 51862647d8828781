package io.chronik.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code replication-offset-checkpoint} (Kafka's format: version 0, the number of entries, then
 * {@code topic partition offset} lines); {@link LogManager#checkpointHighWatermarks} writes it.
 */
final class HighWatermarkCheckpoint {
    static final String FILE = "replication-offset-checkpoint";
    private static final System.Logger LOGGER = System.getLogger(HighWatermarkCheckpoint.class.getName());

    private HighWatermarkCheckpoint() {
    }

    static Path path(Path dataDir) {
        return dataDir.resolve(FILE);
    }

    /** Topic to partition to high watermark; empty when the file is missing or damaged (logged). */
    static Map<String, Map<Integer, Long>> read(Path dataDir) {
        Map<String, Map<Integer, Long>> out = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(path(dataDir), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "cannot read " + path(dataDir) + ": " + e);
            return out;
        }
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != 0) {
                throw new NumberFormatException("unknown version or missing count");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() < 2 + count) {
                throw new NumberFormatException("expected " + count + " entries");
            }
            for (int i = 0; i < count; i++) {
                String[] parts = lines.get(2 + i).trim().split("\\s+");
                if (parts.length != 3) {
                    throw new NumberFormatException("line " + (i + 3) + " is not 'topic partition offset'");
                }
                out.computeIfAbsent(parts[0], t -> new HashMap<>())
                        .put(Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
            }
        } catch (NumberFormatException e) {
            LOGGER.log(System.Logger.Level.WARNING, "ignoring damaged " + path(dataDir) + ": " + e.getMessage());
            return new HashMap<>();
        }
        return out;
    }
}
