package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.AppendResult;
import io.chronik.log.Log;
import io.chronik.log.LogError;
import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A broker alone keeps group offsets in {@code __consumer_offsets} as a cluster does: at startup the topic is created
 * in local storage when missing (compacted, the configured partition count), the committed offsets of an older data
 * directory ({@code <data-dir>/__chronik_offsets}) are moved into it once, and the broker then leads every partition.
 *
 * <p>The move is crash-safe: every live offset of the old store is appended to its group's partition and fsynced,
 * and only then is the old directory renamed to {@value #RETIRED} (and the data directory fsynced). A crash before the
 * rename redoes the move at the next start (the same offsets written again, harmless for a compacted topic); after
 * it, the move is skipped.
 */
public final class LocalOffsetsTopic {
    private static final Logger log = LoggerFactory.getLogger(LocalOffsetsTopic.class);
    static final String LEGACY = OffsetStore.DIR;
    static final String RETIRED = "__chronik_offsets.migrated";
    private static final int RECORDS_PER_BATCH = 500;
    private static final long WRITE_TIMEOUT_S = 60;

    private LocalOffsetsTopic() {
    }

    /** Creates the topic when missing, migrates an old offset store, then has {@code store} lead every partition. */
    public static void start(LogManager logs, OffsetsTopicStore store, int configuredPartitions) throws IOException {
        TopicInfo topic = logs.topic(OffsetsTopicStore.TOPIC).orElse(null);
        if (topic == null) {
            topic = logs.createTopic(OffsetsTopicStore.TOPIC, configuredPartitions, Map.of("cleanup.policy", "compact"),
                    false);
            log.info("Created {} with {} partitions", OffsetsTopicStore.TOPIC, topic.partitions());
        }
        migrate(logs, topic.partitions());
        for (int p = 0; p < topic.partitions(); p++) {
            store.lead(p);
        }
    }

    /** Moves the offsets of {@code <data-dir>/__chronik_offsets} into the topic, then retires that directory. */
    static void migrate(LogManager logs, int partitions) throws IOException {
        Path dataDir = logs.dataDir();
        Path legacy = dataDir.resolve(LEGACY);
        if (!Files.isDirectory(legacy)) {
            return;
        }
        Map<String, Map<TopicPartition, Committed>> offsets = OffsetStore.read(dataDir);
        // Every append answered only once fsynced (flush.messages=1), whatever chronik.storage.fsync-on-acks-all says:
        // the old store is retired next.
        // (A crash before the move ends leaves that setting, taken away by the move redone at the next start.)
        Map<String, String> overrides = new java.util.HashMap<>(
                logs.topic(OffsetsTopicStore.TOPIC).map(TopicInfo::overrides).orElse(Map.of()));
        overrides.remove("flush.messages");
        Map<String, String> flushEach = new java.util.HashMap<>(overrides);
        flushEach.put("flush.messages", "1");
        logs.alterConfigs(OffsetsTopicStore.TOPIC, flushEach, false);
        int count = 0;
        for (Map.Entry<String, Map<TopicPartition, Committed>> group : offsets.entrySet()) {
            int partition = Utils.abs(group.getKey().hashCode()) % partitions;
            Log partitionLog = logs.log(OffsetsTopicStore.TOPIC, partition)
                    .orElseThrow(() -> new IOException(OffsetsTopicStore.TOPIC + "-" + partition + " is missing"));
            List<SimpleRecord> batch = new ArrayList<>();
            for (Map.Entry<TopicPartition, Committed> offset : group.getValue().entrySet()) {
                batch.add(new SimpleRecord(offset.getValue().commitTimestamp(),
                        OffsetRecords.key(group.getKey(), offset.getKey()), OffsetRecords.value(offset.getValue())));
                if (batch.size() == RECORDS_PER_BATCH) {
                    append(partitionLog, batch);
                }
            }
            append(partitionLog, batch);
            count += group.getValue().size();
        }
        logs.alterConfigs(OffsetsTopicStore.TOPIC, overrides, false);
        Path retired = dataDir.resolve(RETIRED);
        if (Files.exists(retired)) {
            Utils.delete(retired.toFile());
        }
        Files.move(legacy, retired, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dataDir);
        log.info("Moved {} committed offsets of {} groups from {} into {} (the old directory is now {})", count,
                offsets.size(), legacy, OffsetsTopicStore.TOPIC, retired);
    }

    /** Appends the records as one batch and waits until they are fsynced. */
    private static void append(Log partitionLog, List<SimpleRecord> records) throws IOException {
        if (records.isEmpty()) {
            return;
        }
        MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, records.toArray(SimpleRecord[]::new));
        records.clear();
        AppendResult result;
        try {
            result = partitionLog.append(batch.buffer(), true).get(WRITE_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while moving committed offsets", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot move committed offsets into " + partitionLog + ": " + e, e);
        }
        if (result.error() != LogError.NONE) {
            throw new IOException("cannot move committed offsets into " + partitionLog + ": " + result.error());
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // not supported on every platform
        }
    }
}
