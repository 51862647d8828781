package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;
import io.netty.channel.EventLoop;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Passes one connection's demand for request frames to the socket, one frame at a time, and holds it back while the
 * broker's request memory is used up ({@link RequestMemoryPool}) or while an append this connection queued waits for
 * room in a full lane. Held back, Reactor Netty has no demand and stops reading the socket (autoRead off), so TCP
 * pushes back on the client; nothing is refused. All state is confined to the connection's event loop.
 */
final class ReadGate extends Flux<Object> implements CoreSubscriber<Object>, Subscription, Runnable {
    private final Flux<?> frames;
    private final EventLoop loop;
    private final RequestMemoryPool memory;
    private final BrokerMetrics metrics;
    private final Runnable onMemoryAvailable = () -> {
        parked = false;
        pump();
    };

    private CoreSubscriber<? super Object> actual;
    private Subscription upstream;
    private volatile boolean done;
    /** Frames requested downstream and not yet asked of the socket. */
    private long demand;
    /** One frame has been asked of the socket and not delivered yet. */
    private boolean awaiting;
    private boolean parked;
    private CompletableFuture<?> hold;
    private boolean holdWatched;
    private boolean pumping;
    private boolean missed;

    ReadGate(Flux<?> frames, EventLoop loop, RequestMemoryPool memory, BrokerMetrics metrics) {
        this.frames = frames;
        this.loop = loop;
        this.memory = memory;
        this.metrics = metrics;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Object> actual) {
        this.actual = actual;
        frames.subscribe(this);
    }

    /** Reads nothing more until {@code admitted} completes. Called on the event loop while a request is handled. */
    void holdUntil(CompletableFuture<?> admitted) {
        hold = hold == null || hold.isDone() ? admitted : CompletableFuture.allOf(hold, admitted);
        holdWatched = false;
    }

    /** True while reading is held back by this gate (not by the pipeline's own demand). */
    boolean holding() {
        return parked || (hold != null && !hold.isDone());
    }

    /** The pool has room again; called from any thread. */
    void memoryAvailable() {
        try {
            loop.execute(onMemoryAvailable);
        } catch (RejectedExecutionException stopping) {
            // the event loop is shutting down with this connection
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        upstream = s;
        actual.onSubscribe(this);
    }

    @Override
    public void onNext(Object frame) {
        awaiting = false;
        actual.onNext(frame);
        pump();
    }

    @Override
    public void onError(Throwable t) {
        terminate();
        actual.onError(t);
    }

    @Override
    public void onComplete() {
        terminate();
        actual.onComplete();
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        if (!loop.inEventLoop()) {
            loop.execute(() -> request(n));
            return;
        }
        demand = Operators.addCap(demand, n);
        pump();
    }

    @Override
    public void cancel() {
        terminate();
        upstream.cancel();
    }

    private void terminate() {
        done = true;
        memory.unpark(this);
    }

    /** A hold completed: see whether reading may resume. */
    @Override
    public void run() {
        pump();
    }

    /** Asks the socket for the next frame when there is demand and nothing holds reading back. */
    private void pump() {
        if (pumping) {
            missed = true;
            return;
        }
        pumping = true;
        try {
            do {
                missed = false;
                if (done || awaiting || demand == 0 || held()) {
                    continue;
                }
                awaiting = true;
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                // May deliver the frame at once (re-entering onNext, which only marks missed).
                upstream.request(1);
            } while (missed);
        } finally {
            pumping = false;
        }
    }

    private boolean held() {
        if (hold != null) {
            if (!hold.isDone()) {
                if (!holdWatched) {
                    holdWatched = true;
                    metrics.readsHeldForLane();
                    hold.whenComplete((ok, error) -> loop.execute(this));
                }
                return true;
            }
            hold = null;
        }
        if (parked) {
            return true;
        }
        if (!memory.hasRoom()) {
            parked = true;
            metrics.readsHeldForMemory();
            memory.park(this);
            return true;
        }
        return false;
    }
}
