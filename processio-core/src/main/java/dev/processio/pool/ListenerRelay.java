package dev.processio.pool;

import dev.processio.ProgressListener;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;

/**
 * The progress of a call made with {@link dev.processio.CallOptions#withProgress}: each value goes to
 * the application's listener, and the caller's future ({@link #future}) completes after the last
 * one. That is the rule that keeps a listener from running after the future has completed: the
 * call's own future completes on the pool's usual threads, and the caller's future follows on the
 * drain task once the values that arrived before it have been delivered; with none waiting, at
 * once, on the thread that ended the call.
 *
 * <p>Thread-safe; see {@link ProgressRelay} for which thread does what.
 */
final class ListenerRelay extends ProgressRelay {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerRelay.class);

    private final String method;
    private final JavaType type;
    private final Consumer<Object> listener;
    /** What the caller gets in place of the call's own future. */
    final CallerFuture future;

    @SuppressWarnings("unchecked")
    private ListenerRelay(ProgressDelivery delivery, PoolCall call, ProgressListener<?> progress) {
        super(delivery, progress.executor());
        this.method = call.method;
        this.type = delivery.type(progress.type());
        // The values are read into progress.type(), which the listener takes.
        this.listener = (Consumer<Object>) progress.listener();
        this.future = new CallerFuture(call.result, this);
    }

    /** Relays the progress of {@code call}, and its end, to {@code progress}'s listener. */
    static ListenerRelay attach(ProgressDelivery delivery, PoolCall call, ProgressListener<?> progress) {
        ListenerRelay relay = new ListenerRelay(delivery, call, progress);
        call.progress = relay;
        call.result.whenComplete(relay::end);
        return relay;
    }

    @Override
    void deliver(JsonNode value) {
        if (future.isDone()) {
            // Cancelled, or completed by the application: nobody waits for more.
            stop();
            return;
        }
        Object read;
        try {
            read = delivery.read(value, type);
        } catch (JacksonException | IllegalArgumentException e) {
            LOG.warn("[{}] a progress value of '{}' does not map to {} and was skipped: {}", delivery.pool(), method,
                    type.toCanonical(), e.getMessage());
            return;
        }
        try {
            listener.accept(read);
        } catch (RuntimeException e) {
            LOG.warn("[{}] the progress listener of '{}' failed", delivery.pool(), method, e);
        }
    }

    @Override
    void finish(Object result, Throwable error) {
        if (error == null) {
            future.complete(result);
        } else {
            future.completeExceptionally(error);
        }
    }

    @Override
    boolean endsInline() {
        return true;
    }

    /** The caller's future: cancelling it stops the values and cancels the call's own future. */
    static final class CallerFuture extends CompletableFuture<Object> {

        private final CompletableFuture<Object> call;
        private final ListenerRelay relay;

        CallerFuture(CompletableFuture<Object> call, ListenerRelay relay) {
            this.call = call;
            this.relay = relay;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            relay.stop();
            call.cancel(mayInterruptIfRunning);
            return cancelled;
        }
    }
}
