package io.chronik.log;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Topic metadata on disk: {@code __chronik_topics/<topic>.properties} with the topic id, partition count and
 * {@code config.*} overrides, each written to a temporary file, fsynced and renamed over the old one.
 */
final class TopicMetadataStore {
    static final String DIR = "__chronik_topics";
    private static final String SUFFIX = ".properties";
    private static final String CONFIG_PREFIX = "config.";

    record StoredTopic(String name, UUID id, int partitions, Map<String, String> overrides) {
    }

    private final Path dir;

    TopicMetadataStore(Path dataDir) throws IOException {
        this.dir = dataDir.resolve(DIR);
        Files.createDirectories(dir);
    }

    List<StoredTopic> loadAll() throws IOException {
        List<StoredTopic> topics = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String file = p.getFileName().toString();
                if (file.endsWith(AtomicFiles.TMP_SUFFIX)) {
                    Files.deleteIfExists(p);
                } else if (file.endsWith(SUFFIX)) {
                    topics.add(read(p, file.substring(0, file.length() - SUFFIX.length())));
                }
            }
        }
        return topics;
    }

    private static StoredTopic read(Path file, String name) throws IOException {
        Properties props = new Properties();
        props.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        try {
            UUID id = UUID.fromString(props.getProperty("id"));
            int partitions = Integer.parseInt(props.getProperty("partitions"));
            Map<String, String> overrides = new TreeMap<>();
            for (String key : props.stringPropertyNames()) {
                if (key.startsWith(CONFIG_PREFIX)) {
                    overrides.put(key.substring(CONFIG_PREFIX.length()), props.getProperty(key));
                }
            }
            return new StoredTopic(name, id, partitions, overrides);
        } catch (RuntimeException e) {
            throw new IOException("damaged topic metadata " + file + ": " + e, e);
        }
    }

    void write(StoredTopic topic) throws IOException {
        Properties props = new Properties();
        props.setProperty("id", topic.id().toString());
        props.setProperty("partitions", Integer.toString(topic.partitions()));
        topic.overrides().forEach((k, v) -> props.setProperty(CONFIG_PREFIX + k, v));
        StringWriter out = new StringWriter();
        props.store(out, "Chronik topic " + topic.name());
        AtomicFiles.write(dir.resolve(topic.name() + SUFFIX), out.toString().getBytes(StandardCharsets.UTF_8));
    }

    void delete(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name + SUFFIX));
        AtomicFiles.syncDirectory(dir);
    }
}
