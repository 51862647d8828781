package io.chronik.group;

import org.apache.kafka.common.protocol.Errors;

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

    /** The current generation as a JoinGroup answer to {@code member} (the members' metadata only for the leader). */
    JoinResult currentGeneration(Member member) {
        boolean leader = member.memberId.equals(leaderId);
        return new JoinResult(Errors.NONE.code(), generation, protocolType, protocolName, leaderId,
                member.memberId, leader ? memberMetadata() : List.of());
    }

    static boolean sameProtocols(List<Protocol> a, List<Protocol> b) {
        if (a == null || b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).name().equals(b.get(i).name()) || !java.util.Arrays.equals(a.get(i).metadata(), b.get(i).metadata())) {
                return false;
            }
        }
        return true;
    }

    /** Whether at least one of a joining member's protocols is supported by every current member. */
    boolean supportedByAll(String memberId, List<Protocol> protocols) {
        for (Protocol candidate : protocols) {
            boolean everyone = members.values().stream().filter(m -> !m.memberId.equals(memberId))
                    .allMatch(m -> m.protocols.stream().anyMatch(p -> p.name().equals(candidate.name())));
            if (everyone) {
                return true;
            }
        }
        return false;
    }

    /** Whether the caller is a current member, and (for static members) the current holder of its instance id. */
    Errors identityError(String memberId, String groupInstanceId) {
        // Kafka's order: a known instance id with another member id is fenced, before the member id is looked at.
        if (groupInstanceId != null) {
            String current = staticMembers.get(groupInstanceId);
            if (current == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (!current.equals(memberId)) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        return members.containsKey(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
    }

    /** A snapshot of the group for DescribeGroups and ListGroups; the caller holds the group's monitor. */
    GroupCoordinator.GroupView view() {
        List<GroupCoordinator.MemberView> views = new ArrayList<>();
        for (Member m : members.values()) {
            views.add(new GroupCoordinator.MemberView(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    protocolName == null ? new byte[0] : m.metadata(protocolName), m.assignment));
        }
        return new GroupCoordinator.GroupView(groupId, stateName(), protocolType == null ? "" : protocolType,
                protocolName == null ? "" : protocolName, views);
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
