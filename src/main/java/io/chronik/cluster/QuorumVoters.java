package io.chronik.cluster;

import io.chronik.config.InvalidConfigurationException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The voters of the metadata quorum, parsed from {@code chronik.cluster.voters} ({@code id@host:port,...}). Every
 * mistake stops startup with one message naming the key: an entry that does not parse, a node id that is not a
 * positive integer, a port out of range, an id or an address listed twice, or a list without this broker's id.
 */
public final class QuorumVoters {
    public static final String KEY = "chronik.cluster.voters";

    private final List<QuorumVoter> voters;

    private QuorumVoters(List<QuorumVoter> voters) {
        this.voters = List.copyOf(voters);
    }

    /** Parses and checks the list for the broker with id {@code nodeId}. */
    public static QuorumVoters parse(String spec, int nodeId) {
        QuorumVoters parsed = parse(spec);
        if (parsed.voter(nodeId).isEmpty()) {
            throw new InvalidConfigurationException(KEY, spec,
                    "does not list this broker's chronik.node-id (" + nodeId + "); every broker of the cluster is a voter");
        }
        return parsed;
    }

    /**
     * The quorum address of an observer ({@code host:port}, {@code key} naming its setting), checked as a voter's
     * address is; it must not be a voter's address.
     */
    public QuorumVoter observer(String key, String address, int nodeId) {
        QuorumVoter observer;
        try {
            observer = parseEntry(address, nodeId + "@" + (address == null ? "" : address.trim()));
        } catch (InvalidConfigurationException e) {
            throw new InvalidConfigurationException(key, address, "cannot parse it; expected host:port");
        }
        if (voters.stream().anyMatch(v -> v.address().equalsIgnoreCase(observer.address()))) {
            throw new InvalidConfigurationException(key, address, "is the address of a voter in " + KEY);
        }
        return observer;
    }

    /** Parses and checks the list on its own (ids, addresses, duplicates). */
    public static QuorumVoters parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new InvalidConfigurationException(KEY, spec, "lists no voter; expected id@host:port,...");
        }
        List<QuorumVoter> voters = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (String raw : spec.split(",", -1)) {
            QuorumVoter voter = parseEntry(spec, raw.trim());
            if (!ids.add(voter.id())) {
                throw new InvalidConfigurationException(KEY, spec, "node id " + voter.id() + " is listed more than once");
            }
            if (!addresses.add(voter.address().toLowerCase(java.util.Locale.ROOT))) {
                throw new InvalidConfigurationException(KEY, spec, "address " + voter.address() + " is listed more than once");
            }
            voters.add(voter);
        }
        return new QuorumVoters(voters);
    }

    private static QuorumVoter parseEntry(String spec, String entry) {
        int at = entry.indexOf('@');
        int colon = entry.lastIndexOf(':');
        if (at <= 0 || colon < at + 2 || colon == entry.length() - 1) {
            throw unparseable(spec, entry);
        }
        String host = entry.substring(at + 1, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
            throw unparseable(spec, entry);
        }
        int id;
        int port;
        try {
            id = Integer.parseInt(entry.substring(0, at));
            port = Integer.parseInt(entry.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw unparseable(spec, entry);
        }
        if (id <= 0) {
            throw new InvalidConfigurationException(KEY, spec, "node ids must be positive integers, not " + id + " in '" + entry + "'");
        }
        if (port < 1 || port > 65535) {
            throw new InvalidConfigurationException(KEY, spec, "port " + port + " in '" + entry + "' is not between 1 and 65535");
        }
        return new QuorumVoter(id, host, port);
    }

    private static InvalidConfigurationException unparseable(String spec, String entry) {
        return new InvalidConfigurationException(KEY, spec, "cannot parse '" + entry + "'; expected id@host:port");
    }

    public List<QuorumVoter> all() {
        return voters;
    }

    public int size() {
        return voters.size();
    }

    public Optional<QuorumVoter> voter(int id) {
        return voters.stream().filter(v -> v.id() == id).findFirst();
    }

    @Override
    public String toString() {
        return voters.toString();
    }
}
