package io.chronik.cluster;

import io.chronik.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuorumVotersTest {

    @Test
    void parsesEveryVoterInOrder() {
        QuorumVoters voters = QuorumVoters.parse("1@127.0.0.1:19091, 2@broker-2.local:19092,3@[::1]:19093", 2);
        assertThat(voters.all()).containsExactly(new QuorumVoter(1, "127.0.0.1", 19091),
                new QuorumVoter(2, "broker-2.local", 19092), new QuorumVoter(3, "::1", 19093));
        assertThat(voters.voter(3).orElseThrow().address()).isEqualTo("[::1]:19093");
        assertThat(voters.size()).isEqualTo(3);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1@127.0.0.1:19091,2@127.0.0.1:19092|3|does not list this broker's chronik.node-id (3)",
            "1@127.0.0.1:19091,1@127.0.0.1:19092|1|node id 1 is listed more than once",
            "1@127.0.0.1:19091,2@127.0.0.1:19091|1|address 127.0.0.1:19091 is listed more than once",
            "0@127.0.0.1:19091|1|node ids must be positive integers",
            "-2@127.0.0.1:19091|1|node ids must be positive integers",
            "1@127.0.0.1|1|cannot parse '1@127.0.0.1'",
            "1:19091|1|cannot parse '1:19091'",
            "x@127.0.0.1:19091|1|cannot parse 'x@127.0.0.1:19091'",
            "1@127.0.0.1:port|1|cannot parse",
            "1@127.0.0.1:19091,|1|cannot parse ''",
            "1@127.0.0.1:70000|1|port 70000",
            "'  '|1|lists no voter"})
    void aBadListIsRefusedNamingTheKey(String spec, int nodeId, String reason) {
        assertThatThrownBy(() -> QuorumVoters.parse(spec, nodeId))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("chronik.cluster.voters")
                .hasMessageContaining(reason);
    }

    @Test
    void theGroupIdIsTheSameWhateverTheClusterIdSoAMisconfiguredBrokerIsRefusedInsteadOfWaiting() {
        QuorumVoters voters = QuorumVoters.parse("1@127.0.0.1:19091");
        assertThat(QuorumPeers.group("a", voters).getGroupId()).isEqualTo(QuorumPeers.group("b", voters).getGroupId());
        assertThat(QuorumPeers.group("a", voters).getPeers()).extracting(p -> p.getAddress()).isEqualTo(List.of("127.0.0.1:19091"));
    }
}
