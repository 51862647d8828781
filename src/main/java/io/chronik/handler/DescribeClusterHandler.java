package io.chronik.handler;

import io.chronik.cluster.BrokerRegistration;
import io.chronik.cluster.ClusterView;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Set;

/**
 * DescribeCluster: alone, this broker, which is also the controller; in a cluster, the registered unfenced
 * brokers and the active controller (the metadata quorum's leader, -1 while there is none).
 */
public final class DescribeClusterHandler implements RequestHandler {
    /** Endpoint type 1 = brokers (KIP-919); 2 = controllers, which clients may not ask a broker for. */
    private static final byte BROKER_ENDPOINTS = 1;

    private final BrokerIdentity broker;
    private final ClusterView cluster;

    /** {@code cluster} is null for a broker running alone. */
    public DescribeClusterHandler(BrokerIdentity broker, ClusterView cluster) {
        this.broker = broker;
        this.cluster = cluster;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_CLUSTER);
    }

    @Override
    public Mono<DescribeClusterResponseData> handle(KafkaRequest request) {
        DescribeClusterRequestData body = request.body();
        DescribeClusterResponseData response = new DescribeClusterResponseData().setClusterId(broker.clusterId())
                .setControllerId(cluster == null ? broker.nodeId() : cluster.controllerId()).setEndpointType(BROKER_ENDPOINTS);
        if (request.version() >= 1 && body.endpointType() != BROKER_ENDPOINTS) {
            return Mono.just(response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Chronik brokers only describe broker endpoints"));
        }
        if (cluster == null) {
            response.brokers().add(new DescribeClusterBroker().setBrokerId(broker.nodeId()).setHost(broker.host())
                    .setPort(broker.port()));
        } else {
            for (BrokerRegistration live : cluster.liveBrokers()) {
                response.brokers().add(new DescribeClusterBroker().setBrokerId(live.id()).setHost(live.host()).setPort(live.port()));
            }
        }
        return Mono.just(response);
    }
}
