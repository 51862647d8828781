package io.chronik.cluster;

import io.chronik.cluster.MetadataQuery.BrokerState;
import io.chronik.cluster.MetadataQuery.DescribeQuorum;
import io.chronik.cluster.MetadataQuery.Heartbeat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static io.chronik.cluster.BinaryFormat.*;

/** The wire format of queries to the quorum leader and their answers: a version byte, then the fields. */
public final class QueryCodec {
    private static final byte VERSION = 1;
    private static final byte HEARTBEAT = 1;
    private static final byte DESCRIBE_QUORUM = 2;

    private QueryCodec() {
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] bytes(Writer writer) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            writer.write(out);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static DataInputStream reader(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException("unknown metadata query version " + version);
        }
        return in;
    }

    public static byte[] encode(MetadataQuery query) {
        return bytes(out -> {
            if (query instanceof Heartbeat h) {
                out.writeByte(HEARTBEAT);
                out.writeInt(h.brokerId());
                writeUuid(out, h.incarnation());
                out.writeLong(h.appliedIndex());
            } else {
                out.writeByte(DESCRIBE_QUORUM);
            }
        });
    }

    public static MetadataQuery decode(byte[] bytes) throws IOException {
        DataInputStream in = reader(bytes);
        byte type = in.readByte();
        return switch (type) {
            case HEARTBEAT -> new Heartbeat(in.readInt(), readUuid(in), in.readLong());
            case DESCRIBE_QUORUM -> new DescribeQuorum();
            default -> throw new IOException("unknown metadata query type " + type);
        };
    }

    public static byte[] encode(BrokerState state) {
        return bytes(out -> out.writeByte(state.ordinal()));
    }

    public static BrokerState decodeBrokerState(byte[] bytes) throws IOException {
        int ordinal = reader(bytes).readByte();
        if (ordinal < 0 || ordinal >= BrokerState.values().length) {
            throw new IOException("unknown broker state " + ordinal);
        }
        return BrokerState.values()[ordinal];
    }

    public static byte[] encode(QuorumStatus status) {
        return bytes(out -> {
            out.writeInt(status.leaderId());
            out.writeLong(status.term());
            out.writeLong(status.highWatermark());
            writeMembers(out, status.voters());
            writeMembers(out, status.observers());
        });
    }

    private static void writeMembers(DataOutputStream out, List<QuorumStatus.Voter> members) throws IOException {
        out.writeInt(members.size());
        for (QuorumStatus.Voter v : members) {
            out.writeInt(v.id());
            writeString(out, v.host());
            out.writeInt(v.port());
            out.writeLong(v.logEndOffset());
            out.writeLong(v.lastFetchTimestamp());
            out.writeLong(v.lastCaughtUpTimestamp());
        }
    }

    private static List<QuorumStatus.Voter> readMembers(DataInputStream in) throws IOException {
        int n = readCount(in);
        List<QuorumStatus.Voter> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            members.add(new QuorumStatus.Voter(in.readInt(), readString(in), in.readInt(), in.readLong(), in.readLong(), in.readLong()));
        }
        return members;
    }

    public static QuorumStatus decodeStatus(byte[] bytes) throws IOException {
        DataInputStream in = reader(bytes);
        int leader = in.readInt();
        long term = in.readLong();
        long highWatermark = in.readLong();
        List<QuorumStatus.Voter> voters = readMembers(in);
        // A leader of the previous release sends no observers.
        List<QuorumStatus.Voter> observers = in.available() > 0 ? readMembers(in) : List.of();
        return new QuorumStatus(leader, term, highWatermark, voters, observers);
    }
}
