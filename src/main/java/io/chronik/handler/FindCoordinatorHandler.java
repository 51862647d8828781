package io.chronik.handler;

import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;

import java.util.Optional;
import java.util.Set;

/**
 * FindCoordinator: for a group (key type 0) the broker its {@link CoordinatorPlacement} names, for a transactional
 * id (key type 1) the broker the transaction placement names; v0-3 one key, v4+ a batch of keys, each with its own
 * error. COORDINATOR_NOT_AVAILABLE while the key's partition has no leader (or its topic does not exist yet).
 */
public final class FindCoordinatorHandler implements RequestHandler {
    static final byte KEY_TYPE_GROUP = 0;
    static final byte KEY_TYPE_TRANSACTION = 1;

    private final CoordinatorPlacement groups;
    private final CoordinatorPlacement transactions;

    public FindCoordinatorHandler(CoordinatorPlacement groups, CoordinatorPlacement transactions) {
        this.groups = groups;
        this.transactions = transactions;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.FIND_COORDINATOR);
    }

    @Override
    public Mono<FindCoordinatorResponseData> handle(KafkaRequest request) {
        FindCoordinatorRequestData body = request.body();
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        if (request.version() >= 4) {
            for (String key : body.coordinatorKeys()) {
                Optional<Node> node = coordinatorOf(body.keyType(), key);
                response.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key)
                        .setNodeId(node.map(Node::id).orElse(-1)).setHost(node.map(Node::host).orElse(""))
                        .setPort(node.map(Node::port).orElse(-1))
                        .setErrorCode(node.isPresent() ? Errors.NONE.code() : Errors.COORDINATOR_NOT_AVAILABLE.code()));
            }
            return Mono.just(response);
        }
        Optional<Node> node = coordinatorOf(body.keyType(), body.key());
        return Mono.just(response.setErrorCode(node.isPresent() ? Errors.NONE.code() : Errors.COORDINATOR_NOT_AVAILABLE.code())
                .setNodeId(node.map(Node::id).orElse(-1)).setHost(node.map(Node::host).orElse(""))
                .setPort(node.map(Node::port).orElse(-1)));
    }

    private Optional<Node> coordinatorOf(byte keyType, String key) {
        if (key == null) {
            return Optional.empty();
        }
        return switch (keyType) {
            case KEY_TYPE_GROUP -> groups.coordinator(key);
            case KEY_TYPE_TRANSACTION -> key.isEmpty() ? Optional.empty() : transactions.coordinator(key);
            default -> Optional.empty();
        };
    }
}
