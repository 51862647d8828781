package io.chronik.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

import static io.chronik.cluster.BinaryFormat.*;

/** The snapshot format of a {@link ClusterImage}: a version byte, the cluster id, the brokers, the topics. */
final class ImageCodec {
    private static final byte VERSION = 1;

    private ImageCodec() {
    }

    static void write(ClusterImage image, DataOutputStream out) throws IOException {
        out.writeByte(VERSION);
        writeString(out, image.clusterId());
        out.writeInt(image.brokers().size());
        for (BrokerRegistration b : image.brokers().values()) {
            out.writeInt(b.id());
            writeUuid(out, b.incarnation());
            out.writeLong(b.epoch());
            writeString(out, b.host());
            out.writeInt(b.port());
            out.writeBoolean(b.fenced());
        }
        out.writeInt(image.topics().size());
        for (TopicImage t : image.topics().values()) {
            writeUuid(out, t.id());
            writeString(out, t.name());
            writeMap(out, t.configs());
            out.writeInt(t.partitions().size());
            for (PartitionRegistration p : t.partitions()) {
                writeInts(out, p.replicas());
                writeInts(out, p.isr());
                out.writeInt(p.leader());
                out.writeInt(p.leaderEpoch());
                out.writeInt(p.partitionEpoch());
            }
        }
        out.writeLong(image.nextProducerId());
        // Reassignments in progress, after the fields older snapshots end with: topic, partition, adding, removing.
        int moving = 0;
        for (TopicImage t : image.topics().values()) {
            moving += (int) t.partitions().stream().filter(PartitionRegistration::reassigning).count();
        }
        out.writeInt(moving);
        for (TopicImage t : image.topics().values()) {
            for (int p = 0; p < t.partitions().size(); p++) {
                PartitionRegistration r = t.partitions().get(p);
                if (r.reassigning()) {
                    writeString(out, t.name());
                    out.writeInt(p);
                    writeInts(out, r.adding());
                    writeInts(out, r.removing());
                }
            }
        }
        // Dynamic broker configs, after the fields older snapshots end with: resource ("" the default), configs.
        out.writeInt(image.dynamicBrokerConfigs().size());
        for (java.util.Map.Entry<String, java.util.Map<String, String>> e : image.dynamicBrokerConfigs().entrySet()) {
            writeString(out, e.getKey());
            writeMap(out, e.getValue());
        }
    }

    static ClusterImage read(DataInputStream in) throws IOException {
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException("unknown cluster metadata snapshot version " + version);
        }
        String clusterId = readString(in);
        TreeMap<Integer, BrokerRegistration> brokers = new TreeMap<>();
        for (int i = readCount(in); i > 0; i--) {
            BrokerRegistration b = new BrokerRegistration(in.readInt(), readUuid(in), in.readLong(), readString(in),
                    in.readInt(), in.readBoolean());
            brokers.put(b.id(), b);
        }
        TreeMap<String, TopicImage> topics = new TreeMap<>();
        for (int i = readCount(in); i > 0; i--) {
            UUID id = readUuid(in);
            String name = readString(in);
            java.util.Map<String, String> configs = readMap(in);
            int n = readCount(in);
            List<PartitionRegistration> partitions = new ArrayList<>(n);
            for (int p = 0; p < n; p++) {
                partitions.add(new PartitionRegistration(readInts(in), readInts(in), in.readInt(), in.readInt(), in.readInt()));
            }
            topics.put(name, new TopicImage(id, name, configs, partitions));
        }
        // Snapshots written before producer id blocks end here.
        long nextProducerId = in.available() >= Long.BYTES ? in.readLong() : 0;
        // Snapshots written before reassignments end here.
        for (int i = in.available() >= Integer.BYTES ? readCount(in) : 0; i > 0; i--) {
            String name = readString(in);
            int p = in.readInt();
            List<Integer> adding = readInts(in);
            List<Integer> removing = readInts(in);
            TopicImage t = topics.get(name);
            PartitionRegistration r = t.partitions().get(p);
            topics.put(name, t.withPartition(p, new PartitionRegistration(r.replicas(), r.isr(), r.leader(), r.leaderEpoch(),
                    r.partitionEpoch(), adding, removing)));
        }
        // Snapshots written before dynamic broker configs end here.
        TreeMap<String, java.util.Map<String, String>> brokerConfigs = new TreeMap<>();
        for (int i = in.available() >= Integer.BYTES ? readCount(in) : 0; i > 0; i--) {
            brokerConfigs.put(readString(in), readMap(in));
        }
        return new ClusterImage(clusterId, brokers, topics, nextProducerId, brokerConfigs);
    }
}
