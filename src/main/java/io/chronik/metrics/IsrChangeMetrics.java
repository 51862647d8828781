package io.chronik.metrics;

import io.chronik.cluster.ClusterImage;
import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.PartitionRegistration;
import io.chronik.replica.Partition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.function.Supplier;

/**
 * {@code chronik_isr_shrinks_total} and {@code chronik_isr_expands_total}: ISR changes a leader of this broker
 * proposed and the controller committed, as Kafka's leader counts them. A replica the controller itself removes from
 * an ISR (when it fences a broker) is not counted here.
 */
public final class IsrChangeMetrics {
    private final Counter shrinks;
    private final Counter expands;
    private final Supplier<ClusterImage> image;

    public IsrChangeMetrics(MeterRegistry registry, Supplier<ClusterImage> image) {
        this.image = image;
        shrinks = Counter.builder("chronik.isr.shrinks")
                .description("ISR shrinks proposed by a leader on this broker and committed").register(registry);
        expands = Counter.builder("chronik.isr.expands")
                .description("ISR expansions proposed by a leader on this broker and committed").register(registry);
    }

    /** {@code controller}, counting the proposals it commits as shrinks or expansions. */
    public Partition.IsrChanges counting(Partition.IsrChanges controller) {
        return change -> {
            int before = isrSize(change);
            return controller.apply(change).whenComplete((result, error) -> {
                if (error == null && result.ok() && before >= 0) {
                    if (change.isr().size() < before) {
                        shrinks.increment();
                    } else if (change.isr().size() > before) {
                        expands.increment();
                    }
                }
            });
        };
    }

    /** The ISR size the change starts from: the registration of its partition epoch; -1 when the image moved on. */
    private int isrSize(ChangePartition change) {
        return image.get().topic(change.topicId()).map(t -> t.partitions()).filter(ps -> change.partition() < ps.size())
                .map(ps -> ps.get(change.partition()))
                .filter(p -> p.partitionEpoch() == change.partitionEpoch())
                .map(PartitionRegistration::isr).map(List::size).orElse(-1);
    }
}
