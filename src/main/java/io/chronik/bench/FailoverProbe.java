package io.chronik.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failover probe: an idempotent acks=all producer sends to one partition at a fixed rate; after a warm-up the probe
 * finds the partition's leader, kills that broker's process with SIGKILL (kill -9) and measures the time from the kill
 * to the first acknowledgement after it. It then keeps sending for a while, reads the partition back and checks that
 * every acknowledged record is there. Works against any Kafka-compatible cluster whose broker processes it may kill.
 *
 * <p>Prints {@code key=value} lines: {@code killed_broker}, {@code killed_controller}, {@code failover_ms}, {@code acked}, {@code failed},
 * {@code lost}, {@code duplicates}. Exit code 0 when a failover was measured with nothing failed or lost, 1 otherwise,
 * 2 on bad arguments.
 */
@Command(name = "failover-probe", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Kills the leader of a partition under acks=all load and measures the time to the next acknowledgement.")
public final class FailoverProbe implements Callable<Integer> {
    @Option(names = {"-b", "--bootstrap-servers"}, required = true, description = "bootstrap servers")
    String bootstrap;

    @Option(names = {"-t", "--topic"}, required = true, description = "an existing topic (replication factor 3 for a meaningful run)")
    String topic;

    @Option(names = "--partition", defaultValue = "0", description = "the partition whose leader is killed (default ${DEFAULT-VALUE})")
    int partition;

    @Option(names = "--broker-pid", required = true, description = "brokerId=pid of every broker the probe may kill, repeated")
    Map<Integer, Long> brokerPids;

    @Option(names = "--rate", defaultValue = "200", description = "records per second (default ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--record-size", defaultValue = "256", description = "value bytes per record (default ${DEFAULT-VALUE})")
    int recordSize;

    @Option(names = "--warmup", defaultValue = "3s", converter = DurationParser.class,
            description = "sending before the kill (default ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--after", defaultValue = "2s", converter = DurationParser.class,
            description = "sending after the first acknowledgement that follows the kill (default ${DEFAULT-VALUE})")
    Duration after;

    @Option(names = "--timeout", defaultValue = "120s", converter = DurationParser.class,
            description = "longest wait for the in-sync replicas before, and for an acknowledgement after, the kill (default ${DEFAULT-VALUE})")
    Duration timeout;

    /**
     * Answers the killed leader wrote to its sockets just before it died may still be read after the kill; an
     * acknowledgement within this time of the kill is not taken for the new leader's.
     */
    private static final long IN_FLIGHT_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final PrintStream out;
    private final AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstAckAfterKill = new AtomicLong(Long.MAX_VALUE);
    private final LongAdder failed = new LongAdder();
    private final BitSet acked = new BitSet();
    /** Keys are run << 32 | sequence, so runs on the same topic (repeats) tell their records apart. */
    private final long run = (System.nanoTime() ^ ProcessHandle.current().pid()) & 0x7fffffffL;

    public FailoverProbe() {
        this(System.out);
    }

    FailoverProbe(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        BenchLauncher.quietLogging();
        System.exit(run(System.out, System.err, args));
    }

    static int run(PrintStream out, PrintStream err, String... args) {
        return BenchLauncher.run(new FailoverProbe(out), "failover-probe", 1, out, err, args);
    }

    @Override
    public Integer call() throws Exception {
        if (rate <= 0 || recordSize < Long.BYTES) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rate must be positive and --record-size at least 8");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            awaitFullIsr(admin, deadline);
            long sent;
            try (KafkaProducer<Long, byte[]> producer = new KafkaProducer<>(producerConfig())) {
                sent = sendAndKill(admin, producer);
                producer.flush();
            }
            long killed = killedAt.get();
            long firstAck = firstAckAfterKill.get();
            long lostCount;
            long duplicates;
            long[] readBack = readBack(sent);
            lostCount = readBack[0];
            duplicates = readBack[1];
            synchronized (acked) {
                out.println("acked=" + acked.cardinality());
            }
            out.println("sent=" + sent);
            out.println("failed=" + failed.sum());
            out.println("lost=" + lostCount);
            out.println("duplicates=" + duplicates);
            boolean measured = killed != Long.MAX_VALUE && firstAck != Long.MAX_VALUE;
            out.println("failover_ms=" + (measured ? String.format("%.1f", (firstAck - killed) / 1e6) : "n/a"));
            return measured && failed.sum() == 0 && lostCount == 0 ? 0 : 1;
        }
    }

    private Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, LongSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** Sends at the fixed rate, kills the leader after the warm-up, and stops {@link #after} past the first acknowledgement after the kill. */
    private long sendAndKill(Admin admin, KafkaProducer<Long, byte[]> producer) throws Exception {
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long killAt = start + warmup.toNanos();
        long stopAt = Long.MAX_VALUE;
        long giveUpAt = killAt + timeout.toNanos();
        long seq = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= stopAt || now >= giveUpAt) {
                return seq;
            }
            if (killedAt.get() == Long.MAX_VALUE && now >= killAt) {
                killLeader(admin);
            }
            long firstAck = firstAckAfterKill.get();
            if (stopAt == Long.MAX_VALUE && firstAck != Long.MAX_VALUE) {
                stopAt = firstAck + after.toNanos();
            }
            long due = start + seq * intervalNanos;
            if (now < due) {
                TimeUnit.NANOSECONDS.sleep(Math.min(due - now, TimeUnit.MILLISECONDS.toNanos(10)));
                continue;
            }
            long id = seq++;
            byte[] value = new byte[recordSize];
            producer.send(new ProducerRecord<>(topic, partition, run << 32 | id, value), (metadata, error) -> {
                if (error != null) {
                    failed.increment();
                    return;
                }
                long at = System.nanoTime();
                long killed = killedAt.get();
                if (killed != Long.MAX_VALUE && at - killed > IN_FLIGHT_GRACE_NANOS) {
                    firstAckAfterKill.accumulateAndGet(at, Math::min);
                }
                synchronized (acked) {
                    acked.set((int) id);
                }
            });
        }
    }

    private void killLeader(Admin admin) throws Exception {
        Node leader = partitionInfo(admin).leader();
        if (leader == null) {
            throw new IllegalStateException(topic + "-" + partition + " has no leader before the kill");
        }
        Long pid = brokerPids.get(leader.id());
        if (pid == null) {
            throw new IllegalStateException("no --broker-pid for broker " + leader.id() + ", the leader of " + topic + "-" + partition);
        }
        ProcessHandle process = ProcessHandle.of(pid)
                .orElseThrow(() -> new IllegalStateException("broker " + leader.id() + " (pid " + pid + ") is not running"));
        int controller = controller(admin);
        long now = System.nanoTime();
        killedAt.set(now);
        // SIGKILL on Unix: the process gets no chance to hand over its leaderships.
        if (!process.destroyForcibly()) {
            throw new IllegalStateException("could not kill broker " + leader.id() + " (pid " + pid + ")");
        }
        out.println("killed_broker=" + leader.id());
        // Whether the kill also took the metadata quorum's leader: then an election comes before the broker is fenced.
        out.println("killed_controller=" + (controller < 0 ? "unknown" : controller == leader.id()));
        out.flush();
    }

    /** The metadata quorum's leader (the active controller), or -1 when the cluster does not say. */
    private static int controller(Admin admin) {
        try {
            return admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
        } catch (Exception e) {
            return -1;
        }
    }

    private TopicPartitionInfo partitionInfo(Admin admin) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        return description.partitions().get(partition);
    }

    /** Waits until every replica of the partition is in sync (after a restart, the restarted broker has caught up). */
    private void awaitFullIsr(Admin admin, long deadline) throws Exception {
        while (true) {
            TopicPartitionInfo info = partitionInfo(admin);
            if (info.leader() != null && info.isr().size() == info.replicas().size()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(topic + "-" + partition + " in-sync replicas " + info.isr()
                        + " never reached all replicas " + info.replicas());
            }
            Thread.sleep(200);
        }
    }

    /** Reads the partition from its start: {lost acknowledged records, records read more than once}. */
    private long[] readBack(long sent) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        BitSet seen = new BitSet();
        long duplicates = 0;
        TopicPartition tp = new TopicPartition(topic, partition);
        try (KafkaConsumer<Long, byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp, Duration.ofSeconds(30)) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<Long, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    long key = record.key();
                    long id = key & 0xffffffffL;
                    if (key >>> 32 != run || id >= sent) {
                        continue; // an earlier run's record on the same topic
                    }
                    if (seen.get((int) id)) {
                        duplicates++;
                    }
                    seen.set((int) id);
                }
            }
        }
        BitSet lost;
        synchronized (acked) {
            lost = (BitSet) acked.clone();
        }
        lost.andNot(seen);
        return new long[]{lost.cardinality(), duplicates};
    }
}
