package io.chronik.log;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The throttled replica lists of topic configs: validated as Kafka does, read per broker. */
class ThrottledReplicasTest {

    @Test
    void validListsAreAcceptedAndMalformedOnesRefusedNamingTheKey() {
        for (String ok : new String[]{"", "*", " * ", "0:1", "0:1,1:2", " 0 : 1 , 3:101 "}) {
            assertThat(ThrottledReplicas.problem(ok)).as(ok).isNull();
            TopicConfigs.validate(ThrottledReplicas.LEADER, ok);
        }
        for (String bad : new String[]{"0", "0:", ":1", "a:1", "0:1,", "0:1:2", "-1:2", "*,0:1", "0;1", "0:99999999999"}) {
            assertThat(ThrottledReplicas.problem(bad)).as(bad).isNotNull();
            assertThatThrownBy(() -> TopicConfigs.validate(ThrottledReplicas.FOLLOWER, bad)).isInstanceOf(TopicException.class)
                    .hasMessageContaining(ThrottledReplicas.FOLLOWER).hasMessageContaining("[partitionId]:[brokerId]");
        }
    }

    @Test
    void eachBrokerThrottlesThePartitionsWhoseReplicaOnItIsListed() {
        String value = "0:1,0:2,1:2, 2 : 3";
        assertThat(ThrottledReplicas.forBroker(value, 2).listed()).isEqualTo(Set.of(0, 1));
        assertThat(ThrottledReplicas.forBroker(value, 3).contains(2)).isTrue();
        assertThat(ThrottledReplicas.forBroker(value, 3).contains(0)).isFalse();
        assertThat(ThrottledReplicas.forBroker(value, 4).isEmpty()).isTrue();
        assertThat(ThrottledReplicas.forBroker("*", 9).contains(12345)).isTrue();
        assertThat(ThrottledReplicas.forBroker("", 1).isEmpty()).isTrue();
        assertThat(ThrottledReplicas.forBroker(null, 1).isEmpty()).isTrue();
        assertThat(ThrottledReplicas.forBroker("garbage", 1).isEmpty()).isTrue();
    }

    @Test
    void describedWithAnEmptyDefault() {
        Map<String, String> effective = TopicConfigs.effective(LogConfig.KAFKA_DEFAULTS, Map.of(ThrottledReplicas.LEADER, "0:1"));
        assertThat(effective).containsEntry(ThrottledReplicas.LEADER, "0:1").containsEntry(ThrottledReplicas.FOLLOWER, "");
    }
}
