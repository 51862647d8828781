package io.chronik.server;

import io.netty.channel.EventLoop;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.util.context.Context;

import java.util.concurrent.RejectedExecutionException;

/**
 * Delivers a handler's result on the connection's event loop, whichever thread completed it (an append lane, an
 * fsync thread, the group timer, the offset writer, the io scheduler). A result that is already on the event loop
 * passes straight through; any other is handed over with one task, and the subscriber itself is that task, so the
 * handover allocates nothing. Everything downstream (ordering, encoding, writing) then runs on the event loop.
 */
final class OnEventLoop<T> extends MonoOperator<T, T> {
    private final EventLoop loop;

    OnEventLoop(Mono<? extends T> source, EventLoop loop) {
        super(source);
        this.loop = loop;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        source.subscribe(new Handoff<>(actual, loop));
    }

    private static final class Handoff<T> implements CoreSubscriber<T>, Subscription, Runnable {
        private final CoreSubscriber<? super T> actual;
        private final EventLoop loop;
        private Subscription upstream;
        private T value;
        private Throwable error;

        Handoff(CoreSubscriber<? super T> actual, EventLoop loop) {
            this.actual = actual;
            this.loop = loop;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            upstream = s;
            // Its own subscription, never the source's: a fusing subscriber must not pull values past the handover.
            actual.onSubscribe(this);
        }

        @Override
        public void request(long n) {
            upstream.request(n);
        }

        @Override
        public void cancel() {
            upstream.cancel();
        }

        @Override
        public void onNext(T t) {
            // A Mono's value is followed by its completion: both are delivered together.
            value = t;
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            deliver();
        }

        @Override
        public void onComplete() {
            deliver();
        }

        private void deliver() {
            if (loop.inEventLoop()) {
                run();
                return;
            }
            try {
                loop.execute(this);
            } catch (RejectedExecutionException stopping) {
                // The event loop is shutting down with the listener: finish here so nothing is left pending.
                run();
            }
        }

        @Override
        public void run() {
            T t = value;
            value = null;
            if (error != null) {
                actual.onError(error);
                return;
            }
            if (t != null) {
                actual.onNext(t);
            }
            actual.onComplete();
        }
    }
}
