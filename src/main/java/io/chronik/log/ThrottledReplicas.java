package io.chronik.log;

import java.util.HashSet;
import java.util.Set;

/**
 * The value of the topic configs {@code leader.replication.throttled.replicas} and
 * {@code follower.replication.throttled.replicas}: the literal {@code *} (every replica of the topic), or a list of
 * {@code partition:broker} pairs naming the replicas whose replication is throttled, or empty (none).
 */
public final class ThrottledReplicas {
    public static final String LEADER = "leader.replication.throttled.replicas";
    public static final String FOLLOWER = "follower.replication.throttled.replicas";

    /** The partitions a broker throttles for one topic: all of them, or those listed. */
    public record Partitions(boolean all, Set<Integer> listed) {
        public static final Partitions NONE = new Partitions(false, Set.of());

        public boolean contains(int partition) {
            return all || listed.contains(partition);
        }

        public boolean isEmpty() {
            return !all && listed.isEmpty();
        }
    }

    private ThrottledReplicas() {
    }

    /** Why {@code value} is not a valid throttled replica list, or null when it is. */
    public static String problem(String value) {
        String v = value.trim();
        if (v.isEmpty() || v.equals("*")) {
            return null;
        }
        for (String item : v.split(",", -1)) {
            String[] pair = item.trim().split(":", -1);
            if (pair.length != 2 || !isId(pair[0].trim()) || !isId(pair[1].trim())) {
                return "must be the literal '*' or a list of replicas in the following format: "
                        + "[partitionId]:[brokerId],[partitionId]:[brokerId],...";
            }
        }
        return null;
    }

    /**
     * The partitions of a topic whose replica on {@code brokerId} the list names; {@link Partitions#NONE} for an
     * absent, empty or invalid value.
     */
    public static Partitions forBroker(String value, int brokerId) {
        if (value == null || problem(value) != null) {
            return Partitions.NONE;
        }
        String v = value.trim();
        if (v.equals("*")) {
            return new Partitions(true, Set.of());
        }
        if (v.isEmpty()) {
            return Partitions.NONE;
        }
        Set<Integer> partitions = new HashSet<>();
        for (String item : v.split(",")) {
            String[] pair = item.trim().split(":");
            if (Integer.parseInt(pair[1].trim()) == brokerId) {
                partitions.add(Integer.parseInt(pair[0].trim()));
            }
        }
        return partitions.isEmpty() ? Partitions.NONE : new Partitions(false, Set.copyOf(partitions));
    }

    private static boolean isId(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return Long.parseLong(s) <= Integer.MAX_VALUE;
    }
}
