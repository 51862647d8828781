package io.chronik.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One classic consumer group's membership and rebalance state. Guarded by its own monitor. */
public final class ClassicGroup {
    enum State { EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE, DEAD }

    /** A group member as the coordinator tracks it. */
    static final class Member {
        final String memberId;
        final String groupInstanceId;
        final String clientId;
        final String clientHost;
        int sessionTimeoutMs;
        int rebalanceTimeoutMs;
        String protocolType;
        List<Protocol> protocols;
        byte[] assignment = new byte[0];
        CompletableFuture<JoinResult> join;
        CompletableFuture<SyncResult> sync;
        ScheduledFuture<?> sessionTimer;

        Member(String memberId, String groupInstanceId, String clientId, String clientHost) {
            this.memberId = memberId;
            this.groupInstanceId = groupInstanceId;
            this.clientId = clientId;
            this.clientHost = clientHost;
        }

        byte[] metadata(String protocol) {
            for (Protocol p : protocols) {
                if (p.name().equals(protocol)) {
                    return p.metadata();
                }
            }
            return new byte[0];
        }
    }

    /** A protocol (assignor) a joining member supports, with its opaque metadata. */
    public record Protocol(String name, byte[] metadata) {
    }

    /** A join request; {@code requireKnownMemberId} is true from JoinGroup v4 (the member-id round trip). */
    public record Join(String groupId, String memberId, String groupInstanceId, String clientId, String clientHost,
                       int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType, List<Protocol> protocols,
                       boolean requireKnownMemberId) {
    }

    /** What a JoinGroup request is answered with. */
    public record JoinResult(short error, int generation, String protocolType, String protocolName, String leader, String memberId,
                      List<MemberMetadata> members) {
    }

    public record MemberMetadata(String memberId, String groupInstanceId, byte[] metadata) {
    }

    public record SyncResult(short error, String protocolType, String protocolName, byte[] assignment) {
    }

    final String groupId;
    State state = State.EMPTY;
    int generation;
    String protocolType;
    String protocolName;
    String leaderId;
    final Map<String, Member> members = new LinkedHashMap<>();
    final Set<String> pendingMemberIds = new HashSet<>();
    final Map<String, String> staticMembers = new HashMap<>();
    ScheduledFuture<?> rebalanceTimer;
    long emptySince = System.currentTimeMillis();
    /** The delay before the first rebalance of an empty group completes, letting more members join. */
    boolean initialDelayPending;
    /** A new member joined during the initial delay: the delay is extended once more, as in Kafka. */
    boolean newMemberDuringDelay;
    /** How much longer the initial delay may still be extended (bounded by the rebalance timeout). */
    long initialDelayRemainingMs;

    /** Answers decided under this group's monitor, completed by the coordinator after it has released it. */
    private List<Runnable> answers;

    ClassicGroup(String groupId) {
        this.groupId = groupId;
    }

    /** Completes {@code future} with {@code result} once the coordinator has left this group's monitor. */
    <T> void answer(CompletableFuture<T> future, T result) {
        if (answers == null) {
            answers = new ArrayList<>(members.size());
        }
        answers.add(() -> future.complete(result));
    }

    /** The answers decided so far, in the order they were decided; the group keeps none. */
    List<Runnable> takeAnswers() {
        List<Runnable> taken = answers;
        answers = null;
        return taken == null ? List.of() : taken;
    }

    boolean allMembersJoined() {
        for (Member m : members.values()) {
            if (m.join == null) {
                return false;
            }
        }
        return pendingMemberIds.isEmpty();
    }

    /** The first protocol, in the leader's order of preference, that every member supports. */
    String selectProtocol() {
        Member first = members.values().iterator().next();
        for (Protocol candidate : first.protocols) {
            boolean everyone = members.values().stream().allMatch(m -> m.protocols.stream().anyMatch(p -> p.name().equals(candidate.name())));
            if (everyone) {
                return candidate.name();
            }
        }
        return first.protocols.isEmpty() ? "" : first.protocols.get(0).name();
    }

    List<MemberMetadata> memberMetadata() {
        List<MemberMetadata> list = new ArrayList<>();
        for (Member m : members.values()) {
            list.add(new MemberMetadata(m.memberId, m.groupInstanceId, m.metadata(protocolName)));
        }
        return list;
    }

    /**
     * The group as {@link GroupRecords} stores it: the current generation with its members and their assignments
     * (written when a generation's assignment is known, Stable, and when the group becomes Empty).
     */
    GroupRecords.ClassicGroupValue toRecord() {
        List<GroupRecords.ClassicMember> stored = new ArrayList<>(members.size());
        for (Member m : members.values()) {
            stored.add(new GroupRecords.ClassicMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    m.sessionTimeoutMs, m.rebalanceTimeoutMs, m.protocols, m.assignment));
        }
        return new GroupRecords.ClassicGroupValue(protocolType, protocolName, generation, leaderId,
                members.isEmpty() ? emptySince : System.currentTimeMillis(), stored);
    }

    /**
     * A group rebuilt from its record by a coordinator that just loaded it: Stable with the stored generation, members
     * and assignments, or Empty when it has no members. Member sessions are the caller's to start.
     */
    static ClassicGroup fromRecord(String groupId, GroupRecords.ClassicGroupValue stored) {
        ClassicGroup group = new ClassicGroup(groupId);
        group.protocolType = stored.protocolType();
        group.generation = stored.generation();
        if (stored.members().isEmpty()) {
            group.state = State.EMPTY;
            group.emptySince = stored.stateTimestamp();
            return group;
        }
        group.state = State.STABLE;
        group.protocolName = stored.protocol();
        group.leaderId = stored.leader();
        for (GroupRecords.ClassicMember m : stored.members()) {
            Member member = new Member(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost());
            member.sessionTimeoutMs = m.sessionTimeoutMs();
            member.rebalanceTimeoutMs = m.rebalanceTimeoutMs();
            member.protocolType = stored.protocolType();
            member.protocols = List.copyOf(m.protocols());
            member.assignment = m.assignment() == null ? new byte[0] : m.assignment();
            group.members.put(member.memberId, member);
            if (member.groupInstanceId != null) {
                group.staticMembers.put(member.groupInstanceId, member.memberId);
            }
        }
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        return group;
    }

    String stateName() {
        return switch (state) {
            case EMPTY -> "Empty";
            case PREPARING_REBALANCE -> "PreparingRebalance";
            case COMPLETING_REBALANCE -> "CompletingRebalance";
            case STABLE -> "Stable";
            case DEAD -> "Dead";
        };
    }
}
