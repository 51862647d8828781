package io.chronik.group;

import io.chronik.group.ConsumerGroupCoordinator.TopicMeta;
import io.chronik.group.ConsumerGroupCoordinator.Tp;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The server-side assignors of the consumer group protocol. Inputs: member id to subscribed topic names. */
final class Assignors {
    private Assignors() {
    }

    /** Per topic, its partitions split into contiguous ranges over the subscribed members in member-id order. */
    static Map<String, Set<Tp>> range(Map<String, Set<String>> subscriptions, Map<String, TopicMeta> topics) {
        Map<String, Set<Tp>> result = new HashMap<>();
        subscriptions.keySet().forEach(m -> result.put(m, new HashSet<>()));
        Map<String, List<String>> subscribers = new TreeMap<>();
        subscriptions.forEach((member, names) -> names.forEach(t -> subscribers.computeIfAbsent(t, x -> new ArrayList<>()).add(member)));
        subscribers.forEach((topic, members) -> {
            members.sort(Comparator.naturalOrder());
            TopicMeta meta = topics.get(topic);
            int per = meta.partitions() / members.size();
            int extra = meta.partitions() % members.size();
            int next = 0;
            for (int i = 0; i < members.size(); i++) {
                int count = per + (i < extra ? 1 : 0);
                for (int p = next; p < next + count; p++) {
                    result.get(members.get(i)).add(new Tp(meta.id(), p));
                }
                next += count;
            }
        });
        return result;
    }

    /**
     * Every subscribed partition spread evenly over the members subscribed to its topic, keeping each member's
     * previous partitions where that stays balanced (sticky), so a membership change moves as little as possible.
     */
    static Map<String, Set<Tp>> uniform(Map<String, Set<String>> subscriptions, Map<String, TopicMeta> topics,
                                        Map<String, Set<Tp>> previous) {
        Map<String, Set<Tp>> result = new TreeMap<>();
        subscriptions.keySet().forEach(m -> result.put(m, new HashSet<>()));
        if (subscriptions.isEmpty()) {
            return result;
        }
        Map<Tp, String> topicOf = new HashMap<>();
        List<Tp> all = new ArrayList<>();
        new TreeMap<>(topics).forEach((name, meta) -> {
            boolean wanted = subscriptions.values().stream().anyMatch(s -> s.contains(name));
            if (wanted) {
                for (int p = 0; p < meta.partitions(); p++) {
                    Tp tp = new Tp(meta.id(), p);
                    all.add(tp);
                    topicOf.put(tp, name);
                }
            }
        });
        int members = subscriptions.size();
        int minQuota = all.size() / members;
        int extras = all.size() % members;
        Set<Tp> taken = new HashSet<>();
        // Sticky pass: members with most previous partitions first keep up to their quota.
        List<String> order = new ArrayList<>(subscriptions.keySet());
        order.sort(Comparator.comparingInt((String m) -> -previous.getOrDefault(m, Set.of()).size()).thenComparing(m -> m));
        for (String member : order) {
            int allowance = minQuota + (extras > 0 ? 1 : 0);
            List<Tp> keep = new ArrayList<>();
            for (Tp tp : previous.getOrDefault(member, Set.of())) {
                String topic = topicOf.get(tp);
                if (topic != null && subscriptions.get(member).contains(topic) && !taken.contains(tp) && keep.size() < allowance) {
                    keep.add(tp);
                }
            }
            if (keep.size() > minQuota) {
                extras--;
            }
            taken.addAll(keep);
            result.get(member).addAll(keep);
        }
        // The rest go, in topic and partition order, to the least-loaded member subscribed to their topic.
        for (Tp tp : all) {
            if (taken.contains(tp)) {
                continue;
            }
            String topic = topicOf.get(tp);
            String best = null;
            for (Map.Entry<String, Set<String>> e : subscriptions.entrySet()) {
                if (e.getValue().contains(topic) && (best == null || result.get(e.getKey()).size() < result.get(best).size())) {
                    best = e.getKey();
                }
            }
            if (best != null) {
                result.get(best).add(tp);
            }
        }
        return result;
    }
}
