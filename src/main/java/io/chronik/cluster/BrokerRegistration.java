package io.chronik.cluster;

import java.util.UUID;

/**
 * A broker as the cluster knows it: its Kafka endpoint, the incarnation it registered with (new on every start),
 * its broker epoch (the quorum log index of that registration) and whether it is fenced. A fenced broker leads no
 * partition and is in no ISR it can be removed from.
 */
public record BrokerRegistration(int id, UUID incarnation, long epoch, String host, int port, boolean fenced) {

    BrokerRegistration withFenced(boolean value) {
        return new BrokerRegistration(id, incarnation, epoch, host, port, value);
    }
}
