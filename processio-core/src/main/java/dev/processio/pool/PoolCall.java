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
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import tools.jackson.databind.JavaType;

/**
 * One call on its way through the pool: encoded once, possibly sent to more than one worker (when
 * an earlier one never received it, or it is idempotent), completed exactly once.
 *
 * <p>{@link #finish} is the single gate: whoever wins it completes the call; everyone else only
 * cleans up after themselves. A call has no timer of its own: the pool's sweep finds it, in the
 * pending queue or on a worker, once its deadline has passed.
 */
final class PoolCall implements Worker.Request {

    /** About a hundred years: long enough to mean "never", short enough not to overflow. */
    private static final long MAX_TIMEOUT_NANOS = 100L * 365 * 24 * 3600 * 1_000_000_000L;
    private static final AtomicIntegerFieldUpdater<PoolCall> FINISHED =
            AtomicIntegerFieldUpdater.newUpdater(PoolCall.class, "finished");

    final long id;
    final String method;
    final byte[] frame;
    /** What the result is read into. */
    final JavaType resultType;
    final boolean idempotent;
    final long startNanos;
    final long timeoutNanos;
    /** {@code startNanos + timeoutNanos}, compared by subtraction as {@link System#nanoTime()} wants. */
    final long deadlineNanos;
    /**
     * The result in the caller's type. A future of its own, not the call itself: callers may keep
     * futures long after the call (in a cache), and the call holds the request and its worker.
     */
    final CompletableFuture<Object> result = new CompletableFuture<>();

    /** 1 once someone has won {@link #finish}. */
    private volatile int finished;

    /** The worker the call was last given to, or {@code null} while it waits. */
    volatile Worker worker;
    /** When it was last given to a worker. */
    volatile long dispatchedNanos;
    /** When it last entered the pending queue, for the acquire timeout. */
    volatile long queuedNanos;
    /** Idempotent retries so far. */
    volatile int retries;

    PoolCall(long id, String method, byte[] frame, JavaType resultType, boolean idempotent, long timeoutNanos) {
        this.id = id;
        this.method = method;
        this.frame = frame;
        this.resultType = resultType;
        this.idempotent = idempotent;
        this.timeoutNanos = timeoutNanos;
        this.startNanos = System.nanoTime();
        // Clamped, so that a timeout of centuries cannot wrap around.
        this.deadlineNanos = startNanos + Math.min(timeoutNanos, MAX_TIMEOUT_NANOS);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public byte[] frame() {
        return frame;
    }

    @Override
    public JavaType resultType() {
        return resultType;
    }

    /** Whether its deadline has passed at {@code now}. */
    boolean expired(long now) {
        return now - deadlineNanos >= 0;
    }

    /** Whether someone has claimed the right to complete it; it may not be completed yet. */
    boolean isFinished() {
        return finished != 0;
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    /** Claims the right to complete the call; true exactly once. */
    boolean finish() {
        return FINISHED.compareAndSet(this, 0, 1);
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
