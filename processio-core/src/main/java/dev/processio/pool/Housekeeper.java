package dev.processio.pool;

import dev.processio.BridgeTimeoutException;
import dev.processio.RestartCause;
import dev.processio.WorkerState;
import dev.processio.io.ProcessIO;
import dev.processio.protocol.RpcReply;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JavaType;

/**
 * The pool's periodic work, on its one thread {@code processio-<pool>-housekeeper}:
 * <ul>
 *   <li>the <b>tick</b>, every {@value #TICK_MILLIS} ms: replacements whose back-off has passed,
 *       breakers opened from outside, heartbeats, idle workers above the minimum, recycling by
 *       age and memory, and growth while calls wait; and a look at each worker's process tree
 *       (every tick while it starts, every {@value #REMEMBER_TICKS}th once it is ready), so that
 *       stopping it finds what it started even after its own end handed those to init; one look
 *       is one scan of {@code /proc}, see {@link ProcessTree} for the cost;</li>
 *   <li>the <b>sweep</b>, every {@value #SWEEP_MILLIS} ms while any call or ping is active:
 *       calls and pings past their deadline, waiting or held by a worker. No call needs a timer
 *       of its own: a timer per call costs an allocation and two turns of the scheduler's lock,
 *       which every caller shares.</li>
 * </ul>
 * Every decision reads the pool's clock, which tests replace; the thread itself wakes on real
 * time. It also runs the workers' own timers (start-up timeout, exit drain) and the stop
 * escalations of draining workers.
 *
 * <p>{@code lastHeartbeatNanos} and {@code ticks} are only used on the housekeeper thread; the rest
 * is final or atomic.
 */
