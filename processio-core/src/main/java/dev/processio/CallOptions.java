package dev.processio;

import java.time.Duration;

/**
 * Per-call settings. Immutable.
 *
 * @param timeout the call's time limit, or {@code null} for the pool's {@code processio.call.timeout}
 * @param idempotent whether the call may run twice: if the worker is lost after the request was
 *        written, an idempotent call is retried once on another worker; any other call fails with
 *        {@link WorkerLostException}
 */
public record CallOptions(Duration timeout, boolean idempotent) {

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
        return new CallOptions(timeout, idempotent);
    }

    public CallOptions withIdempotent(boolean idempotent) {
        return new CallOptions(timeout, idempotent);
    }
}
