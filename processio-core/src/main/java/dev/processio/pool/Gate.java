package dev.processio.pool;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one place where a call takes what it needs from a worker, a unit of the worker's load and a
 * permit of its slot's breaker, and gives them back, whatever ended the call: a reply, a remote
 * error, a timeout, a loss, an unsent frame that goes elsewhere, or the pool closing. A call holds
 * at most one lease at a time ({@link PoolCall#takeLease()} hands it back exactly once).
 *
 * <p>Every outcome reported to a breaker goes through here, so that after each one the breaker's
 * state is looked at: when it has opened, the {@link Supervisor} quarantines the slot. The pool does
 * not listen to breaker events, since with a listener attached Resilience4j allocates an event for
 * every call.
 *
 * <p>Thread-safe and lock-free: a scan of the slots and a compare-and-set on the chosen worker's load.
 */
final class Gate {

    /** How a finished attempt counts on its slot's breaker. */
    enum Verdict {
        /** The worker answered (a remote error is an answer too). */
        ANSWERED,
        /** The worker failed the call softly: it timed out. */
        FAILED,
        /** Says nothing about the worker: never sent, lost with a fault already reported, or the pool closed. */
        NONE
    }

    private final Slot[] slots;
    private final int maxLoad;
    private final Supervisor supervisor;
    private final Consumer<WorkerEntry> capReached;

    Gate(Slot[] slots, int maxLoad, Supervisor supervisor, Consumer<WorkerEntry> capReached) {
        this.slots = slots;
        this.maxLoad = maxLoad;
        this.supervisor = supervisor;
        this.capReached = capReached;
    }

    /**
     * Takes a lease on the worker with the fewest calls that takes calls, is below
     * {@code max-in-flight-per-worker} and whose breaker permits a call; {@code null} if none.
     */
    WorkerEntry take() {
        boolean[] refused = null;
        for (int attempt = 0; attempt < 4 * slots.length + 4; attempt++) {
            WorkerEntry best = null;
            int bestLoad = maxLoad;
            for (Slot slot : slots) {
                WorkerEntry e = slot.active;
                if (e == null || (refused != null && refused[slot.number - 1]) || !e.takesCalls()) {
                    continue;
                }
                int load = e.load.get();
                if (load < bestLoad) {
                    best = e;
                    bestLoad = load;
                }
            }
            if (best == null) {
                return null;
            }
            if (!best.load.compareAndSet(bestLoad, bestLoad + 1)) {
                continue;
            }
            if (!best.slot.breaker.tryAcquirePermission()) {
                best.load.decrementAndGet();
                if (refused == null) {
                    refused = new boolean[slots.length];
                }
                refused[best.slot.number - 1] = true;
                continue;
            }
            if (!withinCap(best)) {
                best.slot.breaker.releasePermission();
                best.load.decrementAndGet();
                continue;
            }
            // lastUsedNanos is set when the lease comes back: a worker holding a call is never idle.
            return best;
        }
        return null;
    }

    /** Counts a call given to {@code e}; false, with nothing counted, once it has had its {@code maxCalls}. */
    private static boolean withinCap(WorkerEntry e) {
        if (e.maxCalls <= 0) {
            return true;
        }
        if (e.given.incrementAndGet() > e.maxCalls) {
            e.given.decrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * A call is on its way on a lease of {@code e}: if it was the last one {@code max-requests}
     * allows, the worker takes no more and its replacement starts.
     */
    void committed(WorkerEntry e) {
        if (e.reachedMaxCalls() && e.cap()) {
            capReached.accept(e);
        }
    }

    /** Gives back a lease that carried no call: as if {@link #take()} had not happened. */
    void untake(WorkerEntry e) {
        if (e.maxCalls > 0) {
            e.given.decrementAndGet();
        }
        e.load.decrementAndGet();
        e.slot.breaker.releasePermission();
    }

    /**
     * Gives back a lease taken by {@link #take()}, counting the attempt on the breaker as
     * {@code verdict}; {@code now} is the pool's clock, read once by the caller.
     */
    void giveBack(WorkerEntry e, Verdict verdict, long tookNanos, long now, Throwable error) {
        e.load.decrementAndGet();
        e.lastUsedNanos = now;
        if (verdict == Verdict.ANSWERED) {
            e.served.incrementAndGet();
        }
        Slot slot = e.slot;
        if (slot.active != e || verdict == Verdict.NONE) {
            // A retired worker's outcome says nothing about the slot's current worker.
            slot.breaker.releasePermission();
            return;
        }
        if (verdict == Verdict.ANSWERED) {
            slot.breaker.onSuccess(tookNanos, TimeUnit.NANOSECONDS);
        } else {
            slot.breaker.onError(tookNanos, TimeUnit.NANOSECONDS, error);
        }
        checkBreaker(slot);
    }

    /** A missed heartbeat: a failure of the slot's worker that held no lease. */
    void missedHeartbeat(WorkerEntry e, long tookNanos, Throwable error) {
        Slot slot = e.slot;
        if (slot.active == e) {
            slot.breaker.onError(tookNanos, TimeUnit.NANOSECONDS, error);
            checkBreaker(slot);
        }
    }

    /**
     * Quarantines the slot if its breaker is open (also one that someone else opened), and starts
     * its back-off over once the breaker has closed again.
     */
    void checkBreaker(Slot slot) {
        CircuitBreaker.State state = slot.breaker.getState();
        if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
            supervisor.breakerOpened(slot);
        } else if (state == CircuitBreaker.State.CLOSED && slot.hasOpenings()) {
            supervisor.breakerClosed(slot);
        }
    }

    static boolean isOpen(CircuitBreaker breaker) {
        CircuitBreaker.State state = breaker.getState();
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }
}