final class Housekeeper {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeper.class);
    static final long TICK_MILLIS = 250;
    /** How often the deadline sweep runs while calls are active; a timeout ends at most this much late. */
    static final long SWEEP_MILLIS = 10;
    /** Every how many ticks a ready worker's process tree is looked at: about once a second. */
    static final int REMEMBER_TICKS = 4;

    private final String name;
    private final LongSupplier clock;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private long lastHeartbeatNanos;
    private long ticks;

    // Wired by start().
    private Slot[] slots;
    private Supervisor supervisor;
    private Dispatcher dispatcher;
    private Recycler recycler;
    private Gate gate;
    private AtomicLong ids;
    private long heartbeatNanos;
    private long pingTimeoutNanos;

    Housekeeper(String name, LongSupplier clock) {
        this.name = name;
        this.clock = clock;
        // It runs the stdin write-timeout checks, so it must never block in a write of its own.
        this.executor = new ScheduledThreadPoolExecutor(1,
                r -> ProcessIO.newSchedulerThread(r, "processio-" + name + "-housekeeper"));
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.lastHeartbeatNanos = clock.getAsLong();
    }

    ScheduledExecutorService executor() {
        return executor;
    }

    /** Wires the parts the tick and sweep act on, and starts the tick. */
    void start(Slot[] slots, Supervisor supervisor, Dispatcher dispatcher, Recycler recycler, Gate gate,
            AtomicLong ids, Duration heartbeat, Duration pingTimeout) {
        this.slots = slots;
        this.supervisor = supervisor;
        this.dispatcher = dispatcher;
        this.recycler = recycler;
        this.gate = gate;
        this.ids = ids;
        this.heartbeatNanos = heartbeat.isZero() ? 0 : saturatedNanos(heartbeat);
        this.pingTimeoutNanos = saturatedNanos(pingTimeout);
        executor.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Runs a tick soon after {@code millis}, so that a replacement due then starts on time. */
    void wakeAfter(long millis) {
        schedule(this::tick, TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** Schedules on the housekeeper; {@code null} once it has been shut down. */
    ScheduledFuture<?> schedule(Runnable task, long nanos) {
        try {
            return executor.schedule(task, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closedAlready) {
            return null;
        }
    }

    /** Runs a task on the housekeeper; returns false, without running it, once it has been shut down. */
    boolean submit(Runnable task) {
        try {
            executor.execute(task);
            return true;
        } catch (RejectedExecutionException closedAlready) {
            return false;
        }
    }

    /** Runs a task on the housekeeper; on the calling thread once it has been shut down. */
    void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException closedAlready) {
            task.run();
        }
    }

    /** Stops the thread and waits for it. */
    void shutdown() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    // ---- tick ---------------------------------------------------------------------------------

    private void tick() {
        if (supervisor.isClosed()) {
            return;
        }
        try {
            long now = clock.getAsLong();
            boolean heartbeat = heartbeatNanos > 0 && now - lastHeartbeatNanos >= heartbeatNanos;
            if (heartbeat) {
                lastHeartbeatNanos = now;
            }
            supervisor.respawnDue(now);
            rememberDescendants(++ticks % REMEMBER_TICKS == 0);
            for (Slot slot : slots) {
                gate.checkBreaker(slot);
                WorkerEntry e = slot.active;
                if (e == null || e.state() != WorkerState.READY || slot.isQuarantined()) {
                    continue;
                }
                if (heartbeat && e.load.get() == 0) {
                    ping(e, now);
                }
                if (!supervisor.retireIfIdle(e, now)) {
                    recycler.checkLimits(e, now);
                }
            }
            dispatcher.drain();
            supervisor.growIfWaiting();
        } catch (RuntimeException e) {
            LOG.error("[{}] housekeeping failed", name, e);
        }
    }

    /** Looks at the process tree of each starting worker, and of every worker when {@code all}. */
    private void rememberDescendants(boolean all) {
        for (Slot slot : slots) {
            for (WorkerEntry e : slot.entries()) {
                if (all || e.state() == WorkerState.STARTING) {
                    e.worker.rememberDescendants();
                }
            }
        }
    }

    /** A heartbeat request; its reply is only awaited, never read. */
    private record Ping(long id, byte[] frame, long sentNanos) implements Worker.Request {

        @Override
        public JavaType resultType() {
            return null;
        }

        @Override
        public void replied(RpcReply reply) {
            // Answered in time: nothing to do.
        }

        @Override
        public void failed(RuntimeException cause) {
            // The worker's fault or exit is reported on its own.
        }
    }

    private void ping(WorkerEntry e, long now) {
        long id = ids.getAndIncrement();
        byte[] frame = e.worker.heartbeat(id);
        if (frame == null) {
            return;
        }
        e.worker.send(new Ping(id, frame, now), false);
        armSweep();
    }

    private void pingTimedOut(WorkerEntry e, Ping ping, long now) {
        if (!e.worker.forget(ping.id()) || e.slot.active != e) {
            return;
        }
        String error = e.label() + ": no answer to " + e.worker.heartbeatMethod() + " within "
                + TimeUnit.NANOSECONDS.toMillis(pingTimeoutNanos) + " ms (processio.health-check.timeout)";
        LOG.warn("[{}] {}", name, error);
        supervisor.softFailure(e, RestartCause.HEARTBEAT, error);
        gate.missedHeartbeat(e, now - ping.sentNanos(), new BridgeTimeoutException(name, error));
    }

    // ---- deadline sweep -------------------------------------------------------------------------

    /** Starts the sweep unless it runs already: one volatile read per call while it does. */
    void armSweep() {
        if (!sweeping.get() && sweeping.compareAndSet(false, true)
                && schedule(this::sweep, TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS)) == null) {
            sweeping.set(false);
        }
    }

    private void sweep() {
        boolean held = false;
        try {
            long now = clock.getAsLong();
            dispatcher.expireWaiting(now);
            for (Slot slot : slots) {
                for (WorkerEntry e : slot.entries()) {
                    e.worker.forEachHeld(request -> {
                        if (request instanceof PoolCall call) {
                            dispatcher.expireHeld(e, call, now);
                        } else if (request instanceof Ping ping && now - ping.sentNanos() >= pingTimeoutNanos) {
                            pingTimedOut(e, ping, now);
                        }
                    });
                    held |= e.worker.inFlight() > 0;
                }
            }
            dispatcher.drain();
        } catch (RuntimeException e) {
            LOG.error("[{}] deadline sweep failed", name, e);
        } finally {
            if (dispatcher.activeCalls() > 0 || held) {
                if (schedule(this::sweep, TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS)) == null) {
                    sweeping.set(false);
                }
            } else {
                sweeping.set(false);
                // A call may have arrived after the look at the active calls and found the sweep still running.
                if (dispatcher.activeCalls() > 0) {
                    armSweep();
                }
            }
        }
    }
}
