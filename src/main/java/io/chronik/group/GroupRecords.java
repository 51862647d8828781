package io.chronik.group;

import io.chronik.group.ClassicGroup.Protocol;
import io.chronik.group.ConsumerGroupCoordinator.Tp;
import org.apache.kafka.common.Uuid;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Chronik's record format for group membership in {@code __consumer_offsets}, beside the committed offsets of
 * {@link OffsetRecords} (key version 0). Every key starts with its kind (the key version) and names one group, or one
 * member of a consumer group, so compaction keeps the newest state of each; a removal is a tombstone (no value).
 * Values start with their own version (0 today); a reader refuses value versions it does not know.
 *
 * <pre>
 * key 2 classic group:          int16 2, string group
 *   value v0: int16 0, string protocolType, string protocol, int32 generation, string leader, int64 stateTimestamp,
 *             int32 members, per member: string memberId, string groupInstanceId, string clientId, string clientHost,
 *             int32 sessionTimeoutMs, int32 rebalanceTimeoutMs, int32 protocols, (string name, bytes metadata) each,
 *             bytes assignment
 * key 3 consumer group:         int16 3, string group
 *   value v0: int16 0, int32 groupEpoch, int32 assignmentEpoch, string assignor, string subscriptionFingerprint
 * key 4 consumer group member:  int16 4, string group, string memberId
 *   value v0: int16 0, string instanceId, string rackId, string clientId, string clientHost, int32 topics, string each,
 *             string regex, string assignor, int32 rebalanceTimeoutMs, int32 memberEpoch, int32 previousEpoch,
 *             int8 departed (a static member that left with epoch -2), partitions assigned,
 *             partitions pendingRevocation, partitions target (the member's share of the target assignment)
 * string: int32 length (-1 for null) then UTF-8; bytes: int32 length (-1 for null) then the bytes;
 * partitions: int32 count, then (16-byte topic id, int32 partition) each
 * </pre>
 */
public final class GroupRecords {
    public static final short CLASSIC_GROUP_KEY = 2;
    public static final short CONSUMER_GROUP_KEY = 3;
    public static final short CONSUMER_MEMBER_KEY = 4;
    private static final short VALUE_V0 = 0;

    private GroupRecords() {
    }

    /** A classic group member as stored. */
    public record ClassicMember(String memberId, String groupInstanceId, String clientId, String clientHost,
                                int sessionTimeoutMs, int rebalanceTimeoutMs, List<Protocol> protocols, byte[] assignment) {
    }

    /** A classic group as stored: its generation with its members and their assignments (no members: Empty). */
    public record ClassicGroupValue(String protocolType, String protocol, int generation, String leader,
                                    long stateTimestamp, List<ClassicMember> members) {
    }

    /** A consumer group's own state as stored. */
    public record ConsumerGroupValue(int groupEpoch, int assignmentEpoch, String assignor, String fingerprint) {
    }

    /** A consumer group member as stored. */
    public record ConsumerMemberValue(String instanceId, String rackId, String clientId, String clientHost,
                                      List<String> topics, String regex, String assignor, int rebalanceTimeoutMs,
                                      int memberEpoch, int previousEpoch, boolean departed, Set<Tp> assigned,
                                      Set<Tp> pendingRevocation, Set<Tp> target) {
    }

    /** A decoded key: its kind, the group, and the member id for a consumer group member (else null). */
    public record Key(short kind, String group, String memberId) {
    }

    /** Whether a record key (position unchanged) is one of these kinds rather than a committed offset. */
    public static boolean isGroupRecord(ByteBuffer key) {
        if (key == null || key.remaining() < 2) {
            return false;
        }
        short kind = key.getShort(key.position());
        return kind == CLASSIC_GROUP_KEY || kind == CONSUMER_GROUP_KEY || kind == CONSUMER_MEMBER_KEY;
    }

    // ---- keys ----

    public static byte[] classicGroupKey(String group) {
        return write(out -> {
            out.writeShort(CLASSIC_GROUP_KEY);
            string(out, group);
        });
    }

    public static byte[] consumerGroupKey(String group) {
        return write(out -> {
            out.writeShort(CONSUMER_GROUP_KEY);
            string(out, group);
        });
    }

    public static byte[] consumerMemberKey(String group, String memberId) {
        return write(out -> {
            out.writeShort(CONSUMER_MEMBER_KEY);
            string(out, group);
            string(out, memberId);
        });
    }

    public static Key decodeKey(ByteBuffer key) {
        ByteBuffer in = key.duplicate();
        try {
            short kind = in.getShort();
            String group = string(in);
            String member = kind == CONSUMER_MEMBER_KEY ? string(in) : null;
            if (kind != CLASSIC_GROUP_KEY && kind != CONSUMER_GROUP_KEY && kind != CONSUMER_MEMBER_KEY) {
                throw new IllegalArgumentException("not a group record key: kind " + kind);
            }
            return new Key(kind, group, member);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated group record key", e);
        }
    }

    // ---- values ----

    public static byte[] value(ClassicGroupValue g) {
        return write(out -> {
            out.writeShort(VALUE_V0);
            string(out, g.protocolType());
            string(out, g.protocol());
            out.writeInt(g.generation());
            string(out, g.leader());
            out.writeLong(g.stateTimestamp());
            out.writeInt(g.members().size());
            for (ClassicMember m : g.members()) {
                string(out, m.memberId());
                string(out, m.groupInstanceId());
                string(out, m.clientId());
                string(out, m.clientHost());
                out.writeInt(m.sessionTimeoutMs());
                out.writeInt(m.rebalanceTimeoutMs());
                List<Protocol> protocols = m.protocols() == null ? List.of() : m.protocols();
                out.writeInt(protocols.size());
                for (Protocol p : protocols) {
                    string(out, p.name());
                    bytes(out, p.metadata());
                }
                bytes(out, m.assignment());
            }
        });
    }

    public static ClassicGroupValue classicGroup(ByteBuffer value) {
        ByteBuffer in = versioned(value);
        try {
            String protocolType = string(in);
            String protocol = string(in);
            int generation = in.getInt();
            String leader = string(in);
            long timestamp = in.getLong();
            int count = count(in);
            List<ClassicMember> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String memberId = string(in);
                String instanceId = string(in);
                String clientId = string(in);
                String clientHost = string(in);
                int session = in.getInt();
                int rebalance = in.getInt();
                int protocolCount = count(in);
                List<Protocol> protocols = new ArrayList<>(protocolCount);
                for (int p = 0; p < protocolCount; p++) {
                    protocols.add(new Protocol(string(in), bytes(in)));
                }
                members.add(new ClassicMember(memberId, instanceId, clientId, clientHost, session, rebalance, protocols,
                        bytes(in)));
            }
            return new ClassicGroupValue(protocolType, protocol, generation, leader, timestamp, members);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated classic group record", e);
        }
    }

    public static byte[] value(ConsumerGroupValue g) {
        return write(out -> {
            out.writeShort(VALUE_V0);
            out.writeInt(g.groupEpoch());
            out.writeInt(g.assignmentEpoch());
            string(out, g.assignor());
            string(out, g.fingerprint());
        });
    }

    public static ConsumerGroupValue consumerGroup(ByteBuffer value) {
        ByteBuffer in = versioned(value);
        try {
            return new ConsumerGroupValue(in.getInt(), in.getInt(), string(in), string(in));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated consumer group record", e);
        }
    }

    public static byte[] value(ConsumerMemberValue m) {
        return write(out -> {
            out.writeShort(VALUE_V0);
            string(out, m.instanceId());
            string(out, m.rackId());
            string(out, m.clientId());
            string(out, m.clientHost());
            out.writeInt(m.topics().size());
            for (String t : m.topics()) {
                string(out, t);
            }
            string(out, m.regex());
            string(out, m.assignor());
            out.writeInt(m.rebalanceTimeoutMs());
            out.writeInt(m.memberEpoch());
            out.writeInt(m.previousEpoch());
            out.writeByte(m.departed() ? 1 : 0);
            partitions(out, m.assigned());
            partitions(out, m.pendingRevocation());
            partitions(out, m.target());
        });
    }

    public static ConsumerMemberValue consumerMember(ByteBuffer value) {
        ByteBuffer in = versioned(value);
        try {
            String instanceId = string(in);
            String rackId = string(in);
            String clientId = string(in);
            String clientHost = string(in);
            int topicCount = count(in);
            List<String> topics = new ArrayList<>(topicCount);
            for (int i = 0; i < topicCount; i++) {
                topics.add(string(in));
            }
            return new ConsumerMemberValue(instanceId, rackId, clientId, clientHost, List.copyOf(topics), string(in),
                    string(in), in.getInt(), in.getInt(), in.getInt(), in.get() == 1, partitions(in), partitions(in),
                    partitions(in));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated consumer group member record", e);
        }
    }

    // ---- encoding ----

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] write(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static ByteBuffer versioned(ByteBuffer value) {
        ByteBuffer in = value.duplicate();
        if (in.remaining() < 2) {
            throw new IllegalArgumentException("truncated group record value");
        }
        short version = in.getShort();
        if (version != VALUE_V0) {
            throw new IllegalArgumentException("unknown group record value version " + version);
        }
        return in;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static void partitions(DataOutputStream out, Collection<Tp> partitions) throws IOException {
        out.writeInt(partitions.size());
        for (Tp tp : partitions) {
            out.writeLong(tp.topicId().getMostSignificantBits());
            out.writeLong(tp.topicId().getLeastSignificantBits());
            out.writeInt(tp.partition());
        }
    }

    private static int count(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0 || count > in.remaining()) {
            throw new IllegalArgumentException("bad count " + count + " in group record");
        }
        return count;
    }

    private static String string(ByteBuffer in) {
        byte[] b = bytes(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0) {
            return null;
        }
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] b = new byte[length];
        in.get(b);
        return b;
    }

    private static Set<Tp> partitions(ByteBuffer in) {
        int count = count(in);
        Set<Tp> partitions = new LinkedHashSet<>();
        for (int i = 0; i < count; i++) {
            partitions.add(new Tp(new Uuid(in.getLong(), in.getLong()), in.getInt()));
        }
        return partitions;
    }
}
