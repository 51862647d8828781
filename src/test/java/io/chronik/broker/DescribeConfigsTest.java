package io.chronik.broker;

import io.chronik.log.TopicConfigs;
import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConfigEntry.ConfigSource;
import org.apache.kafka.clients.admin.ConfigEntry.ConfigType;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** DescribeConfigs as kafka-configs --describe --all shows it: values, sources, synonyms, types, documentation. */
class DescribeConfigsTest {
    @TempDir
    static Path dataDir;
    static TestBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        // Two broker settings the operator sets; everything else stays at its default.
        broker = TestBroker.start(dataDir, Map.of("chronik.storage.retention-ms", "2d", "chronik.default-partitions", "3"));
        admin = Clients.admin(broker);
        admin.createTopics(List.of(new NewTopic("described", 1, (short) 1).configs(Map.of("retention.ms", "3600000",
                "compression.type", "gzip")))).all().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    private static Config describe(ConfigResource resource) throws Exception {
        return admin.describeConfigs(List.of(resource), new DescribeConfigsOptions().includeSynonyms(true)
                .includeDocumentation(true)).all().get(30, TimeUnit.SECONDS).get(resource);
    }

    private static String synonyms(ConfigEntry entry) {
        StringBuilder out = new StringBuilder();
        for (ConfigEntry.ConfigSynonym s : entry.synonyms()) {
            out.append(s.source()).append(':').append(s.name()).append('=').append(s.value()).append(' ');
        }
        return out.toString().trim();
    }

    @Test
    void topicConfigsCarrySourcesSynonymsTypesAndDocumentation() throws Exception {
        Config config = describe(new ConfigResource(ConfigResource.Type.TOPIC, "described"));
        assertThat(config.entries()).extracting(ConfigEntry::name).containsAll(TopicConfigs.keys());

        ConfigEntry retention = config.get("retention.ms");
        assertThat(retention.value()).isEqualTo("3600000");
        assertThat(retention.source()).isEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(synonyms(retention)).isEqualTo("DYNAMIC_TOPIC_CONFIG:retention.ms=3600000 "
                + "STATIC_BROKER_CONFIG:log.retention.ms=172800000 DEFAULT_CONFIG:log.retention.ms=604800000");
        assertThat(retention.type()).isEqualTo(ConfigType.LONG);
        assertThat(retention.documentation()).contains("retain");
        assertThat(retention.isReadOnly()).isFalse();
        assertThat(retention.isSensitive()).isFalse();

        ConfigEntry compression = config.get("compression.type");
        assertThat(compression.value()).isEqualTo("gzip");
        assertThat(synonyms(compression)).isEqualTo(
                "DYNAMIC_TOPIC_CONFIG:compression.type=gzip DEFAULT_CONFIG:compression.type=producer");
        assertThat(compression.type()).isEqualTo(ConfigType.STRING);

        ConfigEntry segment = config.get("segment.bytes");
        assertThat(segment.source()).isEqualTo(ConfigSource.DEFAULT_CONFIG);
        assertThat(synonyms(segment)).isEqualTo("DEFAULT_CONFIG:log.segment.bytes=1073741824");
        assertThat(segment.type()).isEqualTo(ConfigType.INT);

        ConfigEntry maxBytes = config.get("max.message.bytes");
        assertThat(synonyms(maxBytes)).isEqualTo("DEFAULT_CONFIG:message.max.bytes=1048588");

        ConfigEntry tiered = config.get("remote.storage.enable");
        assertThat(tiered.source()).isEqualTo(ConfigSource.DEFAULT_CONFIG);
        assertThat(tiered.synonyms()).isEmpty();
        assertThat(tiered.type()).isEqualTo(ConfigType.BOOLEAN);

        assertThat(config.get("cleanup.policy").type()).isEqualTo(ConfigType.LIST);
        assertThat(config.get("min.cleanable.dirty.ratio").type()).isEqualTo(ConfigType.DOUBLE);
        assertThat(synonyms(config.get("min.insync.replicas"))).isEqualTo("DEFAULT_CONFIG:min.insync.replicas=1");
        assertThat(synonyms(config.get("file.delete.delay.ms"))).isEqualTo("DEFAULT_CONFIG:log.segment.delete.delay.ms=60000");
        assertThat(config.entries()).allMatch(e -> e.documentation() != null && !e.documentation().isEmpty());

        // Without the options: no synonyms, no documentation, the same sources.
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "described");
        Config plain = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(plain.get("retention.ms").synonyms()).isEmpty();
        assertThat(plain.get("retention.ms").documentation()).isNull();
        assertThat(plain.get("retention.ms").source()).isEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void brokerConfigsShowChroniksSettingsUnderKafkasNames() throws Exception {
        Config config = describe(new ConfigResource(ConfigResource.Type.BROKER, "0"));
        assertThat(config.entries()).extracting(ConfigEntry::name).contains("log.retention.ms", "log.segment.bytes",
                "num.partitions", "auto.create.topics.enable", "message.max.bytes", "log.cleanup.policy",
                "default.replication.factor", "min.insync.replicas", "compression.type", "log.dirs", "broker.id");
        assertThat(config.entries()).allMatch(ConfigEntry::isReadOnly).noneMatch(ConfigEntry::isSensitive);

        ConfigEntry retention = config.get("log.retention.ms");
        assertThat(retention.value()).isEqualTo("172800000");
        assertThat(retention.source()).isEqualTo(ConfigSource.STATIC_BROKER_CONFIG);
        assertThat(synonyms(retention)).isEqualTo(
                "STATIC_BROKER_CONFIG:log.retention.ms=172800000 DEFAULT_CONFIG:log.retention.ms=604800000");
        assertThat(retention.type()).isEqualTo(ConfigType.LONG);
        assertThat(retention.documentation()).isNotBlank();

        assertThat(config.get("num.partitions").value()).isEqualTo("3");
        assertThat(config.get("num.partitions").source()).isEqualTo(ConfigSource.STATIC_BROKER_CONFIG);
        // Set only by the application.yml inside the jar: a default.
        ConfigEntry autoCreate = config.get("auto.create.topics.enable");
        assertThat(autoCreate.value()).isEqualTo("true");
        assertThat(autoCreate.source()).isEqualTo(ConfigSource.DEFAULT_CONFIG);
        assertThat(autoCreate.type()).isEqualTo(ConfigType.BOOLEAN);
        assertThat(config.get("log.segment.bytes").source()).isEqualTo(ConfigSource.DEFAULT_CONFIG);
        assertThat(config.get("log.dirs").source()).isEqualTo(ConfigSource.STATIC_BROKER_CONFIG);
        assertThat(config.get("log.cleanup.policy").value()).isEqualTo("delete");
        assertThat(config.get("message.max.bytes").value()).isEqualTo("1048588");
        assertThat(config.get("advertised.listeners").value()).isEqualTo("PLAINTEXT://127.0.0.1:" + broker.port());

        // The default resource holds cluster-wide dynamic defaults: Chronik has none. Other brokers do not exist here.
        ConfigResource defaults = new ConfigResource(ConfigResource.Type.BROKER, "");
        assertThat(admin.describeConfigs(List.of(defaults)).all().get(30, TimeUnit.SECONDS).get(defaults).entries()).isEmpty();
    }

