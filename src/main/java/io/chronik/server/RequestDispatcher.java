package io.chronik.server;

import io.chronik.handler.RequestHandler;
import io.chronik.protocol.Api;
import io.chronik.protocol.ApiTable;
import io.chronik.protocol.CloseConnectionException;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.protocol.ApiMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Routes each request to the handler registered for its API key. */
public final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);

    private final Map<Api, RequestHandler> handlers = new EnumMap<>(Api.class);
    private final ApiTable apiTable;

    public RequestDispatcher(List<RequestHandler> all) {
        for (RequestHandler handler : all) {
            for (Api api : handler.apis()) {
                RequestHandler previous = handlers.put(api, handler);
                if (previous != null) {
                    throw new IllegalStateException(api + " is served by both " + previous.getClass().getSimpleName()
                            + " and " + handler.getClass().getSimpleName());
                }
            }
        }
        this.apiTable = new ApiTable(handlers.keySet());
    }

    public ApiTable apiTable() {
        return apiTable;
    }

    /**
     * Calls the handler now (its {@code handle} has returned when this does) and returns its response; an unexpected
     * failure becomes the API's error response (UNKNOWN_SERVER_ERROR). A {@link CloseConnectionException} passes
     * through, for the connection to close in order.
     */
    Mono<ApiMessage> dispatch(KafkaRequest request) {
        RequestHandler handler = handlers.get(request.api());
        Mono<? extends ApiMessage> handled;
        try {
            handled = handler.handle(request);
        } catch (RuntimeException e) {
            handled = Mono.error(e);
        }
        return handled.map(ApiMessage.class::cast)
                .onErrorResume(e -> !(e instanceof CloseConnectionException), e -> {
                    log.warn("{} failed: {}", request, e.toString(), e);
                    return Mono.fromCallable(() -> request.errorResponse(e));
                });
    }
}
