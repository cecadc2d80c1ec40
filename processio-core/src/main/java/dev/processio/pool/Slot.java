package dev.processio.pool;

import dev.processio.RestartCause;
import dev.processio.io.ProcessIO;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.ToLongFunction;

/**
 * A numbered place in the pool for one worker at a time, with its circuit breaker, its
 * quarantine, and the counters that outlive the workers it has held.
 *
 * <p>Quarantine is one state, {@link #isQuarantined()}: the breaker opened (or was opened for a
 * hard fault), the slot's worker takes no calls and is killed, and a replacement waits until
 * {@link #respawnAtNanos()}. The breaker's own state is an input to it, read after each outcome
 * reported to it; a snapshot shows a quarantined slot's worker as {@code QUARANTINED}.
 *
 * <p>Ownership: every field but the counters is written only under the pool's lifecycle lock
 * ({@link Supervisor#lock}); those read without it are volatile. The restart counts and the
 * totals of departed workers are written under that lock too and read anywhere.
 */
final class Slot {

    final int number;
    final CircuitBreaker breaker;

    /** The worker calls go to, or that was quarantined; {@code null} for an unused slot. */
    volatile WorkerEntry active;
    /** A replacement starting while {@code active} is being recycled. */
    volatile WorkerEntry incoming;
    /** Old workers finishing their calls before they exit. */
    final List<WorkerEntry> retiring = new CopyOnWriteArrayList<>();

    private volatile boolean quarantined;
    /** Breaker openings since it was last closed; drives the back-off. */
    private volatile int openings;
    /** When the replacement of a quarantined slot may start, on the pool's clock. */
    private volatile long respawnAtNanos;

    /** Why the slot's current worker was last in trouble, as text; see {@link #noteError}. */
    private volatile String lastError;
    /** What the last soft failure recorded on the breaker was: a timeout or a missed heartbeat. */
    RestartCause lastSoftCause = RestartCause.TIMEOUT;

    /** Replacements by cause, indexed by ordinal. */
    private final AtomicLongArray restarts = new AtomicLongArray(RestartCause.values().length);

    // Totals of the workers that have left the slot, folded in by departed().
    private volatile long pastServed;
    private volatile long pastDrainWaits;
    private volatile long pastDrainNanos;
    private volatile long pastEpipe;

    Slot(int number, CircuitBreaker breaker) {
        this.number = number;
        this.breaker = breaker;
    }

    boolean isQuarantined() {
        return quarantined;
    }

    long respawnAtNanos() {
        return respawnAtNanos;
    }

    String lastError() {
        return lastError;
    }

    /** Records why the slot's worker is in trouble. Lifecycle lock held. */
    void noteError(String error) {
        lastError = error;
    }

    /** Enters quarantine; returns the number of openings since the breaker last closed. Lifecycle lock held. */
    int quarantine(RestartCause cause, String error) {
        quarantined = true;
        lastError = error;
        restarts.incrementAndGet(cause.ordinal());
        return ++openings;
    }

    /** Sets when the replacement may start. Lifecycle lock held. */
    void respawnAt(long nanos) {
        respawnAtNanos = nanos;
    }

    /** Leaves quarantine as its replacement starts. Lifecycle lock held. */
    void leaveQuarantine() {
        quarantined = false;
    }

    /** The breaker closed again: the back-off starts over. Lifecycle lock held. */
    void breakerClosed() {
        openings = 0;
    }

    boolean hasOpenings() {
        return openings != 0;
    }

    /** A worker was replaced without a quarantine (recycling). */
    void recycled(RestartCause cause) {
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

    /** Folds the counters of a worker that has left the slot for good into the slot's totals. Lifecycle lock held. */
    void departed(WorkerEntry entry) {
        ProcessIO stdin = entry.worker.stdin();
        pastServed += entry.served.get();
        pastDrainWaits += stdin.drainWaits();
        pastDrainNanos += stdin.drainNanos();
        pastEpipe += stdin.epipeCount();
    }

    long served() {
        long n = pastServed;
        for (WorkerEntry e : entries()) {
            n += e.served.get();
        }
        return n;
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

    private long sum(ToLongFunction<ProcessIO> figure) {
        long n = 0;
        for (WorkerEntry e : entries()) {
            n += figure.applyAsLong(e.worker.stdin());
        }
        return n;
    }

    /** Every worker the slot holds now: retiring, active and incoming. */
    List<WorkerEntry> entries() {
        WorkerEntry a = active;
        WorkerEntry i = incoming;
        if (retiring.isEmpty()) {
            return a == null ? (i == null ? List.of() : List.of(i)) : (i == null ? List.of(a) : List.of(a, i));
        }
        List<WorkerEntry> all = new ArrayList<>(retiring);
        if (a != null) {
            all.add(a);
        }
        if (i != null) {
            all.add(i);
        }
        return all;
    }
}
