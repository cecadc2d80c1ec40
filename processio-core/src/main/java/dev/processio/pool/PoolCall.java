package dev.processio.pool;

import dev.processio.protocol.RpcReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import tools.jackson.databind.JavaType;

/**
 * One call on its way through the pool: encoded once, possibly sent to more than one worker (when
 * an earlier one never received it, or it is idempotent), completed exactly once.
 *
 * <p>Two gates, each passed once: {@link #finish()} decides who completes the call, and
 * {@link #takeLease()} who gives back the worker lease of its current attempt. Whoever wins one
 * does its job; everyone else only cleans up after themselves. A call has no timer of its own: the
 * housekeeper's sweep finds it, waiting or on a worker, once its deadline has passed.
 *
 * <p>It is the {@link Worker.Request} a worker holds, and hands the worker's report to the
 * {@link Dispatcher}.
 *
 * <h2>Cancel</h2>
 * The caller's future is a {@link CallFuture}: {@code cancel}, or a completion from outside
 * (such as {@code orTimeout}), passes the {@link #finish()} gate like any other end of the call,
 * so the call ends exactly once, cancelled or completed, never both. The dispatcher then takes it
 * out of the queue, or tells its worker ({@link Dispatcher#cancelled}).
 */
final class PoolCall implements Worker.Request {

    /** About a hundred years: long enough to mean "never", short enough not to overflow. */
    private static final long MAX_TIMEOUT_NANOS = 100L * 365 * 24 * 3600 * 1_000_000_000L;
    private static final AtomicIntegerFieldUpdater<PoolCall> FINISHED =
            AtomicIntegerFieldUpdater.newUpdater(PoolCall.class, "finished");
    private static final AtomicReferenceFieldUpdater<PoolCall, WorkerEntry> LEASE =
            AtomicReferenceFieldUpdater.newUpdater(PoolCall.class, WorkerEntry.class, "lease");

    private final Dispatcher dispatcher;
    final long id;
    final String method;
    final byte[] frame;
    /** What the result is read into. */
    final JavaType resultType;
    final boolean idempotent;
    /** When it was made, on the pool's clock. */
    final long startNanos;
    final long timeoutNanos;
    /** {@code startNanos + timeoutNanos}, compared by subtraction as {@link System#nanoTime()} wants. */
    final long deadlineNanos;
    /**
     * The result in the caller's type. A future of its own, not the call itself: callers may keep
     * futures long after the call (in a cache), and the call holds the request and its worker.
     */
    final CallFuture result = new CallFuture(this);

    /** 1 once someone has won {@link #finish}. */
    private volatile int finished;
    /** The worker lease of the current attempt, until someone takes it back. */
    private volatile WorkerEntry lease;

    /** When it was last given to a worker, on the pool's clock. */
    volatile long dispatchedNanos;
    /** When it last entered the pending queue, on the pool's clock, for the acquire timeout. */
    volatile long queuedNanos;
    /** Idempotent retries so far. */
    volatile int retries;
    /**
     * When the caller cancelled it, on the pool's clock; {@code 0} until then. Written once, by
     * the thread that won {@link #finish()} for the cancel, before the worker is told.
     */
    volatile long cancelledNanos;
    /** The call's observation, or {@code null}; set before it is dispatched, stopped by whoever ends it. */
    CallObservations.Handle observation;
    /** The pid of the last worker it was given to, or 0. */
    volatile long workerPid;

    PoolCall(Dispatcher dispatcher, long id, String method, byte[] frame, JavaType resultType, boolean idempotent,
            long timeoutNanos, long nowNanos) {
        this.dispatcher = dispatcher;
        this.id = id;
        this.method = method;
        this.frame = frame;
        this.resultType = resultType;
        this.idempotent = idempotent;
        this.timeoutNanos = timeoutNanos;
        this.startNanos = nowNanos;
        // Clamped, so that a timeout of centuries cannot wrap around.
        this.deadlineNanos = nowNanos + Math.min(timeoutNanos, MAX_TIMEOUT_NANOS);
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

    @Override
    public void replied(RpcReply reply) {
        dispatcher.replied(this, reply);
    }

    @Override
    public void failed(RuntimeException cause) {
        dispatcher.failed(this, cause);
    }

    /** The W3C traceparent sent with it, for the log lines its handler prints; {@code null} without tracing. */
    @Override
    public String traceparent() {
        CallObservations.Handle o = observation;
        return o == null || o.trace == null ? null : o.trace.traceparent();
    }

    /** Whether its deadline has passed at {@code now}. */
    boolean expired(long now) {
        return now - deadlineNanos >= 0;
    }

    /** Whether someone has claimed the right to complete it; it may not be completed yet. */
    boolean isFinished() {
        return finished != 0;
    }

    /** Claims the right to complete the call; true exactly once. */
    boolean finish() {
        return FINISHED.compareAndSet(this, 0, 1);
    }

    /** Starts an attempt on the worker of {@code lease}. */
    void leased(WorkerEntry lease, long nowNanos) {
        this.dispatchedNanos = nowNanos;
        this.workerPid = lease.worker.pid();
        this.lease = lease;
    }

    /** The worker of the current attempt, or {@code null}; it may be given back at any moment. */
    WorkerEntry leaseHolder() {
        return lease;
    }

    /** Takes back the lease of the current attempt; non-null for exactly one caller per attempt. */
    WorkerEntry takeLease() {
        return LEASE.getAndSet(this, null);
    }

    /** Whether the caller cancelled it. */
    boolean isCancelled() {
        return cancelledNanos != 0;
    }

    /**
     * The caller's future. The pool completes it with {@link #settle}, after winning
     * {@link #finish()}; {@code cancel}, {@code complete} and {@code completeExceptionally} from
     * outside must win that gate too, and then cancel the call. Dependent stages are plain
     * {@link CompletableFuture}s.
     */
    static final class CallFuture extends CompletableFuture<Object> {

        private final PoolCall call;

        CallFuture(PoolCall call) {
            this.call = call;
        }

        /** The pool's completion: the caller of this method has won {@link PoolCall#finish()}. */
        void settle(Object value, Throwable error) {
            if (error == null) {
                super.complete(value);
            } else {
                super.completeExceptionally(error);
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (!call.finish()) {
                return isCancelled();
            }
            call.dispatcher.cancelled(call);
            return super.cancel(mayInterruptIfRunning);
        }

        /** Completed from outside ({@code completeOnTimeout}, for example): the call is cancelled. */
        @Override
        public boolean complete(Object value) {
            if (!call.finish()) {
                return false;
            }
            call.dispatcher.cancelled(call);
            return super.complete(value);
        }

        /** Completed from outside ({@code orTimeout}, for example): the call is cancelled. */
        @Override
        public boolean completeExceptionally(Throwable ex) {
            if (!call.finish()) {
                return false;
            }
            call.dispatcher.cancelled(call);
            return super.completeExceptionally(ex);
        }
    }

    // ---- progress -----------------------------------------------------------------------------

    /**
     * Where the call's progress values go, or {@code null} when nobody listens. Set by the pool
     * before the call is dispatched; stdout threads read it after finding the call among a
     * worker's held requests, whose concurrent map publishes it.
     */
    ProgressRelay progress;

    @Override
    public boolean progress(tools.jackson.databind.JsonNode value) {
        ProgressRelay relay = progress;
        if (relay == null) {
            return false;
        }
        relay.offer(value);
        return true;
    }
}
