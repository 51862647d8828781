package io.chronik.group;

import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/** Writes the offset log of earlier releases ({@code <data-dir>/__chronik_offsets/offsets.log}) as they wrote it. */
final class LegacyOffsetLog {
    private final Path file;

    LegacyOffsetLog(Path dataDir) throws IOException {
        Files.createDirectories(dataDir.resolve(OffsetStore.DIR));
        this.file = dataDir.resolve(OffsetStore.DIR).resolve(OffsetStore.FILE);
    }

    Path file() {
        return file;
    }

    LegacyOffsetLog commit(String group, TopicPartition tp, Committed c) throws IOException {
        return append(record(OffsetStore.COMMIT, group, tp, c));
    }

    LegacyOffsetLog delete(String group, TopicPartition tp) throws IOException {
        return append(record(OffsetStore.DELETE, group, tp, null));
    }

    private LegacyOffsetLog append(byte[] payload) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer frame = ByteBuffer.allocate(8 + payload.length).putInt(payload.length).putInt((int) crc.getValue())
                .put(payload);
        Files.write(file, frame.array(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return this;
    }

    private static byte[] record(byte type, String group, TopicPartition tp, Committed c) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(type);
        writeString(out, group);
        writeString(out, tp.topic());
        out.writeInt(tp.partition());
        if (type == OffsetStore.COMMIT) {
            out.writeLong(c.offset());
            out.writeInt(c.leaderEpoch());
            out.writeByte(c.metadata() == null ? 0 : 1);
            if (c.metadata() != null) {
                writeString(out, c.metadata());
            }
            out.writeLong(c.commitTimestamp());
        }
        return bytes.toByteArray();
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeShort(bytes.length);
        out.write(bytes);
    }
}
