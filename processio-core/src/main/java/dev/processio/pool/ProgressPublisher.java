package dev.processio.pool;

import dev.processio.CallOptions;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;

/**
 * A call's progress values as a {@link Flow.Publisher}: {@code NodeBridge.stream}. Each subscription
 * makes its own call, once {@code onSubscribe} has returned; its values are {@code onNext} signals,
 * and the call's end is {@code onComplete} (the result itself is not published) or {@code onError}
 * with the call's exception, after the last value. {@code request(n)} is honoured: values beyond the
 * demand wait in the call's progress buffer, within {@code processio.call.max-progress-buffer}, the
 * oldest dropped and counted past it. Cancelling the subscription cancels the call's future.
 *
 * <p>Signals come from one drain task at a time, on the pool's progress threads, never on a
 * worker's stdout thread. A subscriber whose {@code onNext} throws is logged and cancelled; a value
 * that does not map to the item type is logged and skipped.
 *
 * <p>Thread-safe; cold: nothing happens before a subscription.
 *
 * @param <T> the item type
 */
final class ProgressPublisher<T> implements Flow.Publisher<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressPublisher.class);

    private final Pool pool;
    private final String method;
    private final Object params;
    private final JavaType itemType;
    private final CallOptions options;

    ProgressPublisher(Pool pool, String method, Object params, JavaType itemType, CallOptions options) {
        this.pool = pool;
        this.method = method;
        this.params = params;
        this.itemType = itemType;
        this.options = options;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        Subscription<T> subscription = new Subscription<>(pool.progress(), method, itemType, subscriber);
        try {
            subscriber.onSubscribe(subscription);
        } catch (RuntimeException e) {
            LOG.warn("[{}] onSubscribe of a subscriber to '{}' failed; no call was made", pool.name(), method, e);
            return;
        }
        if (subscription.cancelled) {
            return;
        }
        CompletableFuture<Object> result;
        try {
            result = pool.submit(method, params, pool.mapper().constructType(JsonNode.class), options, subscription);
        } catch (RuntimeException refused) {
            subscription.abort(refused);
            return;
        }
        subscription.started(result);
    }

    @Override
    public String toString() {
        return "ProgressPublisher[" + pool.name() + ", " + method + "]";
    }

    /** One subscription, and the progress relay of its call. */
    static final class Subscription<T> extends ProgressRelay implements Flow.Subscription {

        private final String method;
        private final JavaType itemType;
        private final Flow.Subscriber<? super T> subscriber;
        /** Guarded by this: values the subscriber has asked for and not yet been given. */
        private long demand;
        volatile boolean cancelled;
        /** The call's future, once made. */
        private volatile CompletableFuture<Object> call;

        Subscription(ProgressDelivery delivery, String method, JavaType itemType,
                Flow.Subscriber<? super T> subscriber) {
            super(delivery, null);
            this.method = method;
            this.itemType = itemType;
            this.subscriber = subscriber;
        }

        /** The call has been made. */
        void started(CompletableFuture<Object> result) {
            call = result;
            result.whenComplete(this::end);
            if (cancelled) {
                result.cancel(true);
            }
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                abort(new IllegalArgumentException("request(" + n + ") on a subscription to '" + method
                        + "': demand must be positive (Reactive Streams rule 3.9)"));
                cancelCall();
                return;
            }
            synchronized (this) {
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            }
            demanded();
        }

        @Override
        public void cancel() {
            cancelled = true;
            stop();
            cancelCall();
        }

        private void cancelCall() {
            CompletableFuture<Object> f = call;
            if (f != null) {
                f.cancel(true);
            }
        }

        @Override
        boolean hasDemand() {
            assert Thread.holdsLock(this);
            return demand > 0;
        }

        @Override
        void demandTaken() {
            assert Thread.holdsLock(this);
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        void deliver(JsonNode value) {
            T item;
            try {
                item = (T) delivery.read(value, itemType);
            } catch (JacksonException | IllegalArgumentException e) {
                LOG.warn("[{}] a progress value of '{}' does not map to {} and was skipped: {}", delivery.pool(),
                        method, itemType.toCanonical(), e.getMessage());
                return;
            }
            try {
                subscriber.onNext(item);
            } catch (RuntimeException e) {
                LOG.warn("[{}] onNext of a subscriber to '{}' failed; the subscription is cancelled",
                        delivery.pool(), method, e);
                cancel();
            }
        }

        @Override
        void finish(Object result, Throwable error) {
            try {
                if (error == null) {
                    subscriber.onComplete();
                } else {
                    subscriber.onError(error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error);
                }
            } catch (RuntimeException e) {
                LOG.warn("[{}] a subscriber to '{}' failed at the end of its stream", delivery.pool(), method, e);
            }
        }
    }
}
