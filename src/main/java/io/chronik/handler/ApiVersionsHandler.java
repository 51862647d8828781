package io.chronik.handler;

import io.chronik.protocol.Api;
import io.chronik.protocol.ApiTable;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Set;
import java.util.function.Supplier;

/** ApiVersions: advertises exactly the APIs that have a handler, with Chronik's version ranges. */
public final class ApiVersionsHandler implements RequestHandler {
    private final Supplier<ApiTable> apiTable;
    private final BrokerIdentity broker;

    public ApiVersionsHandler(Supplier<ApiTable> apiTable, BrokerIdentity broker) {
        this.apiTable = apiTable;
        this.broker = broker;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.API_VERSIONS);
    }

    @Override
    public Mono<ApiVersionsResponseData> handle(KafkaRequest request) {
        ApiVersionsResponseData response = new ApiVersionsResponseData().setApiKeys(advertised());
        if (request.unsupportedVersion()) {
            // Answered at v0 so any client can read it, listing what is supported (KIP-511).
            return Mono.just(response.setErrorCode(Errors.UNSUPPORTED_VERSION.code()));
        }
        ApiVersionsRequestData body = request.body();
        if (request.version() >= 5 && body.clusterId() != null && !body.clusterId().equals(broker.clusterId())) {
            return Mono.just(response.setErrorCode(Errors.REBOOTSTRAP_REQUIRED.code()));
        }
        if (request.version() >= 5 && body.nodeId() >= 0 && body.nodeId() != broker.nodeId()) {
            return Mono.just(response.setErrorCode(Errors.REBOOTSTRAP_REQUIRED.code()));
        }
        return Mono.just(response.setErrorCode(Errors.NONE.code()).setFinalizedFeaturesEpoch(-1));
    }

    private ApiVersionCollection advertised() {
        ApiVersionCollection keys = new ApiVersionCollection();
        for (Api api : apiTable.get().served()) {
            keys.add(new ApiVersion().setApiKey(api.id()).setMinVersion(api.minVersion()).setMaxVersion(api.maxVersion()));
        }
        return keys;
    }
}
