package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SortedMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicConfigsTest {

    @Test
    void knownKeysValidateTheirValues() {
        assertThatCode(() -> TopicConfigs.validate("cleanup.policy", "compact,delete")).doesNotThrowAnyException();
        assertThatCode(() -> TopicConfigs.validate("compression.type", "zstd")).doesNotThrowAnyException();
        assertThatCode(() -> TopicConfigs.validate("min.cleanable.dirty.ratio", "0.1")).doesNotThrowAnyException();
        assertThatCode(() -> TopicConfigs.validate("preallocate", "TRUE")).doesNotThrowAnyException();
        assertThatCode(() -> TopicConfigs.validate("retention.ms", "-1")).doesNotThrowAnyException();
        invalid("cleanup.policy", "forever");
        invalid("compression.type", "brotli");
        invalid("message.timestamp.type", "Now");
        invalid("segment.bytes", "13");
        invalid("segment.bytes", "3000000000");
        invalid("segment.ms", "0");
        invalid("retention.ms", "-2");
        invalid("max.message.bytes", "lots");
        invalid("min.insync.replicas", "0");
        invalid("min.cleanable.dirty.ratio", "1.5");
        invalid("unclean.leader.election.enable", "yes");
        invalid("producer.id.expiration.ms", "0");
        invalid("producer.id.expiration.ms", "2147483648");
        assertThatThrownBy(() -> TopicConfigs.validate("message.downconversion.enable", "true"))
                .isInstanceOf(TopicException.class).hasMessageContaining("message.downconversion.enable");
        assertThat(TopicConfigs.isKnown("retention.bytes")).isTrue();
        assertThat(TopicConfigs.isKnown("bogus")).isFalse();
    }

    @Test
    void effectiveValuesUseBrokerDefaultsThenOverrides() {
        LogConfig broker = new LogConfig(5000, 60_000, 1234, 99, 777, 4096, false);
        SortedMap<String, String> effective = TopicConfigs.effective(broker, Map.of("retention.ms", "42"));
        assertThat(effective).containsEntry("segment.bytes", "5000").containsEntry("retention.ms", "42")
                .containsEntry("retention.bytes", "99").containsEntry("max.message.bytes", "777")
                .containsEntry("cleanup.policy", "delete").containsEntry("compression.type", "producer")
                .containsEntry("message.timestamp.type", "CreateTime").containsEntry("min.insync.replicas", "1")
                .containsEntry("producer.id.expiration.ms", "86400000");
        LogConfig applied = broker.withOverrides(Map.of("segment.bytes", "100", "message.timestamp.type", "LogAppendTime",
                "compression.type", "lz4", "producer.id.expiration.ms", "5000"));
        assertThat(applied).isEqualTo(new LogConfig(100, 60_000, 1234, 99, 777, 4096, true, "lz4", -1, 9, 3,
                Long.MAX_VALUE, 3_600_000L, 0, 10 * 1024 * 1024, 60_000, Long.MAX_VALUE, Long.MAX_VALUE, false, 5000));
        LogConfig more = broker.withOverrides(Map.of("compression.zstd.level", "7", "message.timestamp.before.max.ms", "5",
                "segment.jitter.ms", "9", "segment.index.bytes", "4096", "file.delete.delay.ms", "0",
                "flush.messages", "10", "flush.ms", "1000", "preallocate", "true"));
        assertThat(more.compressionZstdLevel()).isEqualTo(7);
        assertThat(more.timestampBeforeMaxMs()).isEqualTo(5);
        assertThat(more.segmentJitterMs()).isEqualTo(9);
        assertThat(more.segmentIndexBytes()).isEqualTo(4096);
        assertThat(more.fileDeleteDelayMs()).isZero();
        assertThat(more.flushMessages()).isEqualTo(10);
        assertThat(more.flushMs()).isEqualTo(1000);
        assertThat(more.preallocate()).isTrue();
    }

    @Test
    void tieredStorageKeysAcceptOnlyTheirDefaults() {
        for (String key : java.util.List.of("remote.storage.enable", "remote.log.copy.disable", "remote.log.delete.on.disable")) {
            assertThatCode(() -> TopicConfigs.validate(key, "false")).doesNotThrowAnyException();
            assertThatThrownBy(() -> TopicConfigs.validate(key, "true")).isInstanceOf(TopicException.class)
                    .hasMessageContaining(key).hasMessageContaining("tiered storage is not supported");
            invalid(key, "maybe");
        }
        for (String key : java.util.List.of("local.retention.ms", "local.retention.bytes")) {
            assertThatCode(() -> TopicConfigs.validate(key, "-2")).doesNotThrowAnyException();
            assertThatThrownBy(() -> TopicConfigs.validate(key, "1000")).isInstanceOf(TopicException.class)
                    .hasMessageContaining(key).hasMessageContaining("tiered storage is not supported");
            invalid(key, "soon");
        }
    }

    private static void invalid(String key, String value) {
        assertThatThrownBy(() -> TopicConfigs.validate(key, value)).isInstanceOf(TopicException.class)
                .hasMessageContaining(key).hasMessageContaining(value)
                .extracting(e -> ((TopicException) e).reason()).isEqualTo(TopicException.Reason.INVALID_CONFIG);
    }
}