    @Test
    void everyVersionIsServedWithWhatItCanCarry() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            int correlationId = 0;
            for (short version = ApiKeys.DESCRIBE_CONFIGS.oldestVersion(); version <= ApiKeys.DESCRIBE_CONFIGS.latestVersion();
                 version++) {
                DescribeConfigsRequestData request = new DescribeConfigsRequestData().setIncludeSynonyms(true)
                        .setIncludeDocumentation(version >= 3);
                request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource()
                        .setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName("described")
                        .setConfigurationKeys(List.of("retention.ms", "preallocate")));
                request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource()
                        .setResourceType(ConfigResource.Type.BROKER.id()).setResourceName("0").setConfigurationKeys(null));
                request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource()
                        .setResourceType(ConfigResource.Type.BROKER.id()).setResourceName("7").setConfigurationKeys(null));
                client.send(request, version, ++correlationId);
                RawKafkaClient.Response response = client.receive(ApiKeys.DESCRIBE_CONFIGS.responseHeaderVersion(version));
                assertThat(response.correlationId()).isEqualTo(correlationId);
                DescribeConfigsResponseData data = new DescribeConfigsResponseData(new ByteBufferAccessor(response.body()),
                        version);
                DescribeConfigsResponseData.DescribeConfigsResult topic = data.results().get(0);
                assertThat(topic.errorCode()).isZero();
                assertThat(topic.configs()).extracting(DescribeConfigsResponseData.DescribeConfigsResourceResult::name)
                        .containsExactlyInAnyOrder("retention.ms", "preallocate");
                var retention = topic.configs().stream().filter(c -> c.name().equals("retention.ms")).findFirst().orElseThrow();
                assertThat(retention.configSource()).as("v%d", version).isEqualTo((byte) 1); // DYNAMIC_TOPIC_CONFIG
                assertThat(retention.synonyms()).as("v%d", version).hasSize(3);
                assertThat(retention.configType()).as("v%d", version).isEqualTo(version >= 3 ? (byte) 5 : (byte) 0);
                assertThat(retention.documentation() != null && !retention.documentation().isEmpty()).as("v%d", version)
                        .isEqualTo(version >= 3);
                assertThat(data.results().get(1).configs()).as("v%d", version).isNotEmpty();
                assertThat(data.results().get(2).errorCode()).as("another broker's id").isEqualTo(Errors.INVALID_REQUEST.code());
                assertThat(data.results().get(2).errorMessage()).contains("7");
            }
        }
    }
}
