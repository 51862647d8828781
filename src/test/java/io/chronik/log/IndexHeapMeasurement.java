package io.chronik.log;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap retained by the loaded segments of a large partition, per GiB of log: not a test (it writes gigabytes of
 * sparse files), run by hand after {@code ./mvnw -q -o test-compile}:
 *
 * <pre>java -Xmx1g -cp target/classes:target/test-classes:$(./mvnw -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout) \
 *     io.chronik.log.IndexHeapMeasurement 4 32</pre>
 *
 * (arguments: GiB of log, number of segments).
 * The .log files are sparse except for the batch headers loading reads (first batch, and the batches from the last
 * offset index entry to the end); the .index and .timeindex files are real and full, with one entry per 4,160-byte
 * batch as index.interval.bytes=4096 gives. Startup loads them as after a clean shutdown; the heap retained by
 * the loaded segments (after full GCs) is reported, and again after one read from every segment (which maps its
 * indexes lazily).
 */
public final class IndexHeapMeasurement {
    private static final int BATCH = 4160;
    private static final int RECORDS_PER_BATCH = 10;

    private IndexHeapMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        int gib = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int segmentCount = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        long totalBytes = (long) gib << 30;
        int segmentBytes = (int) (totalBytes / segmentCount / BATCH * BATCH);
        Path dir = Files.createTempDirectory("chronik-heap-");
        try {
            Path partition = dir.resolve("heap-0");
            Files.createDirectories(partition);
            long base = 0;
            long entries = 0;
            for (int s = 0; s < segmentCount; s++) {
                entries += writeSegment(partition, base, segmentBytes);
                base += (long) (segmentBytes / BATCH) * RECORDS_PER_BATCH;
            }
            // A producer-state snapshot at the log end, as a clean shutdown leaves: nothing is replayed at load.
            ProducerSnapshots.write(partition, base, new ProducerStateManager().copy());
            long logBytes = (long) segmentBytes * segmentCount;
            System.out.printf("%d segments, %.2f GiB of log, %d offset index entries%n", segmentCount,
                    logBytes / (double) (1L << 30), entries);
            long before = usedHeap();
            long startNanos = System.nanoTime();
            LogConfig config = LogConfig.KAFKA_DEFAULTS;
            LogRecovery.Loaded loaded = LogRecovery.load(partition, config, true, System.currentTimeMillis());
            System.out.printf("loaded in %d ms%n", (System.nanoTime() - startNanos) / 1_000_000);
            long afterLoad = usedHeap();
            report("after startup", afterLoad - before, logBytes);
            for (LogSegment segment : loaded.segments().values()) {
                segment.offsetIndex().lookup(segment.baseOffset() + RECORDS_PER_BATCH * 1000L);
                segment.timeIndex().offsetBefore(Long.MAX_VALUE);
            }
            long afterLookups = usedHeap();
            report("after a lookup in every segment", afterLookups - before, logBytes);
            loaded.segments().values().forEach(LogSegment::close);
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }

    private static void report(String when, long retained, long logBytes) {
        double perGib = retained / (logBytes / (double) (1L << 30));
        System.out.printf("%-34s retained %8.1f MiB, %8.1f KiB per GiB of log%n", when, retained / 1048576.0,
                perGib / 1024);
    }

    private static long usedHeap() {
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** A sparse .log of whole 4,160-byte batches, with its real offset and time indexes; returns index entries. */
    private static long writeSegment(Path dir, long baseOffset, int size) throws IOException {
        int batches = size / BATCH;
        long timestamp = 1_700_000_000_000L + baseOffset;
        // As the append path indexes: no entry for the first batch, then one per batch (each is > 4096 bytes).
        ByteBuffer index = ByteBuffer.allocate((batches - 1) * OffsetIndex.ENTRY_SIZE);
        ByteBuffer timeIndex = ByteBuffer.allocate((batches - 1) * TimeIndex.ENTRY_SIZE);
        for (int i = 1; i < batches; i++) {
            index.putInt(i * RECORDS_PER_BATCH).putInt(i * BATCH);
            // The time index records the max timestamp so far, which is the previous batch's.
            timeIndex.putLong(timestamp + i - 1).putInt(i * RECORDS_PER_BATCH - 1);
        }
        Files.write(dir.resolve(LogSegment.fileName(baseOffset, ".index")), index.array());
        Files.write(dir.resolve(LogSegment.fileName(baseOffset, ".timeindex")), timeIndex.array());
        Path log = LogSegment.logPath(dir, baseOffset);
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            f.setLength((long) batches * BATCH);
        }
        List<Integer> written = new ArrayList<>(List.of(0, batches - 1));
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            for (int i : written) {
                ch.write(header(baseOffset + (long) i * RECORDS_PER_BATCH, timestamp + i), (long) i * BATCH);
            }
        }
        return batches - 1;
    }

    private static ByteBuffer header(long baseOffset, long timestamp) {
        ByteBuffer b = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        b.putLong(baseOffset).putInt(BATCH - RecordBatchHeader.LOG_OVERHEAD).putInt(0).put(RecordBatchHeader.MAGIC_V2)
                .putInt(0).putShort((short) 0).putInt(RECORDS_PER_BATCH - 1).putLong(timestamp).putLong(timestamp)
                .putLong(-1).putShort((short) -1).putInt(-1).putInt(RECORDS_PER_BATCH);
        return b.flip();
    }
}
