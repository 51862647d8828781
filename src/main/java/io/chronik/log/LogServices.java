package io.chronik.log;

import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * What a {@link Log} borrows from its {@link LogManager}: its lane, the group committer, and the delayed deletion
 * of segment files (so readers holding a slice can still open them).
 */
record LogServices(StorageConfig storage, LogMetrics metrics, ExecutorService lane, GroupCommitter committer,
                   Consumer<LogSegment> deleteLater) {
}
