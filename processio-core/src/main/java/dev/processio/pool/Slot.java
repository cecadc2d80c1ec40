package dev.processio.pool;

import dev.processio.RestartCause;
import dev.processio.io.ProcessIO;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.ToLongFunction;

/**
 * A numbered place in the pool for one worker at a time, with its circuit breaker and the
 * counters that outlive the workers it has held.
 *
 * <p>{@code active}, {@code incoming}, {@code quarantined}, {@code openings} and {@code respawn}
 * are written under the pool's lock and read without it (volatile or confined to the lock).
 */
final class Slot {

    final int number;
    final CircuitBreaker breaker;

    /** The worker calls go to, or that is quarantined; {@code null} for an unused slot. */
    volatile Worker active;
    /** A replacement starting while {@code active} is being recycled. */
    volatile Worker incoming;
    /** Old workers finishing their calls before they exit. */
    final List<Worker> retiring = new CopyOnWriteArrayList<>();

    /** Whether the breaker is open and a replacement waits for its turn. */
    volatile boolean quarantined;
    /** Breaker openings since it was last closed; drives the back-off. Written under the pool lock. */
    volatile int openings;
    /** The scheduled replacement, while quarantined. Guarded by the pool lock. */
    ScheduledFuture<?> respawn;
    /** When the scheduled replacement starts ({@link System#nanoTime()}), while quarantined. */
    volatile long respawnAtNanos;

    /** The last fault seen in this slot, as text. */
    volatile String lastError;
    /** Why the breaker is being opened by a hard fault; read and cleared when it opens. */
    volatile RestartCause openCause;
    /** What the last soft failure recorded on the breaker was: a timeout or a missed heartbeat. */
    volatile RestartCause lastSoftCause = RestartCause.TIMEOUT;

    /** Replacements by cause, indexed by ordinal. */
    private final AtomicLongArray restarts = new AtomicLongArray(RestartCause.values().length);

    // Stdin counters of workers that have left the slot; only the housekeeping of exits adds to them.
    private volatile long pastDrainWaits;
    private volatile long pastDrainNanos;
    private volatile long pastEpipe;

    Slot(int number, CircuitBreaker breaker) {
        this.number = number;
        this.breaker = breaker;
    }

    void restarted(RestartCause cause) {
        restarts.incrementAndGet(cause.ordinal());
    }

    Map<RestartCause, Long> restarts() {
        Map<RestartCause, Long> out = new EnumMap<>(RestartCause.class);
        for (RestartCause cause : RestartCause.values()) {
            long n = restarts.get(cause.ordinal());
            if (n > 0) {
                out.put(cause, n);
            }
        }
        return out;
    }

    long restartCount(RestartCause cause) {
        return restarts.get(cause.ordinal());
    }

    /** Folds the counters of a worker that has left the slot for good into the slot's totals. */
    synchronized void retire(Worker worker) {
        pastDrainWaits += worker.stdin().drainWaits();
        pastDrainNanos += worker.stdin().drainNanos();
        pastEpipe += worker.stdin().epipeCount();
    }

    long drainWaits() {
        return pastDrainWaits + sum(ProcessIO::drainWaits);
    }

    long drainNanos() {
        return pastDrainNanos + sum(ProcessIO::drainNanos);
    }

    long epipeCount() {
        return pastEpipe + sum(ProcessIO::epipeCount);
    }

    int stdinQueueFrames() {
        return (int) sum(ProcessIO::queuedFrames);
    }

    long stdinQueueBytes() {
        return sum(ProcessIO::queuedBytes);
    }

    /** A stdin figure summed over the workers the slot holds now. */
    private long sum(ToLongFunction<ProcessIO> figure) {
        long n = 0;
        for (Worker w : workers()) {
            n += figure.applyAsLong(w.stdin());
        }
        return n;
    }

    /** Every worker the slot holds now: active, incoming and retiring. */
    List<Worker> workers() {
        Worker a = active;
        Worker i = incoming;
        if (retiring.isEmpty()) {
            return a == null ? (i == null ? List.of() : List.of(i)) : (i == null ? List.of(a) : List.of(a, i));
        }
        List<Worker> all = new ArrayList<>(retiring);
        if (a != null) {
            all.add(a);
        }
        if (i != null) {
            all.add(i);
        }
        return all;
    }
}
