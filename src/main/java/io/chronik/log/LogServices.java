package io.chronik.log;

import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * What a {@link Log} borrows from its {@link LogManager}: its lane, the group committer, the delayed deletion
 * of segment files (so readers holding a slice can still open them), and the producer-state snapshot writer.
 */
record LogServices(StorageConfig storage, LogMetrics metrics, ExecutorService lane, GroupCommitter committer,
                   Consumer<LogSegment> deleteLater, ProducerSnapshotWriter snapshots) {
}
