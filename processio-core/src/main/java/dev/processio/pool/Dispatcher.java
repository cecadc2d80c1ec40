package dev.processio.pool;

import dev.processio.BridgeDisposedException;
import dev.processio.BridgeException;
import dev.processio.BridgeProtocolException;
import dev.processio.BridgeRejectedException;
import dev.processio.BridgeTimeoutException;
import dev.processio.BridgeUnavailableException;
import dev.processio.RemoteExecutionException;
import dev.processio.WorkerLostException;
import dev.processio.io.StdinWriteException;
import dev.processio.metrics.CallOutcome;
import dev.processio.metrics.MetricsTracker;
import dev.processio.protocol.RpcError;
import dev.processio.protocol.RpcReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;

/**
 * Gives calls to workers, keeps the ones that must wait, and ends every call exactly once.
 *
 * <p>A call takes a lease from the {@link Gate} or waits in {@link PendingCalls}; a worker that
 * gives a lease back serves the queue first. A call's attempt ends in one of the methods below,
 * each of which takes the lease back through {@link PoolCall#takeLease()} and gives it to the gate
 * with the attempt's verdict:
 * <table>
 *   <caption>How an attempt ends</caption>
 *   <tr><th>report</th><th>breaker verdict</th><th>the call</th></tr>
 *   <tr><td>a reply, a remote error, a result the type cannot hold</td><td>answered</td><td>completes</td></tr>
 *   <tr><td>never written ({@link StdinWriteException}, not reached)</td><td>none</td><td>goes to another worker</td></tr>
 *   <tr><td>worker lost after the write</td><td>none (the fault is reported on its own)</td><td>fails, or one retry if idempotent</td></tr>
 *   <tr><td>stdin queue full</td><td>none</td><td>fails: rejected</td></tr>
 *   <tr><td>its deadline passed</td><td>failed</td><td>fails: timeout; the worker is asked to cancel it</td></tr>
 * </table>
 * The metrics outcome of a failed call follows from its exception type, in {@link #outcomeOf}.
 *
 * <p>Thread-safe, and takes no lock of its own; growing the pool and recording a worker's
 * timeout take the lifecycle lock, briefly. Runs on callers' threads and on every processio
 * thread that can report the end of an attempt; the pool's class comment lists them.
 */
final class Dispatcher {

    private final String name;
    private final Gate gate;
    private final PendingCalls pending;
    private final Supervisor supervisor;
    private final PoolView view;
    private final MetricsTracker metrics;
    private final LongSupplier clock;
    private final long acquireTimeoutNanos;
    /** {@code processio.call.cancel-grace}. */
    private final long cancelGraceNanos;
    /** Calls made and not yet ended, waiting ones included. */
    private final AtomicInteger active = new AtomicInteger();

    Dispatcher(String name, Gate gate, PendingCalls pending, Supervisor supervisor, PoolView view,
            MetricsTracker metrics, LongSupplier clock, long acquireTimeoutNanos, long cancelGraceNanos) {
        this.view = view;
        this.name = name;
        this.gate = gate;
        this.pending = pending;
        this.supervisor = supervisor;
        this.metrics = metrics;
        this.clock = clock;
        this.acquireTimeoutNanos = acquireTimeoutNanos;
        this.cancelGraceNanos = cancelGraceNanos;
    }

    /** Counts a new call as active; it must then be {@linkplain #dispatch dispatched}. */
    void admitted() {
        active.incrementAndGet();
    }

    int activeCalls() {
        return active.get();
    }

    PendingCalls pending() {
        return pending;
    }

    /**
     * Gives a call to a worker, or queues it.
     *
     * @param comeBack whether the call came back from a worker (never sent, or to retry): it goes
     *        to the front of the queue, and the thread is a processio thread that must not wait for
     *        room in a stdin queue
     */
    void dispatch(PoolCall call, boolean comeBack) {
        if (call.isFinished()) {
            return;
        }
        WorkerEntry e = gate.take();
        if (e != null) {
            send(e, call, !comeBack);
            return;
        }
        if (supervisor.isClosed()) {
            complete(call, null, disposed());
            return;
        }
        if (supervisor.allQuarantined()) {
            complete(call, null, view.unavailable());
            return;
        }
        call.queuedNanos = clock.getAsLong();
        if (comeBack) {
            pending.putBack(call);
        } else if (!pending.offer(call)) {
            complete(call, null, new BridgeRejectedException(name, "too many calls waiting for a worker: "
                    + supervisor.options().maxPending() + " are queued (processio.pool.max-pending); all "
                    + supervisor.liveWorkers() + " workers hold " + supervisor.options().maxInFlightPerWorker()
                    + " calls each (processio.pool.max-in-flight-per-worker)"));
            return;
        }
        supervisor.growIfWaiting();
        drain();
    }

