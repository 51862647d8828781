package io.chronik.server;

import io.chronik.protocol.Records;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * One connection's handled responses that hold segment files (fetch) and are not encoded yet. When the connection
 * goes away, responses waiting for their turn are dropped without notice; whatever is still here then gives its
 * files back, and a response that completes after that gives them back at once. Holds at most the connection's
 * in-flight requests.
 */
final class UnsentResponses {
    private final Set<ApiMessage> pending = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    void add(ApiMessage body) {
        if (body == null || !Records.holdsFiles(body)) {
            return;
        }
        synchronized (this) {
            if (!closed) {
                pending.add(body);
                return;
            }
        }
        Records.releaseFiles(body);
    }

    /** The response is being encoded: from here the encoder owns its files. */
    void remove(ApiMessage body) {
        if (body != null && Records.holdsFiles(body)) {
            synchronized (this) {
                pending.remove(body);
            }
        }
    }

    void close() {
        List<ApiMessage> left;
        synchronized (this) {
            closed = true;
            left = new ArrayList<>(pending);
            pending.clear();
        }
        left.forEach(Records::releaseFiles);
    }
}
