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

    // ---- as stored (GroupRecords) ----

    GroupRecords.ConsumerGroupValue toRecord() {
        return new GroupRecords.ConsumerGroupValue(epoch, assignmentEpoch, assignor, fingerprint);
    }

    GroupRecords.ConsumerMemberValue toRecord(Member m) {
        return new GroupRecords.ConsumerMemberValue(m.instanceId, m.rackId, m.clientId, m.clientHost, m.topics,
                m.regex == null ? null : m.regex.pattern(), m.assignor, m.rebalanceTimeoutMs, m.epoch, m.previousEpoch,
                m.departed, sorted(m.assigned), sorted(m.pendingRevocation), sorted(target.getOrDefault(m.memberId, Set.of())));
    }

    /** In a fixed order, so an unchanged member encodes to the same bytes. */
    private static Set<Tp> sorted(Set<Tp> partitions) {
        Set<Tp> sorted = new java.util.LinkedHashSet<>();
        partitions.stream().sorted(java.util.Comparator.comparing((Tp tp) -> tp.topicId().toString())
                .thenComparingInt(Tp::partition)).forEach(sorted::add);
        return sorted;
    }

    /**
     * The group rebuilt from its records by a coordinator that just loaded it. Each member is taken to still own what
     * it was assigned or is revoking, until it reports otherwise; sessions are the caller's to start.
     */
    static ConsumerGroup fromRecords(String groupId, GroupRecords.ConsumerGroupValue stored,
                                     Map<String, GroupRecords.ConsumerMemberValue> storedMembers) {
        ConsumerGroup group = new ConsumerGroup(groupId);
        if (stored != null) {
            group.epoch = stored.groupEpoch();
            group.assignmentEpoch = stored.assignmentEpoch();
            group.assignor = stored.assignor() == null ? "uniform" : stored.assignor();
            group.fingerprint = stored.fingerprint() == null ? "" : stored.fingerprint();
        }
        storedMembers.forEach((memberId, m) -> {
            Member member = new Member(memberId);
            member.instanceId = m.instanceId();
            member.rackId = m.rackId();
            member.clientId = m.clientId();
            member.clientHost = m.clientHost();
            member.topics = m.topics();
            member.regex = m.regex() == null ? null : Pattern.compile(m.regex());
            member.assignor = m.assignor();
            member.rebalanceTimeoutMs = m.rebalanceTimeoutMs();
            member.epoch = m.memberEpoch();
            member.previousEpoch = m.previousEpoch();
            member.departed = m.departed();
            member.assigned = new HashSet<>(m.assigned());
            member.pendingRevocation = new HashSet<>(m.pendingRevocation());
            Set<Tp> owned = new HashSet<>(m.assigned());
            owned.addAll(m.pendingRevocation());
            member.owned = Set.copyOf(owned);
            member.sendAssignment = false;
            group.members.put(memberId, member);
            group.target.put(memberId, new HashSet<>(m.target()));
        });
        return group;
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
