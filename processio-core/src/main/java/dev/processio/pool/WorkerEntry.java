package dev.processio.pool;

import dev.processio.WorkerState;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the pool knows about one of its workers: where it is, what state the pool has put it in,
 * and how many calls it holds and has served. The process itself is the {@link Worker}, which
 * knows nothing of this.
 *
 * <p>Ownership: {@code state} and {@code recycling} change only under the pool's lifecycle lock
 * ({@link Supervisor#lock}) and are read anywhere. {@code load}, {@code given} and {@code served}
 * change only in {@link Gate}, lock-free (and {@code given} is reset by {@link #uncap()}). {@code lastUsedNanos} is written by {@link Gate} and
 * read by the housekeeper.
 */
final class WorkerEntry {

    final Worker worker;
    /**
     * Completes as {@link Worker#ready()} does, but only once the pool has acted on it: the entry
     * is {@code READY} and takes calls, or its failure has been handled. Set once, by the
     * supervisor, before the entry is handed out.
     */
    volatile java.util.concurrent.CompletableFuture<Worker> placed;
    final Slot slot;
    /** The pool's lifecycle lock, which every change of {@code state} holds. */
    private final ReentrantLock lifecycle;
    /** When it was started, on the pool's clock. */
    final long startedNanos;
    /** Calls after which it is replaced ({@code processio.recycle.max-requests} plus jitter); 0 for never. */
    final long maxCalls;

    /** Where the pool has put it; never {@code QUARANTINED}, which is the slot's state. Guarded by the lifecycle lock for writes. */
    private volatile WorkerState state = WorkerState.STARTING;
    /** Whether a replacement is being started for it. Guarded by the lifecycle lock. */
    boolean recycling;
    /**
     * Whether it reached a recycling limit (requests, age, memory): from then on it takes no new
     * call, so that the limit is a cap and not a trigger. Set by whoever sees the limit first
     * ({@link #cap()}); cleared only when its replacement fails to start ({@link #uncap()}).
     */
    private final AtomicBoolean capped = new AtomicBoolean();

    /** Calls it holds now: the load units {@link Gate} has handed out for it. */
    final AtomicInteger load = new AtomicInteger();
    /** Calls it has been given, re-sent ones included; checked against {@link #maxCalls}. */
    final AtomicLong given = new AtomicLong();
    /** Calls it answered (pings not included). */
    final AtomicLong served = new AtomicLong();
    /** When it last gave a call back (or was started), on the pool's clock. */
    volatile long lastUsedNanos;

    WorkerEntry(Worker worker, Slot slot, ReentrantLock lifecycle, long nowNanos, long maxCalls) {
        this.worker = worker;
        this.lifecycle = lifecycle;
        this.slot = slot;
        this.startedNanos = nowNanos;
        this.lastUsedNanos = nowNanos;
        this.maxCalls = maxCalls;
    }

    WorkerState state() {
        return state;
    }

    /**
     * Moves it to {@code to}; returns whether it was in {@code from}. Only with the lifecycle lock
     * held, so that each transition is made once, by one thread.
     */
    boolean transition(WorkerState from, WorkerState to) {
        assert lifecycle.isHeldByCurrentThread();
        if (state != from) {
            return false;
        }
        state = to;
        return true;
    }

    /** Moves it to {@code to} from whatever state it is in; returns whether it changed. Lock held. */
    boolean moveTo(WorkerState to) {
        assert lifecycle.isHeldByCurrentThread();
        if (state == to) {
            return false;
        }
        state = to;
        return true;
    }

    /** Whether new calls may be given to it. */
    boolean takesCalls() {
        return state == WorkerState.READY && !capped.get() && !slot.isQuarantined() && worker.stdin().isOpen();
    }

    boolean isCapped() {
        return capped.get();
    }

    /** Marks it as having reached a recycling limit; true for the one caller that did so first. */
    boolean cap() {
        return capped.compareAndSet(false, true);
    }

    /** Its replacement did not start: it serves on, with a fresh allowance of calls. Lifecycle lock held. */
    void uncap() {
        assert lifecycle.isHeldByCurrentThread();
        given.set(0);
        capped.set(false);
    }

    /** Whether it has been given all the calls {@code max-requests} allows. */
    boolean reachedMaxCalls() {
        return maxCalls > 0 && given.get() >= maxCalls;
    }

    String label() {
        return worker.label();
    }
}
