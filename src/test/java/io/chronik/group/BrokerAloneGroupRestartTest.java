package io.chronik.group;

import io.chronik.testing.ChildBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A broker alone killed (kill -9) and started again while a classic group and a KIP-848 group keep polling: the
 * restarted broker loads the groups' membership from __consumer_offsets, so the members carry on in their generation
 * and at their epochs without a rebalance, reading every record produced after the restart once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BrokerAloneGroupRestartTest {
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    @TempDir
    Path dataDir;

    @Test
    void membersCarryOnWithoutARebalanceWhenTheBrokerRestarts() throws Exception {
        ChildBroker[] broker = {ChildBroker.start(dataDir, JVM)};
        try {
            int port = broker[0].port();
            String bootstrap = "127.0.0.1:" + port;
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new NewTopic("restart", 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            // While their only broker is down, clients would rebootstrap (the default metadata.recovery.strategy) and
            // drop what they knew of the topic, and a classic member that sees its subscribed topics' metadata change
            // rejoins by itself, whatever the coordinator remembers (Kafka's clients do so against a lone Kafka
            // broker too). Without rebootstrapping, they keep their metadata and only the coordinator is tested.
            GroupsCarryOn.check(bootstrap, "restart", 3, "restart-classic", "restart-848",
                    Map.of("metadata.recovery.strategy", "none"), () -> {
                broker[0].kill();
                broker[0] = ChildBroker.start(dataDir, JVM, "--chronik.listener.port=" + port);
                broker[0].port();
            });
        } finally {
            broker[0].close();
        }
    }
}
