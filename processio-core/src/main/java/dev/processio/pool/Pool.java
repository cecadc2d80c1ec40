package dev.processio.pool;

import dev.processio.BridgeDisposedException;
import dev.processio.BridgeException;
import dev.processio.BridgeProtocolException;
import dev.processio.BridgeRejectedException;
import dev.processio.BridgeStartupException;
import dev.processio.BridgeTimeoutException;
import dev.processio.BridgeUnavailableException;
import dev.processio.CallOptions;
import dev.processio.NodeBridgeOptions;
import dev.processio.PoolSnapshot;
import dev.processio.RemoteExecutionException;
import dev.processio.RestartCause;
import dev.processio.WorkerLostException;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import dev.processio.io.ProcessIO;
import dev.processio.io.StdinWriteException;
import dev.processio.metrics.CallOutcome;
import dev.processio.metrics.MetricsTracker;
import dev.processio.metrics.PoolStats;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.RpcCodec;
import dev.processio.protocol.RpcError;
import dev.processio.protocol.RpcReply;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The engine behind {@link dev.processio.NodeBridge}: slots of workers, dispatch, quarantine,
 * respawn, recycling, heartbeats and shutdown. Public only so that the bridge can reach it;
 * applications use {@code NodeBridge}.
 *
 * <h2>Dispatch</h2>
 * A call goes to the READY worker with the fewest calls, if that is below
 * {@code max-in-flight-per-worker} and its slot's breaker permits it; the choice is a scan of the
 * slots and a compare-and-set on the worker's load, without a lock. Otherwise the call waits in a
 * bounded queue. A worker that takes a call back (a reply, a failure, a timeout) serves the queue
 * first. A call that never reached its worker goes back to the front of the queue.
 *
 * <h2>Threads</h2>
 * Callers dispatch on their own thread; replies complete calls on the worker's stdout thread.
 * One housekeeper thread, {@code processio-<pool>-housekeeper}, runs timers, heartbeats,
 * recycling checks, respawns and write-timeout checks. Changes of slot state (spawn, quarantine,
 * recycle, retire) happen under {@code lock}; the per-call path takes no pool-wide lock, only the
 * short lock of the chosen worker's stdin queue.
 */
