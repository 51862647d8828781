package io.chronik.handler;

import io.chronik.config.ChronikProperties;

import java.util.function.IntSupplier;

/** Who this broker says it is: node id, advertised address and cluster id. */
public final class BrokerIdentity {
    private final ChronikProperties props;
    private final IntSupplier advertisedPort;

    public BrokerIdentity(ChronikProperties props, IntSupplier advertisedPort) {
        this.props = props;
        this.advertisedPort = advertisedPort;
    }

    public int nodeId() {
        return props.getNodeId();
    }

    public String host() {
        return props.getAdvertisedHost();
    }

    public int port() {
        return advertisedPort.getAsInt();
    }

    public String clusterId() {
        return props.getClusterId();
    }
}
