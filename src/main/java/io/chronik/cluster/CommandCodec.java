package io.chronik.cluster;

import io.chronik.cluster.MetadataCommand.AllocateProducerIds;
import io.chronik.cluster.MetadataCommand.AlterBrokerConfigs;
import io.chronik.cluster.MetadataCommand.AlterTopicConfigs;
import io.chronik.cluster.MetadataCommand.ChangePartition;
import io.chronik.cluster.MetadataCommand.CreatePartitions;
import io.chronik.cluster.MetadataCommand.CreateTopic;
import io.chronik.cluster.MetadataCommand.DeleteTopic;
import io.chronik.cluster.MetadataCommand.ElectLeader;
import io.chronik.cluster.MetadataCommand.FenceBroker;
import io.chronik.cluster.MetadataCommand.ReassignPartition;
import io.chronik.cluster.MetadataCommand.RegisterBroker;
import io.chronik.cluster.MetadataCommand.UnfenceBroker;
import org.apache.kafka.common.protocol.Errors;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static io.chronik.cluster.BinaryFormat.*;

/**
 * The quorum log's entry format: a version byte, a type byte and the command's fields. A new field or command
 * gets a new version or type; entries already in logs and snapshots keep their meaning.
 */
public final class CommandCodec {
    static final byte VERSION = 1;

    private static final byte REGISTER_BROKER = 1;
    private static final byte FENCE_BROKER = 2;
    private static final byte UNFENCE_BROKER = 3;
    private static final byte CREATE_TOPIC = 4;
    private static final byte DELETE_TOPIC = 5;
    private static final byte CHANGE_PARTITION = 6;
    private static final byte CREATE_PARTITIONS = 7;
    private static final byte ALTER_TOPIC_CONFIGS = 8;
    private static final byte ALLOCATE_PRODUCER_IDS = 9;
    private static final byte ELECT_LEADER = 10;
    private static final byte REASSIGN_PARTITION = 11;
    private static final byte ALTER_BROKER_CONFIGS = 12;

    private CommandCodec() {
    }