public final class Pool implements PoolStats, Worker.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(Pool.class);
    private static final long TICK_MILLIS = 250;
    /** How often the deadline sweep runs while calls are active; a timeout ends at most this much late. */
    static final long SWEEP_MILLIS = 10;

    private final NodeBridgeOptions options;
    private final String name;
    private final ObjectMapper mapper;
    private final RpcCodec codec;
    private final NodeRuntime runtime;
    private final WorkerSettings workerSettings;
    private final ScheduledThreadPoolExecutor housekeeper;
    private final CircuitBreakerRegistry registry;
    private final Slot[] slots;
    private final MetricsTracker metrics;
    private final Thread shutdownHook;

    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedDeque<PoolCall> pending = new ConcurrentLinkedDeque<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final AtomicInteger activeCalls = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    /** Whether the deadline sweep is scheduled. */
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final AtomicLong lateReplies = new AtomicLong();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong pastServed = new AtomicLong();
    private volatile boolean closed;
    private volatile boolean memoryCheckUnsupported;
    private long lastHeartbeatNanos = System.nanoTime();

    private Pool(NodeBridgeOptions options) {
        this.options = options;
        this.name = options.name();
        this.mapper = options.jsonMapper() != null ? options.jsonMapper() : JsonMapper.builder().build();
        this.codec = new RpcCodec(mapper, options.maxFrameSize());
        this.runtime = options.command() == null ? NodeRuntime.extract() : null;
        List<String> command = runtime == null ? options.command()
                : runtime.command(options.nodeExecutable(), options.nodeOptions(), options.module());
        ProcessIO.Settings io = new ProcessIO.Settings(options.writeQueueFrames(), options.writeQueueBytes(),
                options.backpressure(), options.enqueueTimeout(), options.writeTimeout());
        this.workerSettings = new WorkerSettings(name, command, options.workingDirectory(),
                options.inheritEnvironment(), options.environment(), options.startupTimeout(),
                options.maxFrameSize(), io, codec, runtime != null);
        this.housekeeper = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "processio-" + name + "-housekeeper");
            t.setDaemon(true);
            return t;
        });
        housekeeper.setRemoveOnCancelPolicy(true);
        housekeeper.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.registry = options.circuitBreakerRegistry() != null ? options.circuitBreakerRegistry()
                : CircuitBreakerRegistry.ofDefaults();
        CircuitBreakerConfig breakerConfig = breakerConfig();
        this.slots = new Slot[options.maxWorkers()];
        for (int i = 0; i < slots.length; i++) {
            Slot slot = new Slot(i + 1, newBreaker(breakerName(i + 1), breakerConfig));
            slots[i] = slot;
        }
        MetricsTracker.Factory factory = options.metricsTrackerFactory();
        this.metrics = factory == null ? MetricsTracker.NONE : factory.create(this);
        this.shutdownHook = new Thread(this::close, "processio-" + name + "-shutdown-hook");
    }

    /**
     * Starts a pool: {@code min-workers} workers in parallel, and returns once they are all ready.
     *
     * @throws BridgeStartupException when a worker cannot be started; nothing is left running
     */
    public static Pool start(NodeBridgeOptions options) {
        if (options.module() != null && !Files.isRegularFile(options.module())) {
            throw new BridgeStartupException(options.name(), BridgeStartupException.Reason.MODULE_NOT_FOUND,
                    "the Node module " + options.module().toAbsolutePath() + " does not exist or is not a file;"
                            + " set processio.node.module to the module to serve",
                    null, "", null);
        }
        Pool pool = new Pool(options);
        try {
            pool.startMinimum();
        } catch (RuntimeException | Error e) {
            pool.close();
            throw e;
        }
        if (options.shutdownHook()) {
            Runtime.getRuntime().addShutdownHook(pool.shutdownHook);
        }
        pool.housekeeper.scheduleWithFixedDelay(pool::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        return pool;
    }

    private void startMinimum() {
        List<Worker> started = new ArrayList<>();
        lock.lock();
        try {
            for (int i = 0; i < options.minWorkers(); i++) {
                started.add(spawnLocked(slots[i], true));
            }
        } finally {
            lock.unlock();
        }
        for (Worker w : started) {
            try {
                w.ready().get(options.startupTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof BridgeException be) {
                    throw be;
                }
                throw new BridgeStartupException(name, BridgeStartupException.Reason.EXITED_BEFORE_READY,
                        "worker failed to start: " + e.getCause(), null, "", e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw new BridgeStartupException(name, BridgeStartupException.Reason.READY_TIMEOUT,
                        "workers did not become ready in time (processio.worker.startup-timeout)", null, "", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BridgeStartupException(name, BridgeStartupException.Reason.ABORTED,
                        "interrupted while workers were starting", null, "", e);
            }
        }
    }

    // ---- breakers ----------------------------------------------------------------------------

    private CircuitBreakerConfig breakerConfig() {
        if (options.circuitBreakerRegistry() != null && options.circuitBreakerConfigName() != null) {
            var named = options.circuitBreakerRegistry().getConfiguration(options.circuitBreakerConfigName());
            if (named.isPresent()) {
                // The application's own tuning; only the transition to half-open stays ours.
                return CircuitBreakerConfig.from(named.get()).automaticTransitionFromOpenToHalfOpenEnabled(false)
                        .build();
            }
        }
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(options.slidingWindowSize())
                .minimumNumberOfCalls(options.minimumNumberOfCalls())
                .failureRateThreshold(options.failureRateThreshold())
                .permittedNumberOfCallsInHalfOpenState(options.permittedCallsInHalfOpenState())
                .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(options.waitDuration(),
                        options.backoffMultiplier(), options.maxWaitDuration()))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                // A long call is not a sick worker; only explicit failures count.
                .slowCallDurationThreshold(Duration.ofDays(365))
                .build();
    }

    private String breakerName(int slot) {
        return name + "-worker-" + slot;
    }

    private CircuitBreaker newBreaker(String breakerName, CircuitBreakerConfig config) {
        // A breaker left by an earlier pool of the same name would carry its state over.
        registry.remove(breakerName);
        return registry.circuitBreaker(breakerName, config);
    }

    /** Opens a slot's breaker for a hard fault, and quarantines the slot: its worker is already dead or dying. */
    private void open(Slot slot) {
        slot.breaker.transitionToOpenState();
        quarantine(slot, true);
    }

    /**
     * Acts on the state of a slot's breaker, after processio has reported an outcome to it. The
     * pool does not listen to breaker events: with a listener attached, Resilience4j allocates an
     * event for every call. A breaker that someone else opens (an operator forcing it open) is
     * found by the housekeeper.
     */
    private void checkBreaker(Slot slot) {
        switch (slot.breaker.getState()) {
            case OPEN, FORCED_OPEN -> quarantine(slot, false);
            case CLOSED -> {
                if (slot.openings != 0) {
                    lock.lock();
                    try {
                        slot.openings = 0;
                    } finally {
                        lock.unlock();
                    }
                }
            }
            default -> {
                // HALF_OPEN is entered by respawn itself; the others are not used here.
            }
        }
    }

    private static boolean isOpen(CircuitBreaker breaker) {
        CircuitBreaker.State state = breaker.getState();
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }

    /**
     * The breaker opened: stop using the slot's worker, kill it, and schedule a replacement.
     *
     * @param fault whether a hard fault opened it, so that the slot must be replaced even if
     *        someone has moved the breaker on since; otherwise the breaker must still be open
     */
    private void quarantine(Slot slot, boolean fault) {
        Worker victim;
        lock.lock();
        try {
            RestartCause cause = slot.openCause != null ? slot.openCause : slot.lastSoftCause;
            slot.openCause = null;
            // Respawn moves the breaker to HALF_OPEN under the lock: a look at an older state is stale.
            if (closed || slot.quarantined || (!fault && !isOpen(slot.breaker))) {
                return;
            }
            slot.quarantined = true;
            slot.openings++;
            slot.restarted(cause);
            metrics.workerRestarted(slot.number, cause);
            victim = slot.active;
            if (victim != null) {
                setState(victim, WorkerState.QUARANTINED);
            }
            Worker incoming = slot.incoming;
            if (incoming != null) {
                slot.incoming = null;
                incoming.kill();
            }
            long wait = slot.breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState()
                    .apply(slot.openings);
            slot.respawnAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait);
            slot.respawn = housekeeper.schedule(() -> respawn(slot), wait, TimeUnit.MILLISECONDS);
            LOG.warn("[{}] worker slot {} quarantined ({}); replacement in {} ms", name, slot.number,
                    slot.lastError, wait);
        } finally {
            lock.unlock();
        }
        if (victim != null && victim.isAlive()) {
            victim.kill();
        }
        if (allQuarantined()) {
            failPending(this::unavailable);
        }
    }

    private void respawn(Slot slot) {
        lock.lock();
        try {
            if (closed || !slot.quarantined) {
                return;
            }
            slot.quarantined = false;
            slot.respawn = null;
            Worker old = slot.active;
            if (old != null) {
                slot.retire(old);
                slot.active = null;
                pastServed.addAndGet(old.callsServed.get());
                if (old.isAlive()) {
                    old.kill();
                }
            }
            slot.breaker.transitionToHalfOpenState();
            spawnLocked(slot, false);
        } finally {
            lock.unlock();
        }
    }

    // ---- workers -----------------------------------------------------------------------------

    /**
     * Starts a worker as the slot's active one. Call with the lock held.
     *
     * @param propagate whether a command that cannot run at all is thrown (at pool start) rather
     *        than treated as a fault of the slot
     */
    private Worker spawnLocked(Slot slot, boolean propagate) {
        if (closed) {
            return null;
        }
        Worker w;
        try {
            w = Worker.start(workerSettings, slot.number, this, housekeeper);
        } catch (BridgeStartupException e) {
            if (propagate) {
                throw e;
            }
            startFailed(slot, e);
            return null;
        }
        slot.active = w;
        w.recycleAfter = recycleAfter();
        metrics.workerStateChanged(slot.number, null, WorkerState.STARTING);
        w.ready().whenComplete((ok, error) -> {
            if (error == null) {
                becameReady(slot, w);
            } else if (!closed && slot.active == w && w.fault() == null) {
                startFailed(slot, error);
            }
        });
        return w;
    }

    private void becameReady(Slot slot, Worker w) {
        lock.lock();
        try {
            if (closed || slot.active != w || w.state != WorkerState.STARTING) {
                return;
            }
            setState(w, WorkerState.READY);
        } finally {
            lock.unlock();
        }
        drainPending();
        maybeGrow();
    }

    private void startFailed(Slot slot, Throwable error) {
        slot.lastError = "failed to start: " + error.getMessage();
        slot.openCause = RestartCause.STARTUP;
        if (!closed) {
            open(slot);
        }
    }

    private long recycleAfter() {
        if (options.recycleMaxRequests() <= 0) {
            return 0;
        }
        long jitter = options.recycleMaxRequestsJitter() <= 0 ? 0
                : ThreadLocalRandom.current().nextLong(options.recycleMaxRequestsJitter() + 1);
        return options.recycleMaxRequests() + jitter;
    }

    private void setState(Worker w, WorkerState to) {
        WorkerState from = w.state;
        if (from == to) {
            return;
        }
        w.state = to;
        metrics.workerStateChanged(w.slot(), from, to);
    }

    // Worker.Listener --------------------------------------------------------------------------

    @Override
    public void faulted(Worker worker, WorkerFault fault) {
        Slot slot = slots[worker.slot() - 1];
        if (closed || worker.state == WorkerState.DRAINING || slot.active != worker) {
            return;
        }
        RestartCause cause = switch (fault.kind()) {
            case STALLED -> RestartCause.STALL;
            case BROKEN_PIPE -> RestartCause.EPIPE;
            case PROTOCOL, STDOUT_CLOSED -> RestartCause.PROTOCOL;
        };
        slot.lastError = worker.label() + ": " + fault.message();
        slot.openCause = cause;
        setState(worker, WorkerState.QUARANTINED);
        open(slot);
    }

    @Override
    public void exited(Worker worker, ExitStatus status) {
        Slot slot = slots[worker.slot() - 1];
        WorkerState was = worker.state;
        if (closed || was == WorkerState.DRAINING || was == WorkerState.STOPPED) {
            retireExited(slot, worker);
            return;
        }
        if (slot.active != worker) {
            // A replacement that failed while the old worker served on.
            setState(worker, WorkerState.STOPPED);
            return;
        }
        if (was != WorkerState.QUARANTINED) {
            // Died by itself: a crash.
            slot.lastError = worker.label() + " exited with " + status.describe() + tail(worker);
            setState(worker, WorkerState.QUARANTINED);
            if (was == WorkerState.READY) {
                slot.openCause = RestartCause.CRASH;
                open(slot);
            }
        }
    }

    private void retireExited(Slot slot, Worker worker) {
        setState(worker, WorkerState.STOPPED);
        lock.lock();
        try {
            if (slot.retiring.remove(worker)) {
                slot.retire(worker);
                pastServed.addAndGet(worker.callsServed.get());
            } else if (slot.active == worker && !closed) {
                slot.retire(worker);
                pastServed.addAndGet(worker.callsServed.get());
                slot.active = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private static String tail(Worker worker) {
        String tail = worker.stderrTail();
        if (tail.isEmpty()) {
            return "";
        }
        String last = tail.substring(tail.lastIndexOf('\n') + 1);
        return "; stderr: " + (last.length() > 300 ? last.substring(0, 300) + "..." : last);
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

    // ---- calls -------------------------------------------------------------------------------

    /**
     * Submits a call. The returned future completes with the result read into {@code resultType}
     * (on the worker's stdout thread) or fails with a {@link BridgeException}; it always completes.
     */
    public CompletableFuture<Object> submit(String method, Object params, JavaType resultType,
            CallOptions callOptions) {
        if (closed) {
            return failedNow(CallOutcome.DISPOSED, disposed());
        }
        if (method == null || method.isEmpty() || method.startsWith(JsonRpc.RESERVED_PREFIX)) {
            throw new IllegalArgumentException("method must be a non-empty name outside '"
                    + JsonRpc.RESERVED_PREFIX + "', was '" + method + "'");
        }
        long id = ids.getAndIncrement();
        byte[] frame;
        try {
            frame = codec.request(id, method, params);
        } catch (JacksonException e) {
            return failedNow(CallOutcome.PROTOCOL_ERROR, new BridgeProtocolException(name,
                    "params of '" + method + "' cannot be written as JSON: " + e.getOriginalMessage(), e));
        }
        if (frame.length > options.maxFrameSize()) {
            return failedNow(CallOutcome.PROTOCOL_ERROR, new BridgeProtocolException(name, "request '" + method
                    + "' is " + frame.length + " bytes, larger than the frame size limit of "
                    + options.maxFrameSize() + " bytes (processio.io.max-frame-size); nothing was sent"));
        }
        Duration timeout = callOptions.timeout() != null ? callOptions.timeout() : options.callTimeout();
        PoolCall call = new PoolCall(id, method, frame, resultType, callOptions.idempotent(), nanos(timeout));
        activeCalls.incrementAndGet();
        armSweep();
        dispatch(call, false);
        return call.result;
    }

    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** Schedules on the housekeeper; {@code null} once the pool has shut it down. */
    private java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long nanos) {
        try {
            return housekeeper.schedule(task, nanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closedAlready) {
            return null;
        }
    }

    private CompletableFuture<Object> failedNow(CallOutcome outcome, BridgeException error) {
        metrics.callCompleted(outcome, 0);
        return CompletableFuture.failedFuture(error);
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    private void dispatch(PoolCall call, boolean requeued) {
        if (call.isFinished()) {
            return;
        }
        Worker w = reserve();
        if (w != null) {
            // Only the caller's own thread may wait for room in a stdin queue.
            sendTo(w, call, !requeued);
            return;
        }
        if (closed) {
            complete(call, null, disposed());
            return;
        }
        if (allQuarantined()) {
            complete(call, null, unavailable());
            return;
        }
        if (!requeued && pendingCount.incrementAndGet() > options.maxPending()) {
            pendingCount.decrementAndGet();
            complete(call, null, new BridgeRejectedException(name, "too many calls waiting for a worker: "
                    + options.maxPending() + " are queued (processio.pool.max-pending); all "
                    + liveWorkers() + " workers hold " + options.maxInFlightPerWorker()
                    + " calls each (processio.pool.max-in-flight-per-worker)"));
            return;
        }
        call.queuedNanos = System.nanoTime();
        if (requeued) {
            pendingCount.incrementAndGet();
            pending.addFirst(call);
        } else {
            pending.addLast(call);
        }
        maybeGrow();
        drainPending();
    }

    /** Gives queued calls to workers while there is room. */
    private void drainPending() {
        while (pendingCount.get() > 0) {
            Worker w = reserve();
            if (w == null) {
                return;
            }
            PoolCall call = pending.pollFirst();
            if (call == null) {
                unreserve(w);
                return;
            }
            pendingCount.decrementAndGet();
            if (call.isFinished()) {
                unreserve(w);
                continue;
            }
            sendTo(w, call, false);
        }
    }

    /** Picks the READY worker with the fewest calls, and counts the new call on it; null if none has room. */
    private Worker reserve() {
        int max = options.maxInFlightPerWorker();
        boolean[] refused = null;
        for (int attempt = 0; attempt < 4 * slots.length + 4; attempt++) {
            Worker best = null;
            int bestLoad = max;
            for (Slot slot : slots) {
                Worker w = slot.active;
                if (w == null || w.state != WorkerState.READY || !w.stdin().isOpen()
                        || (refused != null && refused[slot.number - 1])) {
                    // A worker whose stdin has failed is about to be reported faulty: never pick it.
                    continue;
                }
                int load = w.load.get();
                if (load < bestLoad) {
                    best = w;
                    bestLoad = load;
                }
            }
            if (best == null) {
                return null;
            }
            if (!best.load.compareAndSet(bestLoad, bestLoad + 1)) {
                continue;
            }
            if (slots[best.slot() - 1].breaker.tryAcquirePermission()) {
                best.lastUsedNanos = System.nanoTime();
                return best;
            }
            best.load.decrementAndGet();
            if (refused == null) {
                refused = new boolean[slots.length];
            }
            refused[best.slot() - 1] = true;
        }
        return null;
    }

    private void unreserve(Worker w) {
        w.load.decrementAndGet();
        slots[w.slot() - 1].breaker.releasePermission();
    }

    private void sendTo(Worker w, PoolCall call, boolean mayWait) {
        if (call.isFinished()) {
            unreserve(w);
            return;
        }
        call.worker = w;
        call.dispatchedNanos = System.nanoTime();
        w.send(call, mayWait).whenComplete((reply, error) -> settled(w, call, reply, error));
        if (call.isFinished() && w.cancel(call.id)) {
            // It timed out while being handed over, before the timer could find it on the worker.
            unreserve(w);
        }
    }

    /** The worker has given the call back: a reply or a failure. Runs once per send. */
    private void settled(Worker w, PoolCall call, RpcReply reply, Throwable error) {
        w.load.decrementAndGet();
        w.lastUsedNanos = System.nanoTime();
        Slot slot = slots[w.slot() - 1];
        long took = System.nanoTime() - call.dispatchedNanos;
        if (reply != null) {
            w.callsServed.incrementAndGet();
            if (slot.active == w) {
                slot.breaker.onSuccess(took, TimeUnit.NANOSECONDS);
                checkBreaker(slot);
            } else {
                // A retired worker's outcome says nothing about the slot's current worker.
                slot.breaker.releasePermission();
            }
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
            maybeRecycleByRequests(slot, w);
        } else if (error instanceof StdinWriteException unsent && !unsent.reachedWorker()) {
            // The worker never saw it: safe to give it to another one.
            slot.breaker.releasePermission();
            call.worker = null;
            dispatch(call, true);
        } else if (error instanceof BridgeRejectedException rejected) {
            slot.breaker.releasePermission();
            complete(call, null, rejected);
        } else if (error instanceof WorkerLostException lost) {
            slot.breaker.releasePermission();
            if (call.idempotent && call.retries == 0 && !closed) {
                call.retries = 1;
                call.worker = null;
                dispatch(call, true);
            } else {
                complete(call, null, lost);
            }
        } else {
            slot.breaker.releasePermission();
            complete(call, null, error instanceof BridgeException be ? be
                    : new BridgeProtocolException(name, "call '" + call.method + "' failed: " + error, error));
        }
        drainPending();
    }

    private void complete(PoolCall call, Object result, BridgeException error) {
        if (!call.finish()) {
            return;
        }
        activeCalls.decrementAndGet();
        if (error == null) {
            metrics.callCompleted(CallOutcome.SUCCESS, call.elapsedNanos());
            call.result.complete(result);
        } else {
            metrics.callCompleted(PoolCall.outcomeOf(error), call.elapsedNanos());
            call.result.completeExceptionally(error);
        }
    }

    private void timedOut(PoolCall call) {
        Worker w = call.worker;
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(call.elapsedNanos());
        if (w == null) {
            if (pending.remove(call)) {
                pendingCount.decrementAndGet();
            }
            complete(call, null, new BridgeTimeoutException(name, "call '" + call.method + "' timed out after "
                    + elapsedMillis + " ms waiting for a worker (call timeout "
                    + TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos) + " ms: processio.call.timeout or"
                    + " CallOptions.timeout)"));
            return;
        }
        BridgeTimeoutException timeout = new BridgeTimeoutException(name, "call '" + call.method
                + "' timed out after " + elapsedMillis + " ms on " + w.label() + " (call timeout "
                + TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos)
                + " ms: processio.call.timeout or CallOptions.timeout); the worker was asked to cancel it");
        complete(call, null, timeout);
        if (w.cancel(call.id)) {
            // The worker will never hand this call back: release it here.
            w.load.decrementAndGet();
            Slot slot = slots[w.slot() - 1];
            if (slot.active == w) {
                slot.lastSoftCause = RestartCause.TIMEOUT;
                slot.lastError = w.label() + ": call '" + call.method + "' timed out after " + elapsedMillis + " ms";
                slot.breaker.onError(System.nanoTime() - call.dispatchedNanos, TimeUnit.NANOSECONDS, timeout);
                checkBreaker(slot);
            } else {
                slot.breaker.releasePermission();
            }
            drainPending();
        }
    }

    private void acquireTimedOut(PoolCall call) {
        if (!pending.remove(call)) {
            return;
        }
        pendingCount.decrementAndGet();
        if (allQuarantined()) {
            complete(call, null, unavailable());
            return;
        }
        int ready = workers(WorkerState.READY);
        String state = ready == 0
                ? "no worker is ready (" + workers(WorkerState.STARTING) + " starting, "
                        + workers(WorkerState.QUARANTINED) + " quarantined)"
                : ready + " ready workers of at most " + slots.length + " (processio.pool.max-workers) hold "
                        + options.maxInFlightPerWorker() + " calls each (processio.pool.max-in-flight-per-worker)";
        complete(call, null, new BridgeTimeoutException(name, "call '" + call.method + "' waited "
                + TimeUnit.NANOSECONDS.toMillis(call.elapsedNanos()) + " ms for a worker, longer than"
                + " processio.pool.acquire-timeout (" + options.acquireTimeout().toMillis() + " ms): " + state));
    }

    private void failPending(java.util.function.Supplier<BridgeException> error) {
        PoolCall call;
        while ((call = pending.pollFirst()) != null) {
            pendingCount.decrementAndGet();
            complete(call, null, error.get());
        }
    }

    private boolean allQuarantined() {
        for (Slot slot : slots) {
            if (!slot.quarantined) {
                return false;
            }
        }
        return true;
    }

    private int liveWorkers() {
        int n = 0;
        for (Slot slot : slots) {
            Worker w = slot.active;
            if (w != null && (w.state == WorkerState.READY || w.state == WorkerState.STARTING)) {
                n++;
            }
        }
        return n;
    }

    private BridgeUnavailableException unavailable() {
        StringBuilder why = new StringBuilder();
        long soonest = Long.MAX_VALUE;
        for (Slot slot : slots) {
            if (slot.lastError != null) {
                why.append("\n  slot ").append(slot.number).append(": ").append(slot.lastError);
            }
            soonest = Math.min(soonest, slot.respawnAtNanos - System.nanoTime());
        }
        return new BridgeUnavailableException(name, "no healthy worker: all " + slots.length
                + " slots are quarantined; the next replacement starts in "
                + Math.max(0, TimeUnit.NANOSECONDS.toMillis(soonest)) + " ms." + why, null);
    }

    private BridgeDisposedException disposed() {
        return new BridgeDisposedException(name, "the bridge is closed");
    }

    /** Starts one more worker when calls wait and a slot is free. */
    private void maybeGrow() {
        if (pendingCount.get() == 0 || closed) {
            return;
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            for (Slot slot : slots) {
                Worker w = slot.active;
                if (w != null && w.state == WorkerState.STARTING) {
                    return;
                }
            }
            for (Slot slot : slots) {
                if (slot.active == null && !slot.quarantined) {
                    spawnLocked(slot, false);
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- housekeeping ------------------------------------------------------------------------

    private void tick() {
        try {
            long now = System.nanoTime();
            boolean heartbeat = !options.healthCheckInterval().isZero()
                    && now - lastHeartbeatNanos >= options.healthCheckInterval().toNanos();
            if (heartbeat) {
                lastHeartbeatNanos = now;
            }
            int live = liveWorkers();
            for (Slot slot : slots) {
                checkBreaker(slot);
                Worker w = slot.active;
                if (w == null || w.state != WorkerState.READY) {
                    continue;
                }
                if (heartbeat && w.load.get() == 0) {
                    ping(w);
                }
                if (live > options.minWorkers() && w.load.get() == 0 && pendingCount.get() == 0
                        && now - w.lastUsedNanos >= options.idleTimeout().toNanos()) {
                    if (retireIdle(slot, w)) {
                        live--;
                    }
                    continue;
                }
                checkRecycle(slot, w);
            }
            drainPending();
            maybeGrow();
        } catch (RuntimeException e) {
            LOG.error("[{}] housekeeping failed", name, e);
        }
    }

    /** A heartbeat request; its reply is only awaited, never read. */
    private record Ping(long id, byte[] frame, long sentNanos) implements Worker.Request {

        @Override
        public JavaType resultType() {
            return null;
        }
    }

    private void ping(Worker w) {
        long id = ids.getAndIncrement();
        w.send(new Ping(id, codec.request(id, JsonRpc.PING, null), System.nanoTime()), false);
        armSweep();
    }

    private void pingTimedOut(Worker w, Ping ping) {
        if (!w.forget(ping.id())) {
            return;
        }
        Slot slot = slots[w.slot() - 1];
        if (slot.active != w) {
            return;
        }
        slot.lastSoftCause = RestartCause.HEARTBEAT;
        slot.lastError = w.label() + ": no answer to processio/ping within "
                + options.healthCheckTimeout().toMillis() + " ms (processio.health-check.timeout)";
        LOG.warn("[{}] {}", name, slot.lastError);
        slot.breaker.onError(System.nanoTime() - ping.sentNanos(), TimeUnit.NANOSECONDS,
                new BridgeTimeoutException(name, slot.lastError));
        checkBreaker(slot);
    }

    // ---- deadlines ---------------------------------------------------------------------------

    /** Starts the sweep unless it runs already: one volatile read per call while it does. */
    private void armSweep() {
        if (!sweeping.get() && sweeping.compareAndSet(false, true)
                && schedule(this::sweep, TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS)) == null) {
            sweeping.set(false);
        }
    }

    /**
     * Ends the calls and pings whose time is up, found in the pending queue and among the requests
     * each worker holds. Runs on the housekeeper every {@value #SWEEP_MILLIS} ms while anything is
     * active, so that no call needs a timer of its own: a timer per call costs an allocation and
     * two turns of the scheduler's lock, which every caller shares.
     */
    private void sweep() {
        boolean held = false;
        try {
            long now = System.nanoTime();
            long acquireNanos = nanos(options.acquireTimeout());
            for (PoolCall call : pending) {
                if (call.isFinished()) {
                    continue;
                }
                // The call's own deadline first: its message names the timeout that really ran out.
                if (call.expired(now)) {
                    timedOut(call);
                } else if (now - call.queuedNanos >= acquireNanos) {
                    acquireTimedOut(call);
                }
            }
            long pingNanos = nanos(options.healthCheckTimeout());
            for (Slot slot : slots) {
                for (Worker w : slot.workers()) {
                    w.forEachHeld(request -> {
                        if (request instanceof PoolCall call) {
                            if (call.isFinished()) {
                                // Ended elsewhere while a worker still held it: let go of it.
                                if (w.cancel(call.id)) {
                                    unreserve(w);
                                }
                            } else if (call.expired(now)) {
                                timedOut(call);
                            }
                        } else if (request instanceof Ping ping && now - ping.sentNanos() >= pingNanos) {
                            pingTimedOut(w, ping);
                        }
                    });
                    held |= w.inFlight() > 0;
                }
            }
            drainPending();
        } catch (RuntimeException e) {
            LOG.error("[{}] deadline sweep failed", name, e);
        } finally {
            if (activeCalls.get() > 0 || held) {
                if (schedule(this::sweep, TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS)) == null) {
                    sweeping.set(false);
                }
            } else {
                sweeping.set(false);
                // A call may have arrived after the look at activeCalls and found the sweep still running.
                if (activeCalls.get() > 0) {
                    armSweep();
                }
            }
        }
    }

    private boolean retireIdle(Slot slot, Worker w) {
        lock.lock();
        try {
            if (closed || slot.active != w || w.state != WorkerState.READY || w.load.get() != 0) {
                return false;
            }
            slot.active = null;
            slot.retiring.add(w);
            setState(w, WorkerState.DRAINING);
        } finally {
            lock.unlock();
        }
        LOG.info("[{}] {} was idle for {} (processio.pool.idle-timeout); stopping it", name, w.label(),
                options.idleTimeout());
        drainAndStop(w);
        return true;
    }

    private void checkRecycle(Slot slot, Worker w) {
        String why = null;
        if (!options.recycleMaxAge().isZero() && w.uptime().compareTo(options.recycleMaxAge()) >= 0) {
            why = "it reached processio.recycle.max-age (" + options.recycleMaxAge() + ")";
        } else if (options.recycleMaxMemory() > 0) {
            long rss = residentMemory(w.pid());
            if (rss > options.recycleMaxMemory()) {
                why = "its resident memory, " + rss + " bytes, is above processio.recycle.max-memory ("
                        + options.recycleMaxMemory() + " bytes)";
            }
        }
        if (why != null && w.recycling.compareAndSet(false, true)) {
            LOG.info("[{}] recycling {}: {}", name, w.label(), why);
            recycle(slot, w, RestartCause.RECYCLE);
        }
    }

    private void maybeRecycleByRequests(Slot slot, Worker w) {
        long after = w.recycleAfter;
        if (after > 0 && w.callsServed.get() >= after && w.recycling.compareAndSet(false, true)) {
            LOG.info("[{}] recycling {}: it served {} calls (processio.recycle.max-requests)", name, w.label(),
                    w.callsServed.get());
            schedule(() -> recycle(slot, w, RestartCause.RECYCLE), 0);
        }
    }

    /** Resident memory of a process from /proc, in bytes; 0 where /proc is not there. */
    private long residentMemory(long pid) {
        if (memoryCheckUnsupported) {
            return 0;
        }
        Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
            return 0;
        } catch (IOException | NumberFormatException e) {
            if (!Files.isDirectory(Path.of("/proc/self"))) {
                memoryCheckUnsupported = true;
                LOG.warn("[{}] processio.recycle.max-memory is set, but this system has no /proc; the memory"
                        + " limit is ignored", name);
            }
            return 0;
        }
    }

    // ---- recycling ---------------------------------------------------------------------------

    /**
     * Replaces {@code old} gracefully: a replacement starts first; once it is ready it takes the
     * slot, and the old worker takes no new calls, finishes the ones it holds, and exits.
     */
    private CompletableFuture<Void> recycle(Slot slot, Worker old, RestartCause cause) {
        Worker replacement;
        lock.lock();
        try {
            if (closed || slot.active != old || old.state != WorkerState.READY || slot.incoming != null) {
                old.recycling.set(false);
                return CompletableFuture.completedFuture(null);
            }
            try {
                replacement = Worker.start(workerSettings, slot.number, this, housekeeper);
            } catch (BridgeStartupException e) {
                old.recycling.set(false);
                slot.lastError = "replacement for recycling failed to start: " + e.getMessage();
                return CompletableFuture.failedFuture(e);
            }
            replacement.recycleAfter = recycleAfter();
            slot.incoming = replacement;
            metrics.workerStateChanged(slot.number, null, WorkerState.STARTING);
        } finally {
            lock.unlock();
        }
        return replacement.ready().handle((ok, error) -> {
            if (error != null) {
                lock.lock();
                try {
                    if (slot.incoming == replacement) {
                        slot.incoming = null;
                    }
                } finally {
                    lock.unlock();
                }
                old.recycling.set(false);
                slot.lastError = "replacement for recycling failed to start: " + error.getMessage();
                LOG.warn("[{}] {}; {} keeps serving", name, slot.lastError, old.label());
                throw new java.util.concurrent.CompletionException(error);
            }
            lock.lock();
            try {
                if (slot.incoming != replacement) {
                    return null;
                }
                slot.incoming = null;
                if (closed || slot.active != old || replacement.state != WorkerState.STARTING
                        || !replacement.isAlive()) {
                    replacement.closeStdin();
                    old.recycling.set(false);
                    return null;
                }
                slot.active = replacement;
                setState(replacement, WorkerState.READY);
                slot.retiring.add(old);
                setState(old, WorkerState.DRAINING);
                slot.restarted(cause);
                metrics.workerRestarted(slot.number, cause);
            } finally {
                lock.unlock();
            }
            drainAndStop(old);
            drainPending();
            return null;
        });
    }

    /** Closes stdin of a draining worker; escalates to SIGTERM and SIGKILL if it does not exit in time. */
    private void drainAndStop(Worker w) {
        w.closeStdin();
        long grace = options.gracePeriod().toMillis();
        long kill = options.killTimeout().toMillis();
        schedule(() -> {
            if (w.isAlive()) {
                LOG.warn("[{}] {} did not finish within processio.shutdown.grace-period; sending SIGTERM", name,
                        w.label());
                w.terminate();
                schedule(() -> {
                    if (w.isAlive()) {
                        w.kill();
                    }
                }, TimeUnit.MILLISECONDS.toNanos(kill));
            }
        }, TimeUnit.MILLISECONDS.toNanos(grace + kill));
    }

    /** Recycles the worker in one slot (numbered from 1). Completes when its replacement serves. */
    public CompletableFuture<Void> recycle(int slotNumber) {
        if (slotNumber < 1 || slotNumber > slots.length) {
            throw new IllegalArgumentException("no slot " + slotNumber + "; slots are 1.." + slots.length);
        }
        Slot slot = slots[slotNumber - 1];
        Worker w = slot.active;
        if (w == null || w.state != WorkerState.READY || !w.recycling.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        return recycle(slot, w, RestartCause.MANUAL);
    }

    /** Recycles every worker, one slot after the other. */
    public CompletableFuture<Void> restart() {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (Slot slot : slots) {
            chain = chain.thenCompose(v -> recycle(slot.number).exceptionally(e -> null));
        }
        return chain;
    }

    // ---- shutdown ----------------------------------------------------------------------------

    /**
     * Closes the pool: new calls fail, waiting calls fail, calls in flight get the grace period,
     * then stdin is closed, then SIGTERM, then after the kill timeout SIGKILL. Returns when every
     * worker process has exited and every processio thread of this pool has stopped. Idempotent.
     */
    public void close() {
        List<Worker> workers;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Slot slot : slots) {
                if (slot.respawn != null) {
                    slot.respawn.cancel(false);
                }
            }
            workers = allWorkers();
        } finally {
            lock.unlock();
        }
        failPending(this::disposed);
        long graceEnd = System.nanoTime() + options.gracePeriod().toNanos();
        while (activeCalls.get() > 0 && System.nanoTime() < graceEnd && anyAlive(workers)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        List<ProcessHandle> descendants = new ArrayList<>();
        for (Worker w : workers) {
            descendants.addAll(w.descendants());
            setState(w, WorkerState.STOPPED);
            w.closeStdin();
        }
        long kill = options.killTimeout().toNanos();
        if (!awaitExit(workers, kill)) {
            for (Worker w : workers) {
                if (w.isAlive()) {
                    LOG.warn("[{}] {} did not exit after end of input; sending SIGTERM", name, w.label());
                    w.terminate();
                }
            }
            if (!awaitExit(workers, kill)) {
                for (Worker w : workers) {
                    if (w.isAlive()) {
                        LOG.warn("[{}] {} ignored SIGTERM for {} ms; sending SIGKILL", name, w.label(),
                                options.killTimeout().toMillis());
                        w.kill();
                    }
                }
            }
        }
        // Children of the workers could hold their stdout and stderr open.
        for (ProcessHandle p : descendants) {
            p.destroyForcibly();
        }
        for (Worker w : workers) {
            try {
                if (!w.awaitStopped(Duration.ofSeconds(10))) {
                    LOG.warn("[{}] {} has not stopped", name, w.label());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // Calls that came back from the workers (unsent, or idempotent retries) found no one.
        failPending(this::disposed);
        housekeeper.shutdownNow();
        try {
            housekeeper.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Slot slot : slots) {
            registry.remove(slot.breaker.getName());
        }
        metrics.close();
        if (runtime != null) {
            runtime.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // The JVM is shutting down, or the pool never finished starting.
        }
    }

    private List<Worker> allWorkers() {
        List<Worker> all = new ArrayList<>();
        for (Slot slot : slots) {
            all.addAll(slot.workers());
        }
        return all;
    }

    private static boolean anyAlive(List<Worker> workers) {
        for (Worker w : workers) {
            if (w.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private static boolean awaitExit(List<Worker> workers, long nanos) {
        long end = System.nanoTime() + nanos;
        for (Worker w : workers) {
            long left = end - System.nanoTime();
            if (left <= 0 || !w.awaitExit(left)) {
                return !anyAlive(workers);
            }
        }
        return true;
    }

    public boolean isClosed() {
        return closed;
    }

    public String name() {
        return name;
    }

    // ---- snapshot and stats ------------------------------------------------------------------

    public PoolSnapshot snapshot() {
        List<WorkerSnapshot> workers = new ArrayList<>();
        Map<WorkerState, Integer> byState = new EnumMap<>(WorkerState.class);
        Map<RestartCause, Long> restarts = new EnumMap<>(RestartCause.class);
        long served = pastServed.get();
        for (Slot slot : slots) {
            slot.restarts().forEach((cause, n) -> restarts.merge(cause, n, Long::sum));
            List<Worker> held = slot.workers();
            boolean first = true;
            for (Worker w : held) {
                served += w.callsServed.get();
                WorkerState state = w.state;
                byState.merge(state, 1, Integer::sum);
                workers.add(new WorkerSnapshot(slot.number, w.pid(), state, w.uptime(), w.callsServed.get(), w.inFlight(),
                        w.stdin().queuedFrames(), w.stdin().queuedBytes(),
                        first ? slot.drainWaits() : 0, Duration.ofNanos(first ? slot.drainNanos() : 0),
                        first ? slot.epipeCount() : 0, slot.restarts(), slot.breaker.getState().name(),
                        slot.lastError, w.stderrTail()));
                first = false;
            }
            if (held.isEmpty() && slot.quarantined) {
                byState.merge(WorkerState.QUARANTINED, 1, Integer::sum);
                workers.add(new WorkerSnapshot(slot.number, -1, WorkerState.QUARANTINED, Duration.ZERO, 0, 0, 0, 0,
                        slot.drainWaits(), Duration.ofNanos(slot.drainNanos()), slot.epipeCount(), slot.restarts(),
                        slot.breaker.getState().name(), slot.lastError, ""));
            }
        }
        int waiting = pendingCount.get();
        return new PoolSnapshot(name, List.copyOf(workers), waiting, Math.max(0, activeCalls.get() - waiting),
                served, lateReplies.get(), protocolErrors.get(), restarts, byState);
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
        return pendingCount.get();
    }

    @Override
    public int activeCalls() {
        return Math.max(0, activeCalls.get() - pendingCount.get());
    }

    @Override
    public int workers(WorkerState state) {
        int n = 0;
        for (Slot slot : slots) {
            for (Worker w : slot.workers()) {
                if (w.state == state) {
                    n++;
                }
            }
            if (state == WorkerState.QUARANTINED && slot.quarantined && slot.active == null) {
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

    /** The slot breakers, for binding their metrics. */
    public List<CircuitBreaker> breakers() {
        List<CircuitBreaker> out = new ArrayList<>();
        for (Slot slot : slots) {
            out.add(slot.breaker);
        }
        return out;
    }
}