    /**
     * Gives waiting calls to workers while there is room. The lease is taken before a call is
     * polled, so that a lease given back concurrently is never missed: whoever gives one back
     * drains after, and whoever queues a call drains after queuing it.
     */
    void drain() {
        while (!pending.isEmpty()) {
            WorkerEntry e = gate.take();
            if (e == null) {
                return;
            }
            PoolCall call = pending.poll();
            while (call != null && call.isFinished()) {
                call = pending.poll();
            }
            if (call == null) {
                // Another thread took the last one, or a call is still on its way into the queue;
                // its thread drains after queuing it.
                gate.untake(e);
                return;
            }
            send(e, call, false);
        }
    }

    private void send(WorkerEntry e, PoolCall call, boolean mayWait) {
        call.leased(e, clock.getAsLong());
        gate.committed(e);
        if (call.isFinished()) {
            // Ended (timed out) while being handed over.
            release(call, Gate.Verdict.NONE, null);
            return;
        }
        e.worker.send(call, mayWait);
        if (call.isCancelled()) {
            // Cancelled while being handed over: the worker holds it now, so it hears of it.
            e.worker.tellCancelled(call.id, CANCEL_REASON);
        } else if (call.isFinished() && e.worker.cancel(call.id, "the host stopped waiting for it")) {
            // It timed out while being handed over, before the sweep could find it on the worker.
            release(call, Gate.Verdict.NONE, null);
        }
    }

    private static final String CANCEL_REASON = "cancelled by the caller";

    /** Gives back the current attempt's lease, if nobody has yet. */
    private void release(PoolCall call, Gate.Verdict verdict, Throwable error) {
        WorkerEntry e = call.takeLease();
        if (e != null) {
            long now = clock.getAsLong();
            gate.giveBack(e, verdict, now - call.dispatchedNanos, now, error);
        }
    }

    // ---- how attempts end ---------------------------------------------------------------------

    /** The worker answered; on its stdout thread. */
    void replied(PoolCall call, RpcReply reply) {
        if (call.isCancelled()) {
            // The answer to a cancelled call: its place on the worker is free again, the answer late.
            WorkerEntry e = call.leaseHolder();
            release(call, Gate.Verdict.NONE, null);
            if (e != null) {
                supervisor.lateReply(e.worker, call.id);
            }
            drain();
            return;
        }
        release(call, Gate.Verdict.ANSWERED, null);
        if (reply.isError()) {
            RpcError e = reply.error();
            complete(call, null, new RemoteExecutionException(name, call.method, e.code(), e.type(), e.message(),
                    e.stack()));
        } else if (reply.unreadable() != null) {
            RuntimeException e = reply.unreadable();
            complete(call, null, new BridgeProtocolException(name, "the result of '" + call.method
                    + "' does not map to " + call.resultType.toCanonical() + ": "
                    + (e instanceof JacksonException je ? je.getOriginalMessage() : e.toString()), e));
        } else {
            complete(call, reply.result(), null);
        }
        drain();
    }

    /** The worker will not answer: see {@link Worker.Request#failed}. */
    void failed(PoolCall call, RuntimeException cause) {
        release(call, Gate.Verdict.NONE, null);
        if (cause instanceof StdinWriteException unsent && !unsent.reachedWorker()) {
            // The worker never saw it: safe to give it to another one.
            dispatch(call, true);
        } else if (cause instanceof WorkerLostException lost && call.idempotent && call.retries == 0
                && !supervisor.isClosed()) {
            call.retries = 1;
            dispatch(call, true);
        } else {
            complete(call, null, cause instanceof BridgeException be ? be
                    : new BridgeProtocolException(name, "call '" + call.method + "' failed: " + cause, cause));
        }
        drain();
    }

