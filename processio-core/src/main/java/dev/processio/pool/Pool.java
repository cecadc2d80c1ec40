package dev.processio.pool;

import dev.processio.BridgeException;
import dev.processio.BridgeProtocolException;
import dev.processio.BridgeStartupException;
import dev.processio.CallOptions;
import dev.processio.NodeBridgeOptions;
import dev.processio.PoolSnapshot;
import dev.processio.io.ProcessIO;
import dev.processio.metrics.MetricsTracker;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.RpcCodec;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The entry point of the engine behind {@link dev.processio.NodeBridge}: it starts the pool, takes
 * calls in, and closes it. Public only so that the bridge can reach it; applications use
 * {@code NodeBridge}. The parts, each with one job (docs/architecture.md draws them):
 * <ul>
 *   <li>{@link Dispatcher}: gives calls to workers, keeps the ones that wait, ends each call once;</li>
 *   <li>{@link Gate}: takes and gives back a call's worker lease and breaker permit;</li>
 *   <li>{@link Supervisor}: starts workers, hears faults and exits, quarantines and respawns slots;</li>
 *   <li>{@link Recycler}: replaces workers gracefully, on limits or on request;</li>
 *   <li>{@link Housekeeper}: periodic work and deadlines, on the pool's clock;</li>
 *   <li>{@link PoolView}: snapshots and gauges;</li>
 *   <li>{@link Slot}, {@link WorkerEntry}: what the pool knows of each place and worker;
 *       {@link Worker}: the process and its three threads.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Callers encode and dispatch on their own thread. A call's future completes on one of: the
 * caller's thread (refused at once: closed, no healthy worker, full queues; or its own write of
 * the frame failed), the worker's stdout thread (replies), its stdin writer thread (a write that
 * failed), its stderr thread or the
 * housekeeper (the worker's exit), the housekeeper (timeouts, a quarantine that leaves no
 * worker), or the thread that calls {@link #close()}.
 */
public final class Pool {

    private static final Logger LOG = LoggerFactory.getLogger(Pool.class);

    private final NodeBridgeOptions options;
    private final String name;
    private final ObjectMapper mapper;
    private final RpcCodec codec;
    private final LongSupplier clock;
    private final BundledRuntime runtime;
    private final Breakers breakers;
    private final Slot[] slots;
    private final MetricsTracker metrics;
    private final Housekeeper housekeeper;
    private final Supervisor supervisor;
    private final Dispatcher dispatcher;
    private final Recycler recycler;
    private final PoolView view;
    private final WorkerProtocol protocol;
    /** Each call's observation, or {@code null} without a registry. */
    private final CallObservations observations;
    private final AtomicLong ids = new AtomicLong();
    private final Thread shutdownHook;
    private final ProgressDelivery progress;
    /** The watch of {@code processio.dev.watch}, or {@code null}; set once the first workers are ready. */
    private volatile ModuleWatch watch;

    private Pool(NodeBridgeOptions options, LongSupplier clock) {
        this.options = options;
        this.name = options.name();
        this.clock = clock;
        this.mapper = options.jsonMapper() != null ? options.jsonMapper() : JsonMapper.builder().build();
        this.codec = new RpcCodec(mapper, options.maxFrameSize());
        // Before anything that must be cleaned up: they check what the options could not.
        this.protocol = WorkerProtocol.of(options, codec, ids::getAndIncrement);
        WorkerLimits limits = WorkerLimits.of(options);
        this.observations = options.observationRegistry() == null ? null
                : new CallObservations(options.observationRegistry(), name, options.dialect().key());
        BundledRuntime.Kind bundled = BundledRuntime.Kind.of(options);
        this.runtime = bundled == null ? null : BundledRuntime.extract(bundled);
        List<String> command = limits.wrap(runtime == null ? options.command() : runtime.command(options, limits));
        if (limits.any()) {
            LOG.info("[{}] {}", name, limits.describe(bundled, options.nodeOptions()));
        }
        ProcessIO.Settings io = new ProcessIO.Settings(options.writeQueueFrames(), options.writeQueueBytes(),
                options.backpressure(), options.enqueueTimeout(), options.writeTimeout());
        WorkerSettings workerSettings = new WorkerSettings(name, command, options.workingDirectory(),
                options.inheritEnvironment(), options.environmentAllowlist(), options.environment(),
                options.logLinesPerSecond(), options.startupTimeout(), options.maxFrameSize(), io, codec, protocol,
                bundled, limits);
        this.breakers = new Breakers(options);
        this.slots = new Slot[options.maxWorkers()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i + 1, breakers.create(i + 1));
        }
        this.housekeeper = new Housekeeper(name, clock);
        this.view = new PoolView(name, slots, clock);
        MetricsTracker.Factory factory = options.metricsTrackerFactory();
        this.metrics = factory == null ? MetricsTracker.NONE : factory.create(view);
        this.supervisor = new Supervisor(options, workerSettings, slots, metrics, clock, housekeeper, view);
        Recycler[] recyclerRef = new Recycler[1];
        Gate gate = new Gate(slots, options.maxInFlightPerWorker(), supervisor,
                e -> recyclerRef[0].capReached(e));
        this.dispatcher = new Dispatcher(name, gate, new PendingCalls(options.maxPending()), supervisor, view, metrics,
                clock, Housekeeper.saturatedNanos(options.acquireTimeout()),
                Housekeeper.saturatedNanos(options.callCancelGrace()));
        supervisor.attach(dispatcher);
        this.recycler = new Recycler(options, slots, supervisor, dispatcher, metrics, housekeeper);
        recyclerRef[0] = recycler;
        view.attach(supervisor, dispatcher);
        housekeeper.start(slots, supervisor, dispatcher, recycler, gate, ids, options.healthCheckInterval(),
                options.healthCheckTimeout());
        if (limits.watched()) {
            new LimitWatch(name, limits, slots).start(housekeeper);
        }
        this.shutdownHook = new Thread(this::close, "processio-" + name + "-shutdown-hook");
        this.progress = new ProgressDelivery(name, options.maxProgressBuffer(), metrics, mapper);
    }

    /**
     * Starts a pool: {@code min-workers} workers in parallel, and returns once they are all ready.
     *
     * @throws BridgeStartupException when a worker cannot be started; nothing is left running
     */
    public static Pool start(NodeBridgeOptions options) {
        return start(options, System::nanoTime);
    }

    /** As {@link #start(NodeBridgeOptions)}, with the clock that housekeeping and deadlines read. */
    public static Pool start(NodeBridgeOptions options, LongSupplier nanoClock) {
        BundledRuntime.Kind bundled = BundledRuntime.Kind.of(options);
        if (bundled != null && !Files.isRegularFile(bundled.module(options))) {
            throw new BridgeStartupException(options.name(), BridgeStartupException.Reason.MODULE_NOT_FOUND,
                    "the " + bundled.language + " module " + bundled.module(options).toAbsolutePath()
                            + " does not exist or is not a file; set " + bundled.moduleProperty
                            + " to the module to serve",
                    null, "", null);
        }
        Pool pool = new Pool(options, nanoClock);
        try {
            pool.awaitReady(pool.supervisor.startMinimum());
        } catch (RuntimeException | Error e) {
            pool.close();
            throw e;
        }
        // The watch before the hook: a hook that runs from then on finds everything it must stop.
        if (options.devWatch() && bundled != null) {
            try {
                pool.watch = ModuleWatch.start(pool.name, bundled.module(options), nanoClock, pool.recycler::reload);
            } catch (RuntimeException | Error e) {
                pool.close();
                throw e;
            }
        }
        if (options.shutdownHook()) {
            Runtime.getRuntime().addShutdownHook(pool.shutdownHook);
        }
        return pool;
    }

    private void awaitReady(List<WorkerEntry> started) {
        for (WorkerEntry e : started) {
            try {
                // Not only ready: placed, so that the first call finds it taking calls.
                e.placed.get(options.startupTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException failed) {
                Throwable cause = WorkerStartup.cause(failed.getCause());
                if (cause instanceof BridgeException be) {
                    throw be;
                }
                throw new BridgeStartupException(name, BridgeStartupException.Reason.EXITED_BEFORE_READY,
                        "worker failed to start: " + cause, null, "", cause);
            } catch (TimeoutException late) {
                throw new BridgeStartupException(name, BridgeStartupException.Reason.READY_TIMEOUT,
                        "workers did not become ready in time (processio.worker.startup-timeout)", null, "", late);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new BridgeStartupException(name, BridgeStartupException.Reason.ABORTED,
                        "interrupted while workers were starting", null, "", interrupted);
            }
        }
    }

    /**
     * Submits a call. The returned future completes with the result read into {@code resultType}
     * (on the worker's stdout thread) or fails with a {@link BridgeException}; it always completes.
     */
    public CompletableFuture<Object> submit(String method, Object params, JavaType resultType,
            CallOptions callOptions) {
        return submit(method, params, resultType, callOptions, null);
    }

    /**
     * As {@link #submit(String, Object, JavaType, CallOptions)}; the call's progress goes to
     * {@code stream} when it is given, else to the listener of {@code callOptions}, if any.
     */
    CompletableFuture<Object> submit(String method, Object params, JavaType resultType,
            CallOptions callOptions, ProgressRelay stream) {
        boolean wantsProgress = stream != null || callOptions.progress() != null;
        if (supervisor.isClosed()) {
            return dispatcher.failedNow(dispatcher.disposed());
        }
        if (protocol.reservesProcessioMethods()) {
            if (method == null || method.isEmpty() || method.startsWith(JsonRpc.RESERVED_PREFIX)) {
                throw new IllegalArgumentException("method must be a non-empty name outside '"
                        + JsonRpc.RESERVED_PREFIX + "', was '" + method + "'");
            }
        } else if (method == null || method.isEmpty()) {
            throw new IllegalArgumentException("method must be a non-empty name, was '" + method + "'");
        }
        long id = ids.getAndIncrement();
        // Started here, on the caller's thread: its current observation is the parent, and
        // tracing, when present, gives the trace context that the frame carries.
        CallObservations.Handle observation = observations == null ? null : observations.start(method, id);
        byte[] frame;
        try {
            frame = protocol.request(id, method, params, wantsProgress, observation == null ? null : observation.trace);
        } catch (BridgeProtocolException e) {
            return failedNow(observation, e);
        } catch (JacksonException e) {
            return failedNow(observation, new BridgeProtocolException(name,
                    "params of '" + method + "' cannot be written as JSON: " + e.getOriginalMessage(), e));
        }
        if (frame.length > options.maxFrameSize()) {
            return failedNow(observation, new BridgeProtocolException(name, "request '" + method + "' is "
                    + frame.length + " bytes, larger than the frame size limit of " + options.maxFrameSize()
                    + " bytes (processio.io.max-frame-size); nothing was sent"));
        }
        Duration timeout = callOptions.timeout() != null ? callOptions.timeout() : options.callTimeout();
        PoolCall call = new PoolCall(dispatcher, id, method, frame, resultType, callOptions.idempotent(),
                Housekeeper.saturatedNanos(timeout), clock.getAsLong());
        call.observation = observation;
        ListenerRelay listener = relay(call, callOptions, stream);
        dispatcher.admitted();
        housekeeper.armSweep();
        dispatcher.dispatch(call, false);
        return listener != null ? listener.future : call.result;
    }

    /** A call refused before it got into the pool; its observation, if any, ends with it. */
    private CompletableFuture<Object> failedNow(CallObservations.Handle observation, BridgeException error) {
        if (observation != null) {
            observation.stop(Dispatcher.outcomeOf(error), error, 0);
        }
        return dispatcher.failedNow(error);
    }

    // ---- progress -----------------------------------------------------------------------------

    /** Attaches the call's progress relay, before it is dispatched; returns the listener's, if that is the one. */
    private ListenerRelay relay(PoolCall call, CallOptions callOptions, ProgressRelay stream) {
        if (stream != null) {
            // The stream hears the call's end from its subscription (ProgressPublisher), which
            // also hears it for a call refused at once.
            call.progress = stream;
            return null;
        }
        return callOptions.progress() == null ? null : ListenerRelay.attach(progress, call, callOptions.progress());
    }

    /**
     * A call's progress values as a publisher: each subscription makes the call, publishes the
     * values read into {@code itemType}, and completes with the call. See {@link ProgressPublisher}.
     */
    public <T> java.util.concurrent.Flow.Publisher<T> stream(String method, Object params, JavaType itemType,
            CallOptions callOptions) {
        if (callOptions.progress() != null) {
            throw new IllegalArgumentException("a stream publishes the progress of '" + method + "' to its"
                    + " subscriber; its CallOptions must not have a progress listener of their own");
        }
        return new ProgressPublisher<>(this, method, params, itemType, callOptions);
    }

    ProgressDelivery progress() {
        return progress;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** Recycles the worker in one slot (numbered from 1). Completes when its replacement serves. */
    public CompletableFuture<Void> recycle(int slotNumber) {
        return recycler.recycle(slotNumber);
    }

    /** Recycles every worker, one slot after the other. */
    public CompletableFuture<Void> restart() {
        return recycler.restart();
    }

    public PoolSnapshot snapshot() {
        ModuleWatch w = watch;
        return view.snapshot(w == null ? null : w.snapshot());
    }

    public boolean isClosed() {
        return supervisor.isClosed();
    }

    public String name() {
        return name;
    }

    // ---- shutdown ----------------------------------------------------------------------------

    /**
     * Closes the pool: new calls fail, waiting calls fail, calls in flight get the grace period,
     * then stdin is closed, then after the kill timeout SIGTERM, then after another SIGKILL; each
     * signal goes to every worker process and every process one of them started that still runs.
     * Returns when all of those have ended and every processio thread of this pool has stopped.
     * Idempotent. Times here are real time, whatever the pool's clock.
     */
    public void close() {
        ModuleWatch moduleWatch = watch;
        if (moduleWatch != null) {
            // First: a reload must not start workers while the pool stops them.
            moduleWatch.close();
        }
        List<WorkerEntry> entries = supervisor.close();
        if (entries == null) {
            return;
        }
        List<Worker> workers = new ArrayList<>(entries.size());
        for (WorkerEntry e : entries) {
            workers.add(e.worker);
        }
        // Retired workers whose own process has exited, but not everything it started.
        for (Worker w : supervisor.stopping()) {
            if (!workers.contains(w)) {
                workers.add(w);
            }
        }
        dispatcher.failPending(dispatcher::disposed);
        long graceEnd = System.nanoTime() + Housekeeper.saturatedNanos(options.gracePeriod());
        while (dispatcher.activeCalls() > 0 && graceEnd - System.nanoTime() > 0 && anyAlive(workers)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        for (WorkerEntry e : entries) {
            supervisor.stopped(e);
        }
        for (Worker w : workers) {
            w.closeStdin();
        }
        stopProcesses(workers);
        // SIGKILL cannot be ignored: this waits for it to be acted on, and for the workers' threads.
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
        dispatcher.failPending(dispatcher::disposed);
        progress.close();
        housekeeper.shutdown();
        for (Slot slot : slots) {
            breakers.remove(slot.breaker);
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

    /**
     * After end of input: SIGTERM once the kill timeout has passed, then SIGKILL after another, to
     * each worker process and each process it started that still runs.
     */
    private void stopProcesses(List<Worker> workers) {
        long kill = options.killTimeout().toNanos();
        if (awaitExit(workers, kill)) {
            return;
        }
        for (Worker w : workers) {
            if (w.isTreeAlive()) {
                LOG.warn("[{}] {} did not exit after end of input; sending SIGTERM", name, w.describeRunning());
                w.terminate();
            }
        }
        if (awaitExit(workers, kill)) {
            return;
        }
        for (Worker w : workers) {
            if (w.isTreeAlive()) {
                LOG.warn("[{}] {} ignored SIGTERM for {} ms; sending SIGKILL", name, w.describeRunning(),
                        options.killTimeout().toMillis());
                w.kill();
            }
        }
    }

    private static boolean anyAlive(List<Worker> workers) {
        for (Worker w : workers) {
            if (w.isAlive()) {
                return true;
            }
        }
        return false;
    }

    /** Waits up to {@code nanos} for every worker's process and descendants to end; returns whether they have. */
    private static boolean awaitExit(List<Worker> workers, long nanos) {
        long end = System.nanoTime() + nanos;
        for (Worker w : workers) {
            long left = end - System.nanoTime();
            if (left <= 0 || !w.awaitExit(left)) {
                for (Worker other : workers) {
                    if (other.isTreeAlive()) {
                        return false;
                    }
                }
                return true;
            }
        }
        return true;
    }
}
