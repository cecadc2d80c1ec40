package dev.processio;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Per-call settings. Immutable.
 *
 * @param timeout the call's time limit, or {@code null} for the pool's {@code processio.call.timeout}
 * @param idempotent whether the call may run twice: if the worker is lost after the request was
 *        written, an idempotent call is retried once on another worker; any other call fails with
 *        {@link WorkerLostException}
 * @param progress what the call does with the progress values its handler reports, or {@code null}
 *        to ignore them (see {@link ProgressListener})
 */
public record CallOptions(Duration timeout, boolean idempotent, ProgressListener<?> progress) {

    /** The pool's timeout, not idempotent. */
    public static final CallOptions DEFAULTS = new CallOptions(null, false);

    public CallOptions {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("a call timeout must be positive, was " + timeout);
        }
    }

    /** Options with this timeout. */
    public static CallOptions timeout(Duration timeout) {
        return new CallOptions(timeout, false);
    }

    /** Options for an idempotent call. */
    public static CallOptions idempotentCall() {
        return new CallOptions(null, true);
    }

    public CallOptions withTimeout(Duration timeout) {
        return new CallOptions(timeout, idempotent, progress);
    }

    public CallOptions withIdempotent(boolean idempotent) {
        return new CallOptions(timeout, idempotent, progress);
    }

    // ---- progress -----------------------------------------------------------------------------

    /** Options without a progress listener. */
    public CallOptions(Duration timeout, boolean idempotent) {
        this(timeout, idempotent, null);
    }

    /**
     * Options whose call hands each progress value its handler reports ({@code context.progress(value)};
     * MCP's {@code notifications/progress}) to {@code listener}, read into {@code type}, on a thread of
     * the pool. The call's future completes after the last value has been delivered.
     */
    public <P> CallOptions withProgress(Class<P> type, Consumer<? super P> listener) {
        return new CallOptions(timeout, idempotent, new ProgressListener<>(type, listener, null));
    }

    /** As {@link #withProgress(Class, Consumer)}, with the listener run on the application's {@code executor}. */
    public <P> CallOptions withProgress(Class<P> type, Consumer<? super P> listener, Executor executor) {
        return new CallOptions(timeout, idempotent, new ProgressListener<>(type, listener,
                java.util.Objects.requireNonNull(executor, "executor")));
    }

    /** Options without a progress listener. */
    public CallOptions withoutProgress() {
        return new CallOptions(timeout, idempotent, null);
    }
}
