package io.chronik.cluster;

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
