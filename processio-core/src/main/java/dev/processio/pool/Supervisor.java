package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.NodeBridgeOptions;
import dev.processio.RestartCause;
import dev.processio.WorkerState;
import dev.processio.metrics.MetricsTracker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the slots filled with healthy workers: starts them and waits for them to be ready, hears
 * their faults and exits, quarantines a slot whose breaker opened, starts its replacement after
 * the back-off, grows the pool while calls wait and retires idle workers.
 *
 * <p>Every change of a slot or of a worker's state happens under {@link #lock}, the pool's
 * lifecycle lock, and is made by the one thread that holds it; methods ending in {@code Locked}
 * assert it. Workers are killed, and waiting calls failed, after the lock is let go. A call that
 * goes well never takes this lock; one takes it when it must grow the pool, or when its caller's
 * own write of the frame finds the worker broken and so runs the worker's fault.
 */
final class Supervisor implements Worker.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    /** The pool's lifecycle lock: guards the slots' fields and the workers' states. */
    final ReentrantLock lock = new ReentrantLock();

    private final String name;
    private final NodeBridgeOptions options;
    private final WorkerSettings settings;
    private final Slot[] slots;
    private final MetricsTracker metrics;
    private final LongSupplier clock;
    private final Housekeeper housekeeper;
    private final PoolView view;
    private Dispatcher dispatcher;
    private volatile boolean closed;
    private final AtomicLong lateReplies = new AtomicLong();
    private final AtomicLong protocolErrors = new AtomicLong();
    /**
     * Workers being stopped by {@link #drainAndStop}, until nothing of their tree runs. A worker
     * leaves its slot when its own process exits, and what it started may still run then.
     * Added by the thread that starts the drain, removed on the housekeeper; read by close().
     */
    private final Set<Worker> stopping = ConcurrentHashMap.newKeySet();

    Supervisor(NodeBridgeOptions options, WorkerSettings settings, Slot[] slots, MetricsTracker metrics,
            LongSupplier clock, Housekeeper housekeeper, PoolView view) {
        this.view = view;
        this.name = options.name();
        this.options = options;
        this.settings = settings;
        this.slots = slots;
        this.metrics = metrics;
        this.clock = clock;
        this.housekeeper = housekeeper;
    }

    /** Completes the wiring; once, before the first worker starts. */
    void attach(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    NodeBridgeOptions options() {
        return options;
    }

    boolean isClosed() {
        return closed;
    }

    long lateReplies() {
        return lateReplies.get();
    }

    long protocolErrors() {
        return protocolErrors.get();
    }

    // ---- starting workers ---------------------------------------------------------------------

    /** Starts {@code min-workers} workers and returns them; a command that cannot run at all throws. */
    List<WorkerEntry> startMinimum() {
        List<WorkerEntry> started = new ArrayList<>();
        lock.lock();
        try {
            for (int i = 0; i < options.minWorkers(); i++) {
                started.add(spawnLocked(slots[i], true));
            }
        } finally {
            lock.unlock();
        }
        return started;
    }

    /** Starts a worker process for {@code slot}; {@code null} once closed. The caller places it. */
    WorkerEntry launchLocked(Slot slot) {
        assert lock.isHeldByCurrentThread();
        if (closed) {
            return null;
        }
        Worker w = Worker.start(settings, slot.number, this, housekeeper.executor());
        long jitter = options.recycleMaxRequestsJitter() <= 0 ? 0
                : ThreadLocalRandom.current().nextLong(options.recycleMaxRequestsJitter() + 1);
        long maxCalls = options.recycleMaxRequests() <= 0 ? 0 : options.recycleMaxRequests() + jitter;
        return new WorkerEntry(w, slot, lock, clock.getAsLong(), maxCalls);
    }

    /**
     * Starts a worker as the slot's active one.
     *
     * @param propagate whether a command that cannot run at all is thrown (at pool start) rather
     *        than treated as a fault of the slot
     */
    private WorkerEntry spawnLocked(Slot slot, boolean propagate) {
        assert lock.isHeldByCurrentThread();
        WorkerEntry e;
        try {
            e = launchLocked(slot);
        } catch (BridgeStartupException failure) {
            if (propagate) {
                throw failure;
            }
            afterQuarantine(quarantineLocked(slot, true, RestartCause.STARTUP,
                    "failed to start: " + failure.getMessage()));
            return null;
        }
        if (e == null) {
            return null;
        }
        slot.active = e;
        e.placed = e.worker.ready().whenComplete((ok, error) -> {
            if (error == null) {
                becameReady(e);
            } else {
                startFailed(e, error);
            }
        });
        return e;
    }

    private void becameReady(WorkerEntry e) {
        lock.lock();
        try {
            if (closed || e.slot.active != e || !e.transition(WorkerState.STARTING, WorkerState.READY)) {
                return;
            }
        } finally {
            lock.unlock();
        }
        dispatcher.drain();
        growIfWaiting();
        // A wrapper has started the real worker by now: remember it before anything can orphan it.
        // Last, so that no call waits for the scan; on the thread that reads the worker's replies,
        // so that the scan is done before the first one is read.
        e.worker.rememberDescendants();
    }

    private void startFailed(WorkerEntry e, Throwable error) {
        if (e.worker.fault() != null) {
            // faulted() has quarantined the slot already.
            return;
        }
        hardFault(e, RestartCause.STARTUP, "failed to start: " + error.getMessage());
    }

    /** Starts one more worker when calls wait and a slot is free, unless one is starting already. */
    void growIfWaiting() {
        if (dispatcher.pending().isEmpty() || closed) {
            return;
        }
        lock.lock();
        try {
            for (Slot slot : slots) {
                WorkerEntry e = slot.active;
                if (e != null && e.state() == WorkerState.STARTING) {
                    return;
                }
            }
            for (Slot slot : slots) {
                if (slot.active == null && !slot.isQuarantined()) {
                    spawnLocked(slot, false);
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- faults, exits, quarantine --------------------------------------------------------------

    @Override
    public void faulted(Worker worker, WorkerFault fault) {
        WorkerEntry e = entryOf(worker);
        if (e != null && e.state() != WorkerState.DRAINING) {
            RestartCause cause = switch (fault.kind()) {
                case STALLED -> RestartCause.STALL;
                case BROKEN_PIPE -> RestartCause.EPIPE;
                case PROTOCOL, STDOUT_CLOSED -> RestartCause.PROTOCOL;
                // RestartCause is a published tag set: a tree killed at its limit is counted as a
                // crash, as a worker that the kernel ends at its CPU-time limit is.
                case LIMIT -> RestartCause.CRASH;
            };
            hardFault(e, cause, worker.label() + ": " + fault.message());
        }
    }

    @Override
    public void exited(Worker worker, ExitStatus status) {
        WorkerEntry e = entryOf(worker);
        if (e == null) {
            return;
        }
        boolean crashed;
        lock.lock();
        try {
            Slot slot = e.slot;
            WorkerState was = e.state();
            e.moveTo(WorkerState.STOPPED);
            if (slot.retiring.remove(e)) {
                slot.departed(e);
                return;
            }
            // Not a crash when stopped on purpose, when a replacement failed while the old worker
            // served on, when quarantined already, or when it failed to start (startFailed() sees to that).
            crashed = !closed && was == WorkerState.READY && slot.active == e && !slot.isQuarantined();
        } finally {
            lock.unlock();
        }
        if (crashed) {
            hardFault(e, RestartCause.CRASH, worker.label() + " exited with " + status.describe() + tail(worker));
        }
    }

    @Override
    public void lateReply(Worker worker, long id) {
        lateReplies.incrementAndGet();
        metrics.lateReply();
    }

    @Override
    public void protocolError(Worker worker, String kind) {
        protocolErrors.incrementAndGet();
        metrics.protocolError(kind);
    }

    @Override
    public void workerMessage(Worker worker, String kind) {
        metrics.workerMessage(kind);
    }

    @Override
    public void logLinesDropped(Worker worker, int count) {
        metrics.logLinesDropped(count);
    }

    /** A hard fault of a slot's worker: its breaker opens and the slot is quarantined at once. */
    private void hardFault(WorkerEntry e, RestartCause cause, String error) {
        Slot slot = e.slot;
        Quarantine q;
        lock.lock();
        try {
            if (closed || slot.active != e || slot.isQuarantined()) {
                return;
            }
            q = quarantineLocked(slot, true, cause, error);
        } finally {
            lock.unlock();
        }
        afterQuarantine(q);
    }

    /** A timeout or missed heartbeat of a slot's worker, recorded before it is reported to the breaker. */
    void softFailure(WorkerEntry e, RestartCause cause, String error) {
        lock.lock();
        try {
            if (e.slot.active == e && !e.slot.isQuarantined()) {
                e.slot.lastSoftCause = cause;
                e.slot.noteError(error);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The breaker of {@code slot} was found open: after reported outcomes, or opened by someone else. */
    void breakerOpened(Slot slot) {
        Quarantine q;
        lock.lock();
        try {
            if (closed || slot.isQuarantined() || !Gate.isOpen(slot.breaker)) {
                return;
            }
            q = quarantineLocked(slot, false, slot.lastSoftCause, slot.lastError());
        } finally {
            lock.unlock();
        }
        afterQuarantine(q);
    }

    /**
     * A slot just quarantined: the workers to kill, and whether its breaker must be opened (a hard
     * fault) or is open already. Both happen after the lock is let go: killing takes time, and a
     * breaker tells its event consumers, the application's code, as it moves.
     */
    private record Quarantine(Slot slot, List<Worker> victims, boolean openBreaker) {
    }

    /**
     * Quarantines a slot and schedules its replacement. The quarantine is decided here, under the
     * lock, before anything else is done, so that the first report of a worker's end (a fault,
     * then the exit it causes) is the one that names the cause.
     */
    private Quarantine quarantineLocked(Slot slot, boolean hardFault, RestartCause cause, String error) {
        assert lock.isHeldByCurrentThread();
        int openings = slot.quarantine(cause, error);
        metrics.workerRestarted(slot.number, cause);
        List<Worker> victims = new ArrayList<>(2);
        if (slot.active != null) {
            victims.add(slot.active.worker);
        }
        WorkerEntry incoming = slot.incoming;
        if (incoming != null) {
            slot.incoming = null;
            victims.add(incoming.worker);
        }
        long wait = slot.breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(openings);
        slot.respawnAt(clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(wait));
        housekeeper.wakeAfter(wait);
        LOG.warn("[{}] worker slot {} quarantined ({}); replacement in {} ms", name, slot.number, error, wait);
        return new Quarantine(slot, victims, hardFault);
    }

    private void afterQuarantine(Quarantine q) {
        if (lock.isHeldByCurrentThread()) {
            // Reached under the lock (a worker that failed before its start returned): kills and
            // the callers' futures never run with it held. Once the housekeeper has stopped, the
            // pool is closed, and close() kills and fails everything itself.
            housekeeper.submit(() -> afterQuarantine(q));
            return;
        }
        if (q.openBreaker()) {
            // The replacement moves it to half-open, under the lock, no sooner than the back-off.
            q.slot().breaker.transitionToOpenState();
        }
        for (Worker w : q.victims()) {
            if (w.isAlive()) {
                w.kill();
            }
        }
        if (allQuarantined()) {
            dispatcher.failPending(view::unavailable);
        }
    }

    /** Starts the replacement of each quarantined slot whose back-off has passed at {@code now}. */
    void respawnDue(long now) {
        for (Slot slot : slots) {
            if (slot.isQuarantined() && now - slot.respawnAtNanos() >= 0) {
                respawn(slot);
            }
        }
    }

    private void respawn(Slot slot) {
        Worker old = null;
        lock.lock();
        try {
            if (closed || !slot.isQuarantined()) {
                return;
            }
            slot.leaveQuarantine();
            WorkerEntry e = slot.active;
            if (e != null) {
                slot.active = null;
                slot.departed(e);
                old = e.worker;
            }
            slot.breaker.transitionToHalfOpenState();
            spawnLocked(slot, false);
        } finally {
            lock.unlock();
        }
        if (old != null && old.isAlive()) {
            old.kill();
        }
    }

    /** The breaker of a slot closed again after openings: its back-off starts over. */
    void breakerClosed(Slot slot) {
        lock.lock();
        try {
            if (!slot.isQuarantined() && slot.breaker.getState() == CircuitBreaker.State.CLOSED) {
                slot.breakerClosed();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- idle workers and stopping --------------------------------------------------------------

    /** Stops the slot's worker if it has been idle for the idle timeout and the pool is above its minimum. */
    boolean retireIfIdle(WorkerEntry e, long now) {
        if (e.load.get() != 0 || !dispatcher.pending().isEmpty() || liveWorkers() <= options.minWorkers()
                || now - e.lastUsedNanos < options.idleTimeout().toNanos()) {
            return false;
        }
        lock.lock();
        try {
            if (closed || e.slot.active != e || e.load.get() != 0 || e.recycling
                    || !e.transition(WorkerState.READY, WorkerState.DRAINING)) {
                return false;
            }
            e.slot.active = null;
            e.slot.retiring.add(e);
        } finally {
            lock.unlock();
        }
        LOG.info("[{}] {} was idle for {} (processio.pool.idle-timeout); stopping it", name, e.label(),
                options.idleTimeout());
        drainAndStop(e);
        return true;
    }

    /**
     * Stops a draining worker and every process it started: end of input now; once the grace
     * period and the kill timeout have passed, SIGTERM to each of them that still runs; after
     * another kill timeout, SIGKILL. A descendant that its end handed to init is reached too, and
     * the worker stays in {@link #stopping} until nothing of it runs.
     */
    void drainAndStop(WorkerEntry e) {
        Worker w = e.worker;
        stopping.add(w);
        w.closeStdin();
        long kill = options.killTimeout().toNanos();
        housekeeper.schedule(() -> {
            if (!w.isTreeAlive()) {
                stopping.remove(w);
                return;
            }
            LOG.warn("[{}] {} did not finish within processio.shutdown.grace-period ({} ms) and"
                    + " processio.shutdown.kill-timeout ({} ms); sending SIGTERM", name, w.describeRunning(),
                    options.gracePeriod().toMillis(), options.killTimeout().toMillis());
            w.terminate();
            housekeeper.schedule(() -> {
                if (w.isTreeAlive()) {
                    LOG.warn("[{}] {} ignored SIGTERM for {} ms (processio.shutdown.kill-timeout); sending SIGKILL",
                            name, w.describeRunning(), options.killTimeout().toMillis());
                    w.kill();
                }
                stopping.remove(w);
            }, kill);
        }, options.gracePeriod().toNanos() + kill);
    }

    /** Workers {@link #drainAndStop} has not finished stopping, which {@link Pool#close()} stops too. */
    List<Worker> stopping() {
        return List.copyOf(stopping);
    }

    /** Marks the pool closed and returns every worker it holds; {@code null} if it was closed already. */
    List<WorkerEntry> close() {
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            closed = true;
            List<WorkerEntry> all = new ArrayList<>();
            for (Slot slot : slots) {
                all.addAll(slot.entries());
            }
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** Marks a worker stopped at close. */
    void stopped(WorkerEntry e) {
        lock.lock();
        try {
            e.moveTo(WorkerState.STOPPED);
        } finally {
            lock.unlock();
        }
    }

    // ---- views ----------------------------------------------------------------------------------

    private WorkerEntry entryOf(Worker worker) {
        for (WorkerEntry e : slots[worker.slot() - 1].entries()) {
            if (e.worker == worker) {
                return e;
            }
        }
        return null;
    }

    boolean allQuarantined() {
        for (Slot slot : slots) {
            if (!slot.isQuarantined()) {
                return false;
            }
        }
        return true;
    }

    int liveWorkers() {
        int n = 0;
        for (Slot slot : slots) {
            WorkerEntry e = slot.active;
            if (e != null && (e.state() == WorkerState.READY || e.state() == WorkerState.STARTING)) {
                n++;
            }
        }
        return n;
    }

    private static String tail(Worker worker) {
        String tail = worker.stderrTail();
        if (tail.isEmpty()) {
            return "";
        }
        String last = tail.substring(tail.lastIndexOf('\n') + 1);
        return "; stderr: " + (last.length() > 300 ? last.substring(0, 300) + "..." : last);
    }
}
