package io.chronik.handler;

import io.chronik.protocol.Api;
import io.chronik.protocol.ApiTable;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.message.ApiVersionsResponseData.FinalizedFeatureKey;
import org.apache.kafka.common.message.ApiVersionsResponseData.SupportedFeatureKey;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Set;
import java.util.function.Supplier;

/**
 * ApiVersions: advertises exactly the APIs that have a handler, with Chronik's version ranges, and the
 * {@code transaction.version} feature (supported 0-2, finalized at the configured level).
 */
public final class ApiVersionsHandler implements RequestHandler {
    public static final String TRANSACTION_VERSION = "transaction.version";
    public static final short MAX_TRANSACTION_VERSION = 2;
    private final Supplier<ApiTable> apiTable;
    private final BrokerIdentity broker;
    private final short transactionVersion;
    /**
     * The finalized features' epoch: clients keep the features of the highest epoch they saw, so it grows with each
     * start (a changed level is taken up after a restart).
     */
    private final long featuresEpoch = System.currentTimeMillis();

    public ApiVersionsHandler(Supplier<ApiTable> apiTable, BrokerIdentity broker) {
        this(apiTable, broker, (short) 0);
    }

    /**
     * @param transactionVersion the finalized level of the {@code transaction.version} feature (1 or 2; 0 advertises
     *                           no feature): at 2, Kafka 4.x producers use transaction version 2 (KIP-890 part 2)
     */
    public ApiVersionsHandler(Supplier<ApiTable> apiTable, BrokerIdentity broker, short transactionVersion) {
        this.apiTable = apiTable;
        this.broker = broker;
        this.transactionVersion = transactionVersion;
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
        response.setErrorCode(Errors.NONE.code()).setFinalizedFeaturesEpoch(-1);
        if (transactionVersion > 0) {
            response.supportedFeatures().add(new SupportedFeatureKey().setName(TRANSACTION_VERSION)
                    .setMinVersion((short) 0).setMaxVersion(MAX_TRANSACTION_VERSION));
            response.finalizedFeatures().add(new FinalizedFeatureKey().setName(TRANSACTION_VERSION)
                    .setMinVersionLevel(transactionVersion).setMaxVersionLevel(transactionVersion));
            response.setFinalizedFeaturesEpoch(featuresEpoch);
        }
        return Mono.just(response);
    }

    private ApiVersionCollection advertised() {
        ApiVersionCollection keys = new ApiVersionCollection();
        for (Api api : apiTable.get().served()) {
            keys.add(new ApiVersion().setApiKey(api.id()).setMinVersion(api.minVersion()).setMaxVersion(api.maxVersion()));
        }
        return keys;
    }
}
