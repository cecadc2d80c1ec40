package dev.processio.pool;

import dev.processio.BridgeDisposedException;
import dev.processio.BridgeRejectedException;
import dev.processio.BridgeTimeoutException;
import dev.processio.BridgeUnavailableException;
import dev.processio.RemoteExecutionException;
import dev.processio.WorkerLostException;
import dev.processio.io.StdinWriteException;
import dev.processio.metrics.CallOutcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import tools.jackson.databind.JavaType;

/**
 * One call on its way through the pool: encoded once, possibly sent to more than one worker (when
 * an earlier one never received it, or it is idempotent), completed exactly once.
 *
 * <p>{@link #finish} is the single gate: whoever wins it completes the call; everyone else only
 * cleans up after themselves.
 */
final class PoolCall {

    final long id;
    final String method;
    final byte[] frame;
    /** What the result is read into. */
    final JavaType resultType;
    final boolean idempotent;
    final long startNanos;
    final long timeoutNanos;
    /** The result, already in the caller's type. */
    final CompletableFuture<Object> result = new CompletableFuture<>();

    private final AtomicBoolean done = new AtomicBoolean();

    /** The worker the call was last given to, or {@code null} while it waits. */
    volatile Worker worker;
    /** When it was last given to a worker. */
    volatile long dispatchedNanos;
    /** Idempotent retries so far. */
    volatile int retries;
    /** The call's deadline timer. */
    volatile ScheduledFuture<?> timer;
    /** The wait-for-a-worker timer, while pending. */
    volatile ScheduledFuture<?> acquireTimer;

    PoolCall(long id, String method, byte[] frame, JavaType resultType, boolean idempotent, long timeoutNanos) {
        this.id = id;
        this.method = method;
        this.frame = frame;
        this.resultType = resultType;
        this.idempotent = idempotent;
        this.timeoutNanos = timeoutNanos;
        this.startNanos = System.nanoTime();
    }

    boolean isDone() {
        return done.get();
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    /** Claims the right to complete the call; true exactly once. Cancels the timers. */
    boolean finish() {
        if (!done.compareAndSet(false, true)) {
            return false;
        }
        cancel(timer);
        cancel(acquireTimer);
        return true;
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    /** How a failure maps to a metrics outcome. */
    static CallOutcome outcomeOf(Throwable error) {
        if (error instanceof BridgeTimeoutException) {
            return CallOutcome.TIMEOUT;
        }
        if (error instanceof WorkerLostException
                || error instanceof StdinWriteException) {
            return CallOutcome.WORKER_LOST;
        }
        if (error instanceof BridgeRejectedException) {
            return CallOutcome.REJECTED;
        }
        if (error instanceof BridgeUnavailableException) {
            return CallOutcome.UNAVAILABLE;
        }
        if (error instanceof BridgeDisposedException) {
            return CallOutcome.DISPOSED;
        }
        if (error instanceof RemoteExecutionException) {
            return CallOutcome.REMOTE_ERROR;
        }
        return CallOutcome.PROTOCOL_ERROR;
    }
}
