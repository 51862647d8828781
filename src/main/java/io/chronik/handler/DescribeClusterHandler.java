package io.chronik.handler;

import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Set;

/** DescribeCluster: one broker, which is also the controller. */
public final class DescribeClusterHandler implements RequestHandler {
    /** Endpoint type 1 = brokers (KIP-919); 2 = controllers, which clients may not ask a broker for. */
    private static final byte BROKER_ENDPOINTS = 1;

    private final BrokerIdentity broker;

    public DescribeClusterHandler(BrokerIdentity broker) {
        this.broker = broker;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_CLUSTER);
    }

    @Override
    public Mono<DescribeClusterResponseData> handle(KafkaRequest request) {
        DescribeClusterRequestData body = request.body();
        DescribeClusterResponseData response = new DescribeClusterResponseData()
                .setClusterId(broker.clusterId()).setControllerId(broker.nodeId()).setEndpointType(BROKER_ENDPOINTS);
        if (request.version() >= 1 && body.endpointType() != BROKER_ENDPOINTS) {
            return Mono.just(response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Chronik brokers only describe broker endpoints"));
        }
        response.brokers().add(new DescribeClusterBroker().setBrokerId(broker.nodeId()).setHost(broker.host())
                .setPort(broker.port()));
        return Mono.just(response);
    }
}
