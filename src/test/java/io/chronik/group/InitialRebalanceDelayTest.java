package io.chronik.group;

import io.chronik.protocol.Api;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.chronik.group.GroupProtocolMatrixTest.call;
import static io.chronik.group.GroupProtocolMatrixTest.joinRequest;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The initial rebalance delay of an empty classic group is extended while members keep arriving, as in Kafka, so
 * an application starting several members lands them all in the first generation.
 */
class InitialRebalanceDelayTest {
    @TempDir
    Path dataDir;

    @Test
    void membersArrivingDuringTheDelayAllJoinTheFirstGeneration() throws Exception {
        short jv = Api.JOIN_GROUP.maxVersion();
        // Delay 3 s: the first member starts it, the second arrives in the first window, the third only in the
        // extension (about 4.5 s in). Without the extension the third member would force a second generation.
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.group.initial-rebalance-delay", "3s"))) {
            List<RawKafkaClient> clients = new ArrayList<>();
            try {
                List<String> memberIds = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    if (i == 1) {
                        Thread.sleep(1_500);
                    } else if (i == 2) {
                        Thread.sleep(3_000);
                    }
                    RawKafkaClient client = new RawKafkaClient(broker.port());
                    clients.add(client);
                    JoinGroupResponseData needId = call(client, joinRequest("arriving", "", null, jv), jv);
                    memberIds.add(needId.memberId());
                    client.send(joinRequest("arriving", needId.memberId(), null, jv), jv, 9);
                }
                List<JoinGroupResponseData> joined = new ArrayList<>();
                for (RawKafkaClient client : clients) {
                    RawKafkaClient.Response response = client.receive(ApiKeys.JOIN_GROUP.responseHeaderVersion(jv));
                    joined.add((JoinGroupResponseData) AbstractResponse.parseResponse(ApiKeys.JOIN_GROUP,
                            new ByteBufferAccessor(response.body()), jv).data());
                }
                assertThat(joined).extracting(JoinGroupResponseData::errorCode).containsOnly((short) 0);
                assertThat(joined).extracting(JoinGroupResponseData::generationId).containsOnly(1);
                JoinGroupResponseData leader = joined.stream().filter(j -> j.memberId().equals(j.leader())).findFirst().orElseThrow();
                assertThat(leader.members()).extracting(JoinGroupResponseData.JoinGroupResponseMember::memberId)
                        .containsExactlyInAnyOrderElementsOf(memberIds);
            } finally {
                for (RawKafkaClient client : clients) {
                    client.close();
                }
            }
        }
    }
}