    public static byte[] encode(MetadataCommand command) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            if (command instanceof RegisterBroker c) {
                out.writeByte(REGISTER_BROKER);
                out.writeInt(c.brokerId());
                writeUuid(out, c.incarnation());
                writeString(out, c.clusterId());
                writeString(out, c.host());
                out.writeInt(c.port());
            } else if (command instanceof FenceBroker c) {
                out.writeByte(FENCE_BROKER);
                out.writeInt(c.brokerId());
                writeUuid(out, c.incarnation());
            } else if (command instanceof UnfenceBroker c) {
                out.writeByte(UNFENCE_BROKER);
                out.writeInt(c.brokerId());
                writeUuid(out, c.incarnation());
            } else if (command instanceof CreateTopic c) {
                out.writeByte(CREATE_TOPIC);
                writeUuid(out, c.topicId());
                writeString(out, c.name());
                writeMap(out, c.configs());
                out.writeInt(c.assignments().size());
                for (List<Integer> replicas : c.assignments()) {
                    writeInts(out, replicas);
                }
            } else if (command instanceof DeleteTopic c) {
                out.writeByte(DELETE_TOPIC);
                writeUuid(out, c.topicId());
            } else if (command instanceof ChangePartition c) {
                out.writeByte(CHANGE_PARTITION);
                writeUuid(out, c.topicId());
                out.writeInt(c.partition());
                out.writeInt(c.leader());
                writeInts(out, c.isr());
                out.writeInt(c.partitionEpoch());
            } else if (command instanceof CreatePartitions c) {
                out.writeByte(CREATE_PARTITIONS);
                writeUuid(out, c.topicId());
                writeAssignments(out, c.newAssignments());
            } else if (command instanceof AllocateProducerIds c) {
                out.writeByte(ALLOCATE_PRODUCER_IDS);
                out.writeInt(c.brokerId());
            } else if (command instanceof AlterTopicConfigs c) {
                out.writeByte(ALTER_TOPIC_CONFIGS);
                writeUuid(out, c.topicId());
                writeMap(out, c.configs());
            } else if (command instanceof ElectLeader c) {
                out.writeByte(ELECT_LEADER);
                writeUuid(out, c.topicId());
                out.writeInt(c.partition());
                out.writeBoolean(c.unclean());
            } else if (command instanceof ReassignPartition c) {
                out.writeByte(REASSIGN_PARTITION);
                writeUuid(out, c.topicId());
                out.writeInt(c.partition());
                out.writeBoolean(c.targetReplicas() != null);
                if (c.targetReplicas() != null) {
                    writeInts(out, c.targetReplicas());
                }
            } else if (command instanceof AlterBrokerConfigs c) {
                out.writeByte(ALTER_BROKER_CONFIGS);
                writeString(out, c.resource());
                writeMap(out, c.set());
                out.writeInt(c.deleted().size());
                for (String key : c.deleted()) {
                    writeString(out, key);
                }
            } else {
                throw new IllegalArgumentException("unknown command " + command);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static MetadataCommand decode(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException("unknown metadata command version " + version);
        }
        byte type = in.readByte();
        MetadataCommand command = switch (type) {
            case REGISTER_BROKER -> new RegisterBroker(in.readInt(), readUuid(in), readString(in), readString(in), in.readInt());
            case FENCE_BROKER -> new FenceBroker(in.readInt(), readUuid(in));
            case UNFENCE_BROKER -> new UnfenceBroker(in.readInt(), readUuid(in));
            case CREATE_TOPIC -> {
                java.util.UUID id = readUuid(in);
                String name = readString(in);
                java.util.Map<String, String> configs = readMap(in);
                int n = readCount(in);
                List<List<Integer>> assignments = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    assignments.add(readInts(in));
                }
                yield new CreateTopic(id, name, configs, assignments);
            }
            case DELETE_TOPIC -> new DeleteTopic(readUuid(in));
            case CHANGE_PARTITION -> new ChangePartition(readUuid(in), in.readInt(), in.readInt(), readInts(in), in.readInt());
            case CREATE_PARTITIONS -> new CreatePartitions(readUuid(in), readAssignments(in));
            case ALTER_TOPIC_CONFIGS -> new AlterTopicConfigs(readUuid(in), readMap(in));
            case ALLOCATE_PRODUCER_IDS -> new AllocateProducerIds(in.readInt());
            case ELECT_LEADER -> new ElectLeader(readUuid(in), in.readInt(), in.readBoolean());
            case REASSIGN_PARTITION -> new ReassignPartition(readUuid(in), in.readInt(), in.readBoolean() ? readInts(in) : null);
            case ALTER_BROKER_CONFIGS -> {
                String resource = readString(in);
                java.util.Map<String, String> set = readMap(in);
                int n = readCount(in);
                List<String> deleted = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    deleted.add(readString(in));
                }
                yield new AlterBrokerConfigs(resource, set, deleted);
            }
            default -> throw new IOException("unknown metadata command type " + type);
        };
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes left after a metadata command of type " + type);
        }
        return command;
    }

    private static void writeAssignments(DataOutputStream out, List<List<Integer>> assignments) throws IOException {
        out.writeInt(assignments.size());
        for (List<Integer> replicas : assignments) {
            writeInts(out, replicas);
        }
    }

    private static List<List<Integer>> readAssignments(DataInputStream in) throws IOException {
        int n = readCount(in);
        List<List<Integer>> assignments = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            assignments.add(readInts(in));
        }
        return assignments;
    }

    public static byte[] encodeResult(CommandResult result) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(16);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeShort(result.error().code());
            writeString(out, result.message());
            out.writeLong(result.value());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static CommandResult decodeResult(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException("unknown metadata result version " + version);
        }
        Errors error = Errors.forCode(in.readShort());
        String message = readString(in);
        return new CommandResult(error, message, in.available() >= Long.BYTES ? in.readLong() : -1);
    }
}
