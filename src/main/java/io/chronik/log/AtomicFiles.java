package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * File-system steps that survive a crash: write-then-rename (a reader, or a restart, sees the old file or the new
 * one, never half), and creating, renaming or deleting a file followed by an fsync of its directory, without which
 * the directory entry itself may be lost.
 */
final class AtomicFiles {
    static final String TMP_SUFFIX = ".tmp";
    /** A segment file renamed for deletion: never loaded, removed at the latest at the next startup. */
    static final String DELETED_SUFFIX = ".deleted";
    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase().startsWith("windows");

    private AtomicFiles() {
    }

    static void write(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.getParent());
    }

    /** Makes the creation, rename or deletion of entries in {@code dir} durable (a no-op where directories cannot be opened). */
    static void syncDirectory(Path dir) throws IOException {
        if (WINDOWS) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Creates {@code dir} (and missing parents), making each new entry durable in its parent. */
    static void createDirectories(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        Files.createDirectories(absolute);
        if (parent != null) {
            syncDirectory(parent);
        }
    }

    /** The identity of the file at {@code path} (device and inode on Linux), or null when unknown or missing. */
    static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Renames {@code from} to {@code to} if it is still the file identified by {@code key} (null: any file). A file
     * that is missing, or that another file has replaced meanwhile, is left alone: returns false.
     */
    static boolean renameIfSame(Path from, Path to, Object key) throws IOException {
        if (key != null && !Objects.equals(key, fileKey(from))) {
            return false;
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Deletes {@code path} if it is still the file identified by {@code key} (null: any file). */
    static void deleteIfSame(Path path, Object key) throws IOException {
        if (key == null || Objects.equals(key, fileKey(path))) {
            Files.deleteIfExists(path);
        }
    }

    /** Deletes a directory tree; returns false if something could not be deleted. */
    static boolean deleteTree(Path root) {
        if (!Files.exists(root)) {
            return true;
        }
        boolean ok = true;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    ok = false;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return ok;
    }
}
