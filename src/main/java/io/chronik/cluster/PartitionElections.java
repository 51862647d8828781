package io.chronik.cluster;

import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How partitions follow broker liveness, as Kafka's controller decides it: a fenced broker leaves every ISR (but
 * an ISR never becomes empty: its last member stays, so it can lead again), a partition whose leader was fenced
 * gets the first live ISR member in replica order as leader, or none; only a topic with
 * unclean.leader.election.enable may elect a live replica outside the ISR. An unfenced broker takes back the
 * leadership of partitions that have none and list it in their ISR.
 */
final class PartitionElections {
    private PartitionElections() {
    }

    /** The state of a new partition: the live replicas in sync, the first of them leading. */
    static PartitionRegistration initial(List<Integer> replicas, ClusterImage image) {
        List<Integer> isr = replicas.stream().filter(image::isLive).toList();
        if (isr.isEmpty()) {
            isr = replicas;
        }
        int leader = replicas.stream().filter(image::isLive).findFirst().orElse(PartitionRegistration.NO_LEADER);
        return new PartitionRegistration(replicas, isr, leader, 0, 0);
    }

    /** Every topic after {@code brokerId} was fenced; {@code image} already shows it fenced. */
    static SortedMap<String, TopicImage> afterFencing(ClusterImage image, int brokerId) {
        TreeMap<String, TopicImage> topics = new TreeMap<>(image.topics());
        for (TopicImage topic : image.topics().values()) {
            TopicImage changed = topic;
            for (int p = 0; p < topic.partitions().size(); p++) {
                PartitionRegistration before = topic.partitions().get(p);
                if (!before.replicas().contains(brokerId)) {
                    continue;
                }
                List<Integer> isr = new ArrayList<>(before.isr());
                if (isr.size() > 1) {
                    isr.remove(Integer.valueOf(brokerId));
                }
                int leader = before.leader() == brokerId || before.leader() == PartitionRegistration.NO_LEADER
                        ? elect(before.replicas(), isr, image, topic.uncleanLeaderElection()) : before.leader();
                if (leader != before.leader() || !isr.equals(before.isr())) {
                    if (!isr.contains(leader) && leader != PartitionRegistration.NO_LEADER) {
                        isr = List.of(leader); // an unclean election starts a new ISR with the new leader
                    }
                    changed = changed.withPartition(p, before.change(isr, leader));
                }
            }
            if (changed != topic) {
                topics.put(topic.name(), changed);
            }
        }
        return topics;
    }

    /** Every topic after {@code brokerId} was unfenced: leaderless partitions it is in sync for get it as leader. */
    static SortedMap<String, TopicImage> afterUnfencing(ClusterImage image, int brokerId) {
        TreeMap<String, TopicImage> topics = new TreeMap<>(image.topics());
        for (TopicImage topic : image.topics().values()) {
            TopicImage changed = topic;
            for (int p = 0; p < topic.partitions().size(); p++) {
                PartitionRegistration before = topic.partitions().get(p);
                if (before.leader() == PartitionRegistration.NO_LEADER && before.replicas().contains(brokerId)) {
                    int leader = elect(before.replicas(), before.isr(), image, topic.uncleanLeaderElection());
                    if (leader != PartitionRegistration.NO_LEADER) {
                        List<Integer> isr = before.isr().contains(leader) ? before.isr() : List.of(leader);
                        changed = changed.withPartition(p, before.change(isr, leader));
                    }
                }
            }
            if (changed != topic) {
                topics.put(topic.name(), changed);
            }
        }
        return topics;
    }

    /** What an asked-for election does to one partition: its new state, or why it changes nothing. */
    record Election(PartitionRegistration next, Errors error, String message) {
    }

    /**
     * A preferred election makes the first replica leader when it is live and in the ISR (ELECTION_NOT_NEEDED when
     * it leads already, PREFERRED_LEADER_NOT_AVAILABLE otherwise); an unclean one gives a partition without leader
     * the first live ISR member, else the first live replica with an ISR of itself (ELECTION_NOT_NEEDED while the
     * partition has a leader, ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live).
     */
    static Election electLeader(PartitionRegistration before, ClusterImage image, boolean unclean) {
        if (!unclean) {
            int preferred = before.replicas().get(0);
            if (before.leader() == preferred) {
                return new Election(before, Errors.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.");
            }
            if (!before.isr().contains(preferred) || !image.isLive(preferred)) {
                return new Election(before, Errors.PREFERRED_LEADER_NOT_AVAILABLE, "Failed to elect leader for topic partition: "
                        + "preferred replica " + preferred + " is not " + (image.isLive(preferred) ? "in the ISR " + before.isr() : "live"));
            }
            return new Election(before.change(before.isr(), preferred), Errors.NONE, null);
        }
        if (before.leader() != PartitionRegistration.NO_LEADER) {
            return new Election(before, Errors.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.");
        }
        int leader = elect(before.replicas(), before.isr(), image, true);
        if (leader == PartitionRegistration.NO_LEADER) {
            return new Election(before, Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE, "Failed to elect leader for topic partition: "
                    + "none of the replicas " + before.replicas() + " is live");
        }
        List<Integer> isr = before.isr().contains(leader) ? before.isr() : List.of(leader);
        return new Election(before.change(isr, leader), Errors.NONE, null);
    }

    private static int elect(List<Integer> replicas, List<Integer> isr, ClusterImage image, boolean unclean) {
        for (int r : replicas) {
            if (isr.contains(r) && image.isLive(r)) {
                return r;
            }
        }
        if (unclean) {
            for (int r : replicas) {
                if (image.isLive(r)) {
                    return r;
                }
            }
        }
        return PartitionRegistration.NO_LEADER;
    }
}
