package io.chronik.group;

import io.chronik.group.ConsumerGroupCoordinator.TopicMeta;
import io.chronik.group.ConsumerGroupCoordinator.Tp;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The consumer protocol's server-side assignors. */
class AssignorsTest {
    private static final TopicMeta A = new TopicMeta("a", Uuid.randomUuid(), 7);
    private static final TopicMeta B = new TopicMeta("b", Uuid.randomUuid(), 2);
    private static final Map<String, TopicMeta> TOPICS = Map.of("a", A, "b", B);

    private static Map<String, Set<String>> everyone(String... members) {
        Map<String, Set<String>> subs = new TreeMap<>();
        for (String m : members) {
            subs.put(m, Set.of("a", "b"));
        }
        return subs;
    }

    private static void assertCompleteAndDisjoint(Map<String, Set<Tp>> assignment, int partitions) {
        Set<Tp> all = new HashSet<>();
        int total = 0;
        for (Set<Tp> s : assignment.values()) {
            all.addAll(s);
            total += s.size();
        }
        assertThat(all).hasSize(partitions);
        assertThat(total).isEqualTo(partitions);
    }

    @Test
    void uniformIsBalancedAndMovesOnlyWhatItMust() {
        Map<String, Set<Tp>> three = Assignors.uniform(everyone("m1", "m2", "m3"), TOPICS, Map.of());
        assertCompleteAndDisjoint(three, 9);
        assertThat(three.values()).allSatisfy(s -> assertThat(s).hasSize(3));

        Map<String, Set<Tp>> four = Assignors.uniform(everyone("m1", "m2", "m3", "m4"), TOPICS, three);
        assertCompleteAndDisjoint(four, 9);
        assertThat(four.values()).allSatisfy(s -> assertThat(s.size()).isBetween(2, 3));
        for (String m : three.keySet()) {
            // Sticky: every old member keeps at least two of its three partitions.
            Set<Tp> kept = new HashSet<>(three.get(m));
            kept.retainAll(four.get(m));
            assertThat(kept.size()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void uniformOnlyGivesMembersTopicsTheySubscribeTo() {
        Map<String, Set<String>> subs = new TreeMap<>(Map.of("m1", Set.of("a"), "m2", Set.of("a", "b")));
        Map<String, Set<Tp>> assignment = Assignors.uniform(subs, TOPICS, Map.of());
        assertCompleteAndDisjoint(assignment, 9);
        assertThat(assignment.get("m1")).allMatch(tp -> tp.topicId().equals(A.id()));
    }

    @Test
    void rangeSplitsEachTopicIntoContiguousRanges() {
        Map<String, Set<Tp>> assignment = Assignors.range(everyone("m1", "m2"), TOPICS);
        assertCompleteAndDisjoint(assignment, 9);
        assertThat(assignment.get("m1")).containsExactlyInAnyOrder(new Tp(A.id(), 0), new Tp(A.id(), 1), new Tp(A.id(), 2),
                new Tp(A.id(), 3), new Tp(B.id(), 0));
        assertThat(assignment.get("m2")).containsExactlyInAnyOrder(new Tp(A.id(), 4), new Tp(A.id(), 5), new Tp(A.id(), 6),
                new Tp(B.id(), 1));
    }
}
