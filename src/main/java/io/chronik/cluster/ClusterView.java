package io.chronik.cluster;

import java.util.List;

/** What a broker tells clients about the cluster: the active controller and the live brokers. */
public interface ClusterView {

    /** The controller (the quorum leader), or -1 while there is none. */
    int controllerId();

    /** Registered, unfenced brokers by id. */
    List<BrokerRegistration> liveBrokers();
}
