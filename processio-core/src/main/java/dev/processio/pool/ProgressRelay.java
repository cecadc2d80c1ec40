package dev.processio.pool;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import tools.jackson.databind.JsonNode;

/**
 * The progress values of one call, on their way from the worker's stdout thread to whoever listens
 * (a {@link ListenerRelay} or a {@link ProgressPublisher}'s subscription), and then the call's end.
 *
 * <p>The stdout thread only {@linkplain #offer offers} a value: it takes this object's lock for a
 * few instructions and, when nobody is draining, hands one drain task to the executor. It never
 * waits for a listener. The values wait in a buffer of at most {@code processio.call.max-progress-buffer};
 * a value offered to a full buffer pushes out the oldest, which is counted as dropped. One drain
 * task at a time delivers them, in order, and then the end: so a listener hears one value at a
 * time, and the end always comes after the last value. When the call ends with nothing left to
 * deliver and no drain running, the end may be given at once on the thread that ended the call
 * ({@link #endsInline()}).
 *
 * <p>Thread-safe. Guarded by {@code this}: the buffer, {@link #draining}, {@link #ended},
 * {@link #done} and the outcome; subclasses' demand too. Values and the end are delivered outside
 * the lock, by the one drain task.
 */
abstract class ProgressRelay {

    final ProgressDelivery delivery;
    private final Executor executor;
    /** Guarded by this. */
    private final ArrayDeque<JsonNode> values = new ArrayDeque<>();
    /** Guarded by this: a drain task is scheduled or running. */
    private boolean draining;
    /** Guarded by this: the call has ended (or the relay was aborted); no value is taken after it. */
    private boolean ended;
    /** Guarded by this: the end has been given, or nobody listens any more; nothing more is delivered. */
    private boolean done;
    /** Guarded by this; set with {@link #ended}. */
    private Object result;
    /** Guarded by this; set with {@link #ended}. */
    private Throwable error;

    /** @param executor the application's executor, or {@code null} for the pool's threads */
    ProgressRelay(ProgressDelivery delivery, Executor executor) {
        this.delivery = delivery;
        this.executor = executor;
    }

    // ---- what subclasses do, on the drain task ---------------------------------------------------

    /** Delivers one value. Never called concurrently with itself or {@link #finish}. */
    abstract void deliver(JsonNode value);

    /** Gives the end: the call's result, or its failure. Called once, after the last value. */
    abstract void finish(Object result, Throwable error);

    /** Whether a value may be delivered now; guarded by this. */
    boolean hasDemand() {
        return true;
    }

    /** One value is about to be delivered; guarded by this. */
    void demandTaken() {
    }

    /** Whether an end with nothing left to deliver may be given on the thread that ended the call. */
    boolean endsInline() {
        return false;
    }

    // ---- the way in ---------------------------------------------------------------------------

    /** A value from the worker; on its stdout thread. Ignored once the call has ended. */
    final void offer(JsonNode value) {
        boolean schedule;
        boolean dropped = false;
        synchronized (this) {
            if (ended || done) {
                return;
            }
            if (values.size() >= delivery.bound()) {
                values.pollFirst();
                dropped = true;
            }
            values.addLast(value);
            schedule = wake();
        }
        if (dropped) {
            delivery.dropped();
        }
        if (schedule) {
            schedule();
        }
    }

    /** The call has ended; on whichever thread ended it. The end follows the values still waiting. */
    final void end(Object result, Throwable error) {
        boolean inline = false;
        boolean schedule = false;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            this.result = result;
            this.error = error;
            if (done) {
                return;
            }
            if (!draining && values.isEmpty() && endsInline()) {
                done = true;
                inline = true;
            } else {
                schedule = wake();
            }
        }
        if (inline) {
            finish(result, error);
        } else if (schedule) {
            schedule();
        }
    }

    /** Ends the relay with {@code failure} in place of the call's outcome; waiting values are dropped. */
    final void abort(Throwable failure) {
        boolean schedule;
        synchronized (this) {
            if (done) {
                return;
            }
            values.clear();
            ended = true;
            result = null;
            error = failure;
            schedule = wake();
        }
        if (schedule) {
            schedule();
        }
    }

    /** Nobody listens any more: nothing more is delivered, the end included. */
    final void stop() {
        synchronized (this) {
            done = true;
            values.clear();
        }
    }

    /** Demand has grown (a subscription's {@code request}); schedules a drain if there is work. */
    final void demanded() {
        boolean schedule;
        synchronized (this) {
            schedule = wake();
        }
        if (schedule) {
            schedule();
        }
    }

    /** Whether a drain must be scheduled now; marks it scheduled. Guarded by this. */
    private boolean wake() {
        assert Thread.holdsLock(this);
        if (draining || done) {
            return false;
        }
        boolean work = values.isEmpty() ? ended : hasDemand();
        if (work) {
            draining = true;
        }
        return work;
    }

    private void schedule() {
        delivery.execute(executor, this::drain);
    }

    /** The drain task: values while there is demand, then the end once nothing is left. */
    private void drain() {
        while (true) {
            JsonNode next;
            Object endResult;
            Throwable endError;
            synchronized (this) {
                if (done) {
                    draining = false;
                    return;
                }
                if (!values.isEmpty()) {
                    if (!hasDemand()) {
                        draining = false;
                        return;
                    }
                    demandTaken();
                    next = values.pollFirst();
                    endResult = null;
                    endError = null;
                } else if (ended) {
                    done = true;
                    draining = false;
                    next = null;
                    endResult = result;
                    endError = error;
                } else {
                    draining = false;
                    return;
                }
            }
            if (next == null) {
                finish(endResult, endError);
                return;
            }
            deliver(next);
        }
    }
}