    /** The call's deadline passed; on the housekeeper. */
    void timedOut(PoolCall call) {
        long now = clock.getAsLong();
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(now - call.startNanos);
        long timeoutMillis = TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos);
        WorkerEntry e = call.leaseHolder();
        if (e == null) {
            pending.remove(call);
            complete(call, null, new BridgeTimeoutException(name, "call '" + call.method + "' timed out after "
                    + elapsedMillis + " ms waiting for a worker (call timeout " + timeoutMillis
                    + " ms: processio.call.timeout or CallOptions.timeout)"));
            return;
        }
        BridgeTimeoutException timeout = new BridgeTimeoutException(name, "call '" + call.method
                + "' timed out after " + elapsedMillis + " ms on " + e.label() + " (call timeout " + timeoutMillis
                + " ms: processio.call.timeout or CallOptions.timeout); the worker was asked to cancel it");
        if (!complete(call, null, timeout)) {
            // The caller cancelled it meanwhile: that path tells the worker, and blames nobody.
            return;
        }
        if (e.worker.cancel(call.id, "timed out after " + elapsedMillis + " ms")) {
            // The worker will never hand this call back: the lease ends here.
            supervisor.softFailure(e, dev.processio.RestartCause.TIMEOUT, e.label() + ": call '" + call.method
                    + "' timed out after " + elapsedMillis + " ms");
            release(call, Gate.Verdict.FAILED, timeout);
            drain();
        }
    }

    /** The call waited longer than the acquire timeout; on the housekeeper. */
    void acquireTimedOut(PoolCall call) {
        if (!pending.remove(call)) {
            return;
        }
        if (supervisor.allQuarantined()) {
            complete(call, null, view.unavailable());
            return;
        }
        complete(call, null, new BridgeTimeoutException(name, "call '" + call.method + "' waited "
                + TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - call.startNanos) + " ms for a worker, longer"
                + " than processio.pool.acquire-timeout (" + supervisor.options().acquireTimeout().toMillis()
                + " ms): " + view.describeCapacity()));
    }

    /** Ends the waiting calls whose deadline or acquire timeout has passed at {@code now}. */
    void expireWaiting(long now) {
        for (PoolCall call : pending) {
            if (call.isFinished()) {
                continue;
            }
            // The call's own deadline first: its message names the timeout that really ran out.
            if (call.expired(now)) {
                timedOut(call);
            } else if (now - call.queuedNanos >= acquireTimeoutNanos) {
                acquireTimedOut(call);
            }
        }
    }

    /** A call a worker holds, looked at by the sweep. */
    void expireHeld(WorkerEntry e, PoolCall call, long now) {
        if (call.isCancelled()) {
            // Its place stays taken until the worker answers, or for the grace; the worker is not blamed.
            if (now - call.cancelledNanos >= cancelGraceNanos && e.worker.forget(call.id)) {
                release(call, Gate.Verdict.NONE, null);
            }
        } else if (call.isFinished()) {
            // Ended elsewhere while a worker still held it: let go of it, and tell the worker.
            if (e.worker.cancel(call.id, "the host stopped waiting for it")) {
                release(call, Gate.Verdict.NONE, null);
            }
        } else if (call.expired(now)) {
            timedOut(call);
        }
    }

    /**
     * The caller cancelled the call and has won {@link PoolCall#finish()}; on the caller's thread.
     * A call that waits leaves the queue and is never written; one that a worker holds stays held,
     * and so keeps its place on the worker, until the worker answers or the cancel grace has
     * passed (the sweep), and the worker is sent its dialect's cancel. A call on its way to a
     * worker is caught by {@link #send} on either side of its write.
     */
    void cancelled(PoolCall call) {
        long now = clock.getAsLong();
        call.cancelledNanos = now == 0 ? 1 : now;
        active.decrementAndGet();
        metrics.callCompleted(CallOutcome.CANCELLED, now - call.startNanos);
        observed(call, CallOutcome.CANCELLED, null);
        WorkerEntry e = call.leaseHolder();
        if (e == null) {
            pending.remove(call);
        } else {
            e.worker.tellCancelled(call.id, CANCEL_REASON);
        }
    }

    /** Fails every waiting call with {@code error}. */
    void failPending(Supplier<BridgeException> error) {
        PoolCall call;
        while ((call = pending.poll()) != null) {
            complete(call, null, error.get());
        }
    }

    // ---- completion ---------------------------------------------------------------------------

    /** Fails a call that never got into the pool. */
    CompletableFuture<Object> failedNow(BridgeException error) {
        metrics.callCompleted(outcomeOf(error), 0);
        return CompletableFuture.failedFuture(error);
    }

    /** Ends the call, unless someone else has (the caller's cancel, for one); returns whether this did. */
    private boolean complete(PoolCall call, Object result, BridgeException error) {
        if (!call.finish()) {
            return false;
        }
        active.decrementAndGet();
        long took = clock.getAsLong() - call.startNanos;
        CallOutcome outcome = error == null ? CallOutcome.SUCCESS : outcomeOf(error);
        metrics.callCompleted(outcome, took);
        observed(call, outcome, error);
        call.result.settle(result, error);
        return true;
    }

    /** Stops the call's observation, if it has one; by the thread that ended the call. */
    private static void observed(PoolCall call, CallOutcome outcome, Throwable error) {
        CallObservations.Handle observation = call.observation;
        if (observation != null) {
            observation.stop(outcome, error, call.workerPid);
        }
    }

    /** How a failure maps to a metrics outcome: the one place that decides it. */
    static CallOutcome outcomeOf(BridgeException error) {
        if (error instanceof BridgeTimeoutException) {
            return CallOutcome.TIMEOUT;
        }
        if (error instanceof WorkerLostException || error instanceof StdinWriteException) {
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

    BridgeDisposedException disposed() {
        return new BridgeDisposedException(name, "the bridge is closed");
    }
}
