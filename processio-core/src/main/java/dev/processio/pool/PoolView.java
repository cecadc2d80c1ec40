package dev.processio.pool;

import dev.processio.BridgeException;
import dev.processio.BridgeUnavailableException;
import dev.processio.DevWatchSnapshot;
import dev.processio.PoolSnapshot;
import dev.processio.RestartCause;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import dev.processio.metrics.PoolStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What the pool shows of itself: {@link PoolSnapshot}s, and the live figures of {@link PoolStats}
 * that gauges read. Reads volatile and atomic state without locks, so a snapshot is a moment's
 * view, not a consistent cut. A quarantined slot shows its worker, or a placeholder when it has
 * none, as {@code QUARANTINED}. Thread-safe.
 */
final class PoolView implements PoolStats {

    private final String name;
    private final Slot[] slots;
    private final LongSupplier clock;
    // Wired by attach(), before the pool starts: the metrics tracker is made with this view first.
    private Supervisor supervisor;
    private Dispatcher dispatcher;

    PoolView(String name, Slot[] slots, LongSupplier clock) {
        this.name = name;
        this.slots = slots;
        this.clock = clock;
    }

    void attach(Supervisor supervisor, Dispatcher dispatcher) {
        this.supervisor = supervisor;
        this.dispatcher = dispatcher;
    }

    /** @param devWatch what the module watch has seen, or {@code null} when it does not watch */
    PoolSnapshot snapshot(DevWatchSnapshot devWatch) {
        List<WorkerSnapshot> workers = new ArrayList<>();
        Map<WorkerState, Integer> byState = new EnumMap<>(WorkerState.class);
        Map<RestartCause, Long> restarts = new EnumMap<>(RestartCause.class);
        long served = 0;
        long now = clock.getAsLong();
        for (Slot slot : slots) {
            served += slot.served();
            Map<RestartCause, Long> slotRestarts = slot.restarts();
            slotRestarts.forEach((cause, n) -> restarts.merge(cause, n, Long::sum));
            String breaker = slot.breaker.getState().name();
            List<WorkerEntry> held = slot.entries();
            boolean first = true;
            for (WorkerEntry e : held) {
                WorkerState state = stateOf(slot, e);
                byState.merge(state, 1, Integer::sum);
                Worker w = e.worker;
                // Cumulative stdin figures belong to the slot: shown once, on its first row.
                workers.add(new WorkerSnapshot(slot.number, w.pid(), state, Duration.ofNanos(now - e.startedNanos),
                        e.served.get(), w.inFlight(), w.stdin().queuedFrames(), w.stdin().queuedBytes(),
                        first ? slot.drainWaits() : 0, Duration.ofNanos(first ? slot.drainNanos() : 0),
                        first ? slot.epipeCount() : 0, slotRestarts, breaker, slot.lastError(), w.stderrTail(),
                        w.serverInfo()));
                first = false;
            }
            if (held.isEmpty() && slot.isQuarantined()) {
                byState.merge(WorkerState.QUARANTINED, 1, Integer::sum);
                workers.add(new WorkerSnapshot(slot.number, -1, WorkerState.QUARANTINED, Duration.ZERO, 0, 0, 0, 0,
                        slot.drainWaits(), Duration.ofNanos(slot.drainNanos()), slot.epipeCount(), slotRestarts,
                        breaker, slot.lastError(), "", null));
            }
        }
        int waiting = pendingCalls();
        return new PoolSnapshot(name, List.copyOf(workers), waiting, activeCalls(), served,
                supervisor.lateReplies(), supervisor.protocolErrors(), restarts, byState, devWatch);
    }

    /** A worker's state as shown: until the pool closes, a slot's quarantine is the state of its active worker. */
    private WorkerState stateOf(Slot slot, WorkerEntry e) {
        return slot.isQuarantined() && slot.active == e && !supervisor.isClosed() ? WorkerState.QUARANTINED
                : e.state();
    }

    @Override
    public String pool() {
        return name;
    }

    @Override
    public int maxWorkers() {
        return slots.length;
    }

    @Override
    public int pendingCalls() {
        return dispatcher.pending().size();
    }

    @Override
    public int activeCalls() {
        return Math.max(0, dispatcher.activeCalls() - pendingCalls());
    }

    @Override
    public int workers(WorkerState state) {
        int n = 0;
        for (Slot slot : slots) {
            List<WorkerEntry> held = slot.entries();
            for (WorkerEntry e : held) {
                if (stateOf(slot, e) == state) {
                    n++;
                }
            }
            if (state == WorkerState.QUARANTINED && held.isEmpty() && slot.isQuarantined()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public int stdinQueueFrames(int slot) {
        return slots[slot - 1].stdinQueueFrames();
    }

    @Override
    public long stdinQueueBytes(int slot) {
        return slots[slot - 1].stdinQueueBytes();
    }

    @Override
    public long drainWaits(int slot) {
        return slots[slot - 1].drainWaits();
    }

    @Override
    public long drainNanos(int slot) {
        return slots[slot - 1].drainNanos();
    }

    @Override
    public long epipeCount(int slot) {
        return slots[slot - 1].epipeCount();
    }

    // ---- what the messages of failed calls say about the pool --------------------------------

    /** The failure of a call that finds every slot quarantined. */
    BridgeException unavailable() {
        StringBuilder why = new StringBuilder();
        long soonest = Long.MAX_VALUE;
        long now = clock.getAsLong();
        for (Slot slot : slots) {
            if (slot.lastError() != null) {
                why.append("\n  slot ").append(slot.number).append(": ").append(slot.lastError());
            }
            soonest = Math.min(soonest, slot.respawnAtNanos() - now);
        }
        return new BridgeUnavailableException(name, "no healthy worker: all " + slots.length
                + " slots are quarantined; the next replacement starts in "
                + Math.max(0, TimeUnit.NANOSECONDS.toMillis(soonest)) + " ms." + why, null);
    }

    /** Why no worker could take a call, for the acquire-timeout message. */
    String describeCapacity() {
        int ready = 0;
        int starting = 0;
        int quarantined = 0;
        for (Slot slot : slots) {
            WorkerEntry e = slot.active;
            if (slot.isQuarantined()) {
                quarantined++;
            } else if (e != null && e.state() == WorkerState.READY) {
                ready++;
            } else if (e != null && e.state() == WorkerState.STARTING) {
                starting++;
            }
        }
        return ready == 0
                ? "no worker is ready (" + starting + " starting, " + quarantined + " quarantined)"
                : ready + " ready workers of at most " + slots.length + " (processio.pool.max-workers) hold "
                        + supervisor.options().maxInFlightPerWorker() + " calls each (processio.pool.max-in-flight-per-worker)";
    }
}
