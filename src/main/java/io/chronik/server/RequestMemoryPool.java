package io.chronik.server;

import io.chronik.protocol.RequestMemory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker-wide bound on memory held by requests ({@code chronik.max-queued-request-bytes}, Kafka's
 * queued.max.request.bytes). A frame is charged when it is read and given back when its request is released (for a
 * produce, once its appends are done). A connection asks for its next frame only while the charged total is below
 * the capacity; otherwise it parks here and stops reading until enough is given back. The total may pass the
 * capacity by the frames connections had already asked for, so a single request larger than the whole budget still
 * proceeds (alone) instead of waiting forever.
 */
final class RequestMemoryPool implements RequestMemory {
    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    /** Connections waiting for room; each parks at most once, so this holds at most one entry per connection. */
    private final Queue<ReadGate> parked = new ConcurrentLinkedQueue<>();

    /** @param capacity bytes; negative means unbounded (charges are still counted, for the gauge) */
    RequestMemoryPool(long capacity) {
        this.capacity = capacity < 0 ? Long.MAX_VALUE : capacity;
    }

    boolean hasRoom() {
        return used.get() < capacity;
    }

    void charge(int bytes) {
        used.addAndGet(bytes);
    }

    @Override
    public void release(int bytes) {
        if (used.addAndGet(-bytes) < capacity && !parked.isEmpty()) {
            wakeAll();
        }
    }

    /** Parks {@code gate} until there is room; checks again after parking so a release in between is not missed. */
    void park(ReadGate gate) {
        parked.add(gate);
        if (hasRoom()) {
            wakeAll();
        }
    }

    void unpark(ReadGate gate) {
        parked.remove(gate);
    }

    private void wakeAll() {
        ReadGate gate;
        while ((gate = parked.poll()) != null) {
            gate.memoryAvailable();
        }
    }

    long used() {
        return used.get();
    }
}
