package io.chronik.group;

import io.chronik.group.ConsumerGroupCoordinator.TopicMeta;
import io.chronik.group.ConsumerGroupCoordinator.Tp;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.regex.Pattern;

/**
 * One consumer-protocol (KIP-848) group's state: members with their subscriptions and assignments, the group epoch
 * and the target assignment, recomputed by the server-side assignor when the epoch moves. Guarded by its own monitor.
 */
final class ConsumerGroup {
    /** A member as the coordinator tracks it. */
    static final class Member {
        final String memberId;
        String instanceId;
        String rackId;
        String clientId;
        String clientHost;
        int epoch;
        int previousEpoch = -1;
        int rebalanceTimeoutMs = 300_000;
        List<String> topics = List.of();
        /** The subscribed topic pattern, compiled once when the member sends it. */
        Pattern regex;
        String assignor;
        Set<Tp> assigned = new HashSet<>();
        Set<Tp> pendingRevocation = new HashSet<>();
        Set<Tp> owned = Set.of();
        boolean sendAssignment = true;
        /** A static member that left with epoch -2 and may come back under a new member id. */
        boolean departed;
        ScheduledFuture<?> session;
        ScheduledFuture<?> revocation;

        Member(String memberId) {
            this.memberId = memberId;
        }
    }

    final String groupId;
    int epoch;
    int assignmentEpoch;
    String assignor = "uniform";
    String fingerprint = "";
    final Map<String, Member> members = new TreeMap<>();
    Map<String, Set<Tp>> target = new HashMap<>();
    /** The topics as the last heartbeat saw them (null after a load until the next heartbeat). */
    Map<String, TopicMeta> topics;
    /** Every member's record must be written again (the target moved, or members left). */
    boolean allDirty;

    ConsumerGroup(String groupId) {
        this.groupId = groupId;
    }

    String state() {
        if (members.isEmpty()) {
            return "Empty";
        }
        for (Member m : members.values()) {
            if (m.epoch != assignmentEpoch || !m.pendingRevocation.isEmpty()
                    || !m.assigned.equals(target.getOrDefault(m.memberId, Set.of()))) {
                return "Reconciling";
            }
        }
        return "Stable";
    }

    /** The group epoch moves and the target assignment is computed again. */
    void newTarget(Map<String, TopicMeta> topics) {
        epoch++;
        assignor = members.values().stream().map(m -> m.assignor).filter(Objects::nonNull).findFirst().orElse("uniform");
        Map<String, Set<String>> subscriptions = new TreeMap<>();
        members.values().forEach(m -> subscriptions.put(m.memberId, subscribed(m, topics)));
        target = "range".equals(assignor) ? Assignors.range(subscriptions, topics)
                : Assignors.uniform(subscriptions, topics, target);
        assignmentEpoch = epoch;
        allDirty = true;
    }

    private static Set<String> subscribed(Member m, Map<String, TopicMeta> topics) {
        Set<String> names = new TreeSet<>();
        for (String t : m.topics) {
            if (topics.containsKey(t)) {
                names.add(t);
            }
        }
        if (m.regex != null) {
            topics.keySet().stream().filter(t -> m.regex.matcher(t).matches()).forEach(names::add);
        }
        return names;
    }

    /** What the assignment depends on besides membership: the subscribed topics, their ids and partition counts. */
    String fingerprint(Map<String, TopicMeta> topics) {
        Set<String> names = new TreeSet<>();
        members.values().forEach(m -> names.addAll(subscribed(m, topics)));
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            TopicMeta t = topics.get(name);
            b.append(name).append(':').append(t.id()).append(':').append(t.partitions()).append(';');
        }
        return b.toString();
    }
}
