package io.chronik.cluster;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The few field encodings the quorum's commands, queries and snapshots share; lengths are checked on reading. */
final class BinaryFormat {
    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_ELEMENTS = 1 << 20;

    private BinaryFormat() {
    }

    static void writeString(DataOutput out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static String readString(DataInput in) throws IOException {
        int length = in.readInt();
        if (length == -1) {
            return null;
        }
        checkLength(length, MAX_STRING_BYTES);
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static void writeUuid(DataOutput out, UUID id) throws IOException {
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
    }

    static UUID readUuid(DataInput in) throws IOException {
        return new UUID(in.readLong(), in.readLong());
    }

    static void writeInts(DataOutput out, List<Integer> values) throws IOException {
        out.writeInt(values.size());
        for (int v : values) {
            out.writeInt(v);
        }
    }

    static List<Integer> readInts(DataInput in) throws IOException {
        int n = in.readInt();
        checkLength(n, MAX_ELEMENTS);
        List<Integer> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(in.readInt());
        }
        return values;
    }

    static void writeMap(DataOutput out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(map).entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    static Map<String, String> readMap(DataInput in) throws IOException {
        int n = in.readInt();
        checkLength(n, MAX_ELEMENTS);
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(readString(in), readString(in));
        }
        return map;
    }

    static int readCount(DataInput in) throws IOException {
        int n = in.readInt();
        checkLength(n, MAX_ELEMENTS);
        return n;
    }

    private static void checkLength(int length, int max) throws IOException {
        if (length < 0 || length > max) {
            throw new IOException("corrupt length " + length);
        }
    }
}
