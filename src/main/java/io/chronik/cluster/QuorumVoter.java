package io.chronik.cluster;

/** One node of the metadata quorum: its node id and the address of its quorum port. */
public record QuorumVoter(int id, String host, int port) {

    /** host:port, with an IPv6 host in brackets. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return id + "@" + address();
    }
}
