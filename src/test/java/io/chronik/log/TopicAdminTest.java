package io.chronik.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class TopicAdminTest extends LogTestSupport {
    @TempDir
    Path dir;

    @Test
    void topicMetadataSurvivesRestarts() throws Exception {
        UUID id;
        try (LogManager manager = start(dir)) {
            id = manager.createTopic("orders", 2, Map.of("retention.ms", "1000"), false).id();
            manager.alterConfigs("orders", Map.of("retention.ms", "5000", "cleanup.policy", "compact"), false);
            manager.createPartitions("orders", 3, false);
            manager.createTopic("gone", 1, Map.of(), false);
            appendOk(manager.log("gone", 0).orElseThrow(), TestBatches.batch(1, 1));
            // A compacted topic now: its records need keys.
            appendOk(manager.log("orders", 2).orElseThrow(), KeyedRecords.batch(1, "a", "1", "b", "2", "c", "3", "d", "4"));
            manager.deleteTopic("gone");
            assertThat(manager.topic("gone")).isEmpty();
            assertThat(manager.log("gone", 0)).isEmpty();
        }
        assertThat(dir.resolve("gone-0")).doesNotExist();
        try (LogManager manager = start(dir)) {
            TopicInfo orders = manager.topic("orders").orElseThrow();
            assertThat(orders.id()).isEqualTo(id);
            assertThat(manager.topic(id)).contains(orders);
            assertThat(orders.partitions()).isEqualTo(3);
            assertThat(orders.overrides()).isEqualTo(Map.of("retention.ms", "5000", "cleanup.policy", "compact"));
            assertThat(orders.config().retentionMs()).isEqualTo(5000);
            assertThat(manager.log("orders", 2).orElseThrow().logEndOffset()).isEqualTo(4);
            assertThat(manager.topic("gone")).isEmpty();
            assertThat(manager.topics()).extracting(TopicInfo::name).containsExactly("orders");
        }
    }

    @Test
    void adminRequestsAreValidated() throws Exception {
        try (LogManager manager = start(dir)) {
            for (String bad : new String[]{"", ".", "..", "a/b", "spaces here", "x".repeat(250), "ünicode"}) {
                assertThatThrownBy(() -> manager.createTopic(bad, 1, Map.of(), false))
                        .isInstanceOf(TopicException.class)
                        .extracting(e -> ((TopicException) e).reason())
                        .isEqualTo(TopicException.Reason.INVALID_TOPIC_EXCEPTION);
            }
            assertThat(manager.createTopic("x".repeat(249), 1, Map.of(), true).name()).hasSize(249);
            assertThat(manager.topic("x".repeat(249))).as("validateOnly creates nothing").isEmpty();
            assertReason(() -> manager.createTopic("p", 0, Map.of(), false), TopicException.Reason.INVALID_PARTITIONS);
            assertThatThrownBy(() -> manager.createTopic("c", 1, Map.of("segment.bytes", "10"), false))
                    .isInstanceOf(TopicException.class).hasMessageContaining("segment.bytes").hasMessageContaining("10");
            assertThatThrownBy(() -> manager.createTopic("c", 1, Map.of("no.such.key", "1"), false))
                    .isInstanceOf(TopicException.class).hasMessageContaining("no.such.key");
            manager.createTopic("t", 2, Map.of(), false);
            assertReason(() -> manager.createTopic("t", 1, Map.of(), false), TopicException.Reason.TOPIC_ALREADY_EXISTS);
            assertReason(() -> manager.createPartitions("t", 2, false), TopicException.Reason.INVALID_PARTITIONS);
            assertReason(() -> manager.createPartitions("nope", 5, false), TopicException.Reason.UNKNOWN_TOPIC_OR_PARTITION);
            assertReason(() -> manager.deleteTopic("nope"), TopicException.Reason.UNKNOWN_TOPIC_OR_PARTITION);
            assertThatThrownBy(() -> manager.alterConfigs("t", Map.of("retention.ms", "soon"), false))
                    .isInstanceOf(TopicException.class).hasMessageContaining("retention.ms").hasMessageContaining("soon");
        }
    }

    @Test
    void alterConfigsChangesTheRunningLog() throws Exception {
        try (LogManager manager = start(dir)) {
            Log log = createLog(manager, "alter", Map.of());
            manager.alterConfigs("alter", Map.of("max.message.bytes", "100"), false);
            assertThat(append(log, TestBatches.batch(1, 1, 200)).error()).isEqualTo(LogError.MESSAGE_TOO_LARGE);
            manager.alterConfigs("alter", Map.of(), false);
            assertThat(append(log, TestBatches.batch(1, 1, 200)).error()).isEqualTo(LogError.NONE);
        }
    }

    @Test
    void deletingATopicWakesWaitersAndARecreatedTopicStartsEmpty() throws Exception {
        try (LogManager manager = start(dir)) {
            Log old = createLog(manager, "again", Map.of());
            appendOk(old, TestBatches.batch(3, 1));
            CompletableFuture<Void> waiting = old.onAppend();
            manager.deleteTopic("again");
            assertThat(waiting).isDone();
            assertThat(append(old, TestBatches.batch(1, 1)).error()).isEqualTo(LogError.UNKNOWN_TOPIC_OR_PARTITION);
            Log fresh = createLog(manager, "again", Map.of());
            assertThat(fresh.logEndOffset()).isZero();
            assertThat(appendOk(fresh, TestBatches.batch(1, 1)).baseOffset()).isZero();
        }
    }

    @Test
    void producerIdsAreNeverReusedAcrossRestarts() throws Exception {
        Set<Long> ids = new HashSet<>();
        for (int restart = 0; restart < 3; restart++) {
            LogManager manager = start(dir);
            for (int i = 0; i < 5; i++) {
                assertThat(ids.add(manager.nextProducerId())).isTrue();
            }
            if (restart == 1) {
                manager.halt();
            } else {
                manager.close();
            }
        }
        assertThat(ids).hasSize(15);
        assertThat(Files.exists(dir.resolve(ProducerIdAllocator.FILE))).isTrue();
    }

    private static void assertReason(Runnable call, TopicException.Reason reason) {
        assertThatThrownBy(call::run).isInstanceOf(TopicException.class)
                .extracting(e -> ((TopicException) e).reason()).isEqualTo(reason);
    }
}
