package dev.processio.pool;

import dev.processio.BridgeProtocolException;
import dev.processio.BridgeStartupException;
import dev.processio.BridgeStartupException.Reason;
import dev.processio.WorkerLostException;
import dev.processio.io.BrokenPipeException;
import dev.processio.io.LineReader;
import dev.processio.io.ProcessIO;
import dev.processio.io.LogBudget;
import dev.processio.io.StderrLog;
import dev.processio.io.StdinWriteException;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.RpcCodec;
import dev.processio.protocol.RpcReply;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;

/**
 * One worker process and the three threads that talk to it: the stdin writer ({@link ProcessIO}),
 * the stdout reader that correlates replies by id, and the stderr reader ({@link StderrLog}).
 *
 * <h2>Life</h2>
 * {@link #start} launches the process; {@link #ready()} completes when its start-up
 * ({@link WorkerStartup}: the dialect's handshake, such as {@code processio/ready} or MCP's
 * {@code initialize}, then the init calls) has succeeded. When the worker breaks (stdin stalled
 * or broken, a corrupt frame, stdout closed) it kills its process tree and reports a
 * {@link WorkerFault}. When the process has ended, and
 * its stdout and stderr have been read to the end (or {@value #EXIT_DRAIN_MILLIS} ms have passed,
 * in case a grandchild holds them open), every call it still holds fails and the listener hears
 * {@link Listener#exited} once. Every way of stopping it reaches the processes it started too,
 * which outlive it otherwise ({@link ProcessTree}, and the stop section below).
 *
 * <h2>Threads</h2>
 * Thread-safe. Requests are held in a concurrent map; whoever removes an id from it reports the
 * request's end, so each request hears {@link Request#replied} or {@link Request#failed} at most
 * once, and exactly once unless it is taken back with {@link #cancel} or {@link #forget}. Replies
 * are reported on the stdout thread; failures on the thread that wrote the frame (the stdin
 * writer thread, or the one that called {@link #send}, see {@link ProcessIO}) when its write
 * failed, on the thread that called {@code send} (a full or closed queue), or on whichever processio
 * thread sees the process end (the housekeeper, or the stdout or stderr thread). Its descendants
 * are looked for ({@link #rememberDescendants}) on the housekeeper's tick, by the thread that
 * hears it is ready, and by whichever thread stops it. This class keeps nothing about the pool:
 * load, state and counters live in the pool's {@link WorkerEntry}.
 */
final class Worker implements ProcessIO.Owner {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    /** How long to wait after exit for stdout and stderr to reach end of file. */
    static final long EXIT_DRAIN_MILLIS = 500;

    /**
     * A request the pool gives a worker: a call, or a ping. The worker holds it until it ends and
     * then calls one of its two callbacks (see the class comment for the threads).
     */
    interface Request {

        /** The request's id, as encoded in {@link #frame()}. */
        long id();

        /** The whole request line, newline included. */
        byte[] frame();

        /** What the reply's result is read into, on the worker's stdout thread; {@code null} to skip it. */
        JavaType resultType();

        /** The worker answered: a result, an error reply, or a result the type could not hold. */
        void replied(RpcReply reply);

        /**
         * The worker will not answer: {@link StdinWriteException} with {@code reachedWorker() == false}
         * (never written, safe to send elsewhere), {@link WorkerLostException}, or
         * {@link dev.processio.BridgeRejectedException} (no room in the stdin queue).
         */
        void failed(RuntimeException cause);

        /**
         * A progress value for this request, on the stdout thread; returns whether anyone takes it.
         * Must not block.
         */
        default boolean progress(JsonNode value) {
            return false;
        }

        /** The W3C {@code traceparent} sent with this request, or {@code null}: its stderr lines are logged with it. */
        default String traceparent() {
            return null;
        }
    }

    /** Told what happens to a worker; called from processio threads, at most once each. */
    interface Listener {

        /** The worker broke and has been killed; {@link #exited} follows. */
        void faulted(Worker worker, WorkerFault fault);

        /**
         * The process ended. Called before the calls it held fail, so that a listener stops
         * choosing this worker before those calls come back to it.
         */
        void exited(Worker worker, ExitStatus status);

        /** A reply arrived for an id that is not waiting (timed out, or never sent). */
        default void lateReply(Worker worker, long id) {
        }

        /** A stray line, or a corrupt frame ({@code kind} {@code stray}, {@code invalid_json}, ...). */
        default void protocolError(Worker worker, String kind) {
        }

        /** The worker sent a message of its own: {@code kind} {@code notification} or {@code request}. */
        default void workerMessage(Worker worker, String kind) {
        }

        /** {@code count} lines of the worker's were not logged, past {@code processio.worker.log-lines-per-second}. */
        default void logLinesDropped(Worker worker, int count) {
        }
    }

    private final WorkerSettings settings;
    private final int slot;
    private final Listener listener;
    private final ScheduledExecutorService scheduler;
    private final RpcCodec codec;
    private final WorkerProtocol protocol;

    private Process process;
    private long pid;
    private String label;
    /** Set with {@link #label}, before the reader threads start. */
    private String logPrefix;
    private ProcessIO stdin;
    private StderrLog stderr;
    /** How many of its stderr and stray stdout lines are logged; shared by those two threads. */
    private final LogBudget logBudget;
    private Thread stdoutReader;
    private Thread stderrReader;
    /** Made before the stdout thread starts, which may hear {@code processio/ready} at once. */
    private final WorkerStartup startup;

    private final CompletableFuture<Worker> ready = new CompletableFuture<>();
    private final HeldRequests held = new HeldRequests(this::lost);
    private final AtomicBoolean faulted = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final java.util.concurrent.CountDownLatch finishedLatch = new java.util.concurrent.CountDownLatch(1);
    private volatile WorkerFault fault;
    /**
     * Set by whichever thread sees the process end, and once more by the one that finishes it,
     * with the limit that explains the end, if any.
     */
    private volatile ExitStatus exitStatus;
    private volatile boolean stdoutEnded;
    private volatile boolean killedByUs;
    /** Whether its stdin was closed on purpose, so that an exit is expected. */
    private volatile boolean stopRequested;
    /** What the process has started: remembered on the housekeeper's tick, at ready, and at each step of a stop. */
    private final ProcessTree tree = new ProcessTree();
    private volatile JsonNode readyParams;
    private volatile dev.processio.ServerInfo serverInfo;

    private Worker(WorkerSettings settings, int slot, Listener listener, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.slot = slot;
        this.listener = listener;
        this.scheduler = scheduler;
        this.codec = settings.codec();
        this.protocol = settings.protocol();
        this.startup = new WorkerStartup(this, protocol, scheduler);
        this.logBudget = new LogBudget(settings.logLinesPerSecond(), System::nanoTime,
                count -> listener.logLinesDropped(this, count));
    }

    /**
     * Launches a worker. {@link #ready()} completes once it is ready, or fails with a
     * {@link BridgeStartupException}; by then a worker that failed has been killed.
     *
     * @throws BridgeStartupException at once when the command cannot be run at all
     */
    static Worker start(WorkerSettings settings, int slot, Listener listener, ScheduledExecutorService scheduler) {
        Worker worker = new Worker(settings, slot, listener, scheduler);
        worker.launch();
        return worker;
    }

    /** Completes with this worker when its start-up has succeeded. */
    CompletableFuture<Worker> ready() {
        return ready;
    }

    private void launch() {
        ProcessBuilder builder = new ProcessBuilder(settings.command());
        if (settings.workingDirectory() != null) {
            builder.directory(settings.workingDirectory().toFile());
        }
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> !settings.passesVariable(name));
        env.putAll(settings.environment());
        env.put(JsonRpc.MAX_FRAME_SIZE_ENV, Integer.toString(settings.maxFrameSize()));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw WorkerFailures.launchFailed(settings.pool(), settings.command(), settings.bundledRuntime(), e);
        }
        pid = process.pid();
        label = "worker " + slot + " (pid " + pid + ")";
        logPrefix = "[" + settings.pool() + "] " + label + ": ";
        String threadPrefix = "processio-" + settings.pool() + "-w" + slot;
        // stdin first: the stdout thread may answer a request of the worker's at once, and starting
        // it publishes what was set before.
        stderr = new StderrLog(settings.pool(), slot, pid, held, logBudget, this::streamEnded);
        stdin = ProcessIO.start(settings.pool(), slot, label, process.getOutputStream(), settings.io(), this, scheduler);
        stderrReader = new LineReader(process.getErrorStream(), StderrLog.MAX_LINE_BYTES, true, stderr)
                .start(threadPrefix + "-stderr");
        stdoutReader = new LineReader(process.getInputStream(), settings.maxFrameSize() - 1, false, new WorkerStdout(this, codec))
                .start(threadPrefix + "-stdout");
        // On a processio thread: the default async executor of onExit() would make unnamed ones.
        process.onExit().whenCompleteAsync((p, e) -> processExited(), this::runSoon);
        ScheduledFuture<?> timeout = scheduler.schedule(this::readyTimedOut, settings.startupTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        ready.whenComplete((w, e) -> timeout.cancel(false));
        startup.run().whenComplete(this::startupEnded);
    }

    /** The start-up's steps have ended: the worker is ready, or it failed to start and is killed. */
    private void startupEnded(dev.processio.ServerInfo info, Throwable failure) {
        if (failure == null) {
            serverInfo = info;
            ready.complete(this);
            return;
        }
        Throwable cause = WorkerStartup.cause(failure);
        BridgeStartupException e;
        if (cause instanceof BridgeStartupException b) {
            e = b;
        } else if (cause instanceof WorkerStartup.StepRefused refused) {
            e = refused.failure;
        } else if (cause instanceof WorkerLostException || cause instanceof StdinWriteException) {
            // The process is gone or going: its exit fails the start-up, with its exit status.
            return;
        } else if (cause instanceof dev.processio.BridgeRejectedException) {
            e = startup.failed(startup.step(), "its stdin queue is full: the worker does not read its requests");
        } else {
            e = startup.failed(startup.step(), cause.getMessage());
        }
        if (ready.completeExceptionally(e)) {
            LOG.warn("[{}] {} failed to start: {}", settings.pool(), label, e.getMessage());
            kill();
        }
    }

    // ---- calls -------------------------------------------------------------------------------

    /**
     * Sends one request; it is held, and visible to {@link #forEachHeld}, until it ends or is taken
     * back. See the class comment for how it ends. Never throws for the worker's faults.
     *
     * @param mayWait whether a full stdin queue may be waited on; when {@code false} a full queue
     *        fails the request at once with {@link dev.processio.BridgeRejectedException} whatever
     *        the backpressure policy, for threads that must not block
     * @throws BridgeProtocolException when the frame is larger than the frame size limit; nothing is written
     */
    void send(Request request, boolean mayWait) {
        checkFrameSize(request.frame());
        ProcessIO.Frame frame = held.hold(request);
        // Once the process is gone, ProcessIO fails the write as unsent, so no request is lost silently.
        if (mayWait) {
            stdin.write(frame);
        } else {
            stdin.offer(frame);
        }
    }

    /**
     * Sends a notification without waiting for room in the stdin queue. A failure to write it is
     * ignored: a full queue drops it, and a broken pipe is reported as the worker's fault anyway.
     */
    void notify(String method, Object params) {
        byte[] frame = codec.notification(method, params);
        checkFrameSize(frame);
        stdin.offer(frame);
    }

    /**
     * Gives up on a call: it is removed, so a late reply is counted and dropped, and the worker is
     * told with its dialect's cancel notification, if it has one. Returns whether the call was
     * still held here.
     *
     * @param reason why, for dialects whose cancel carries a reason (MCP)
     */
    boolean cancel(long id, String reason) {
        if (!held.remove(id)) {
            return false;
        }
        sendCancel(id, reason);
        return true;
    }

    /**
     * Tells the worker that the caller cancelled request {@code id}, with its dialect's cancel
     * notification, once; the request stays held, so that its answer, or the cancel grace, ends
     * it. Does nothing when the request is not held (not written yet, or ended).
     */
    void tellCancelled(long id, String reason) {
        if (held.markCancelled(id)) {
            sendCancel(id, reason);
        }
    }

    /** The dialect's cancel of request {@code id}, if it has one and the process lives; never waits. */
    private void sendCancel(long id, String reason) {
        byte[] frame = isAlive() ? protocol.cancel(id, reason) : null;
        if (frame != null && frame.length <= settings.maxFrameSize()) {
            stdin.offer(frame);
        }
    }

    /** A heartbeat request frame for this worker, or {@code null} when its dialect gives it none. */
    byte[] heartbeat(long id) {
        return protocol.heartbeat(this, id);
    }

    /** The method of this worker's heartbeat, or {@code null}, for messages. */
    String heartbeatMethod() {
        return protocol.heartbeatMethod(this);
    }

    /** Writes a frame that answers no request of the host (a reply to the worker's own request), without waiting. */
    void offer(byte[] frame) {
        checkFrameSize(frame);
        stdin.offer(frame);
    }

    /** Gives each request this worker holds at this moment to {@code action}. */
    void forEachHeld(Consumer<Request> action) {
        held.forEach(action);
    }

    /** Removes a call without telling the worker, for callers that complete it themselves. */
    boolean forget(long id) {
        return held.remove(id);
    }

    private void checkFrameSize(byte[] frame) {
        if (frame.length > settings.maxFrameSize()) {
            throw new BridgeProtocolException(settings.pool(), "request of " + frame.length
                    + " bytes is larger than the frame size limit of " + settings.maxFrameSize()
                    + " bytes (processio.io.max-frame-size); nothing was sent");
        }
    }

    private WorkerLostException lost(boolean written, Throwable cause) {
        return WorkerFailures.lost(settings.pool(), label, pid, fault, exitStatus, killedByUs, stderr.tail(), written,
                cause);
    }

    // ---- stop --------------------------------------------------------------------------------
    //
    // The process processio started is often a wrapper (npx, sh -c) around the real worker, and
    // its children outlive it: each step below reaches the process and every descendant it has
    // had that still runs (ProcessTree), looking at its tree once more first. A graceful stop is
    // closeStdin(), then terminate(), then kill(), with the waits between them that
    // Supervisor.drainAndStop and Pool.close choose; a broken worker is killed at once. When the
    // process ends by itself, what it leaves behind is killed (processExited).

    /** Kills the process and every descendant it has had that still runs (SIGKILL). Idempotent. */
    void kill() {
        tree.remember(process.toHandle());
        if (process.isAlive()) {
            killedByUs = true;
            process.destroyForcibly();
        }
        tree.killAll();
    }

    /** Asks the process and every descendant it has had that still runs to terminate (SIGTERM). */
    void terminate() {
        tree.remember(process.toHandle());
        if (process.isAlive()) {
            killedByUs = true;
            process.destroy();
        }
        tree.terminateAll();
    }

    /** Closes stdin after what is queued has been written: the worker finishes its calls and exits. */
    void closeStdin() {
        stopRequested = true;
        tree.remember(process.toHandle());
        stdin.close();
    }

    /**
     * Looks at the process's tree and remembers what it has started, so that a stop still finds
     * the processes that its end hands to init. One scan of {@code /proc} (see {@link ProcessTree});
     * on the housekeeper's tick, and once as it becomes ready, on the thread that reads its replies.
     */
    void rememberDescendants() {
        if (process.isAlive()) {
            tree.remember(process.toHandle());
        }
    }

    /**
     * The process, if it runs, and the descendants it is known to have had that still run, without
     * a new look at its tree: what {@link LimitWatch} measures between its looks.
     */
    List<ProcessHandle> knownTree() {
        List<ProcessHandle> running = tree.running();
        if (!process.isAlive()) {
            return running;
        }
        List<ProcessHandle> all = new ArrayList<>(running.size() + 1);
        all.add(process.toHandle());
        all.addAll(running);
        return all;
    }

    /** Whether the process, or any descendant it has had, still runs. */
    boolean isTreeAlive() {
        return process.isAlive() || tree.anyRunning();
    }

    /**
     * What of its tree still runs, for a log line: "worker 1 (pid 42)", with "and the 2 processes
     * it started (pids [43, 44])" when there are such, or "what worker 1 (pid 42) started (pids
     * [43, 44])" once the process itself has ended.
     */
    String describeRunning() {
        List<Long> pids = descendants().stream().map(ProcessHandle::pid).toList();
        if (!process.isAlive()) {
            return "what " + label + " started (pids " + pids + ")";
        }
        return pids.isEmpty() ? label
                : label + " and the " + pids.size() + " process(es) it started (pids " + pids + ")";
    }

    // ---- ProcessIO.Owner ---------------------------------------------------------------------

    @Override
    public void stdinStalled(ProcessIO io, Duration blockedFor) {
        fault(WorkerFault.Kind.STALLED, "it stopped reading its stdin (a write was blocked for "
                + blockedFor.toMillis() + " ms, longer than processio.io.write-timeout = "
                + settings.io().writeTimeout().toMillis() + " ms)", null);
    }

    @Override
    public void stdinBroken(ProcessIO io, BrokenPipeException cause) {
        fault(WorkerFault.Kind.BROKEN_PIPE, "its stdin is broken (EPIPE): it closed its stdin or exited", cause);
    }

    /**
     * The worker broke: it is killed, and the listener hears of it once. Not after processio has
     * killed or terminated it: the broken pipe or closed stdout that follows is the kill's doing, and
     * blaming the worker would rename the cause its calls and the log already give. A tree over a
     * worker limit while it is being stopped is SIGKILLed at once, though, rather than left to
     * grow until {@code kill-timeout}.
     */
    void fault(WorkerFault.Kind kind, String message, Throwable cause) {
        if (killedByUs) {
            if (kind == WorkerFault.Kind.LIMIT) {
                kill();
            }
            return;
        }
        if (!faulted.compareAndSet(false, true)) {
            return;
        }
        WorkerFault f = new WorkerFault(kind, message, cause);
        fault = f;
        if (exitStatus == null) {
            LOG.warn("[{}] {} is being replaced: {}", settings.pool(), label, message);
        }
        kill();
        if (!ready.isDone()) {
            // Over a worker limit is no protocol fault: it was killed, as if it had exited.
            Reason reason = kind == WorkerFault.Kind.LIMIT ? Reason.EXITED_BEFORE_READY : Reason.PROTOCOL_MISMATCH;
            ready.completeExceptionally(new BridgeStartupException(settings.pool(), reason,
                    label + " broke before it was ready: " + message, null, stderr.tail(), cause));
        }
        listener.faulted(this, f);
    }

    // ---- what WorkerStdout reports, on the stdout thread ----------------------------------------

    /** The requests this worker holds, for the stdout reader to correlate replies with. */
    HeldRequests held() {
        return held;
    }

    Listener listener() {
        return listener;
    }

    String pool() {
        return settings.pool();
    }

    int maxFrameSize() {
        return settings.maxFrameSize();
    }

    /** The pool's dialect. */
    WorkerProtocol protocol() {
        return protocol;
    }

    /** The worker sent {@code processio/ready} with these params. */
    void readyNotified(JsonNode params) {
        JsonNode version = params == null ? null : params.get("protocol");
        if (version == null || !version.isIntegralNumber() || version.intValue() != JsonRpc.PROTOCOL_VERSION) {
            BridgeStartupException e = WorkerFailures.protocolMismatch(settings.pool(), label, version,
                    stderr.tail());
            if (ready.completeExceptionally(e)) {
                kill();
            }
            return;
        }
        readyParams = params;
        startup.readyNotified(params);
    }

    /** Stdout reached its end. */
    void stdoutEnded(IOException error) {
        stdoutEnded = true;
        // At a normal exit stdout ends a moment before the process can be reaped: look again later.
        later(() -> {
            if (exitStatus == null && process.isAlive()) {
                fault(WorkerFault.Kind.STDOUT_CLOSED, "it closed its stdout", error);
            }
        }, EXIT_DRAIN_MILLIS);
        streamEnded();
    }

    // ---- start-up and exit ------------------------------------------------------------------

    private void readyTimedOut() {
        if (ready.isDone()) {
            return;
        }
        BridgeStartupException e = WorkerFailures.readyTimedOut(settings.pool(), label, settings.startupTimeout(),
                startup.step(), stderr.tail());
        if (ready.completeExceptionally(e)) {
            kill();
        }
    }

    private void processExited() {
        exitStatus = new ExitStatus(process.exitValue());
        if (!stopRequested) {
            killLeftovers();
        }
        if (stdoutEnded && stderr.ended()) {
            finish();
        } else {
            later(this::finish, EXIT_DRAIN_MILLIS);
        }
    }

    /**
     * The process ended by itself, or was killed: what it started must not outlive it, and may be
     * holding its stdout open. (A stop in progress reaches them in its own time.) After a kill()
     * this finds only what was started while it ran, or what its SIGKILL has not ended yet.
     */
    private void killLeftovers() {
        tree.remember(process.toHandle());
        List<ProcessHandle> left = tree.running();
        if (left.isEmpty()) {
            return;
        }
        if (!killedByUs) {
            LOG.warn("[{}] {} has ended; killing {} process(es) it started that still run: pids {}", settings.pool(),
                    label, left.size(), left.stream().map(ProcessHandle::pid).toList());
        }
        tree.killAll();
    }

    /** Runs a task on the scheduler; on the calling thread if the scheduler has been shut down. */
    private void runSoon(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException shutDown) {
            task.run();
        }
    }

    /** Runs a task later on the scheduler; at once if the scheduler has been shut down. */
    private void later(Runnable task, long millis) {
        try {
            scheduler.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shutDown) {
            task.run();
        }
    }

    private void streamEnded() {
        if (exitStatus != null && stdoutEnded && stderr.ended()) {
            finish();
        }
    }

    /** The process is gone: fail what it held, once. */
    private void finish() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        try {
            finishCalls();
        } catch (RuntimeException e) {
            LOG.error("[{}] {}: failed while ending its calls", settings.pool(), label, e);
        } finally {
            finishedLatch.countDown();
        }
    }

    private void finishCalls() {
        // Once stderr has been read to its end, where V8 writes why it aborted.
        ExitStatus status = exitStatus.withLimit(settings.limits().explain(exitStatus, killedByUs, stderr.tail()));
        exitStatus = status;
        if (!ready.isDone()) {
            WorkerLimits limits = settings.limits();
            BridgeStartupException notRun = !limits.wraps() ? null
                    : WorkerFailures.prlimitCouldNotRun(settings.pool(), limits.program(settings.command()),
                            settings.bundledRuntime(), status, stderr.tail());
            ready.completeExceptionally(notRun != null ? notRun
                    : WorkerFailures.exitedBeforeReady(settings.pool(), label, settings.bundledRuntime(), status,
                            stderr.tail()));
        }
        if (fault == null && !killedByUs && !stopRequested && ready.isDone() && !ready.isCompletedExceptionally()) {
            LOG.warn("[{}] {} exited unexpectedly with {}.{}", settings.pool(), label, status.describe(),
                    WorkerFailures.tailSuffix(stderr.tail()));
        }
        protocol.ended(this);
        try {
            listener.exited(this, status);
        } catch (RuntimeException e) {
            LOG.error("[{}] {}: exit listener failed", settings.pool(), label, e);
        }
        // Unwritten frames fail first, as unsent, through their writes; then written ones are lost.
        stdin.destroy();
        held.failWritten();
    }

    // ---- state -------------------------------------------------------------------------------

    int slot() {
        return slot;
    }

    long pid() {
        return pid;
    }

    String label() {
        return label;
    }

    /** How this worker's log lines start: {@code [pool] worker 1 (pid 42): }. */
    String logPrefix() {
        return logPrefix;
    }

    /** The budget of lines this worker may have logged, of its stderr and of its stray stdout lines. */
    LogBudget logBudget() {
        return logBudget;
    }

    boolean isAlive() {
        return exitStatus == null && process.isAlive();
    }

    /** The fault that made this worker kill itself, or {@code null}. */
    WorkerFault fault() {
        return fault;
    }

    /** What the worker said about itself when it started, or {@code null}. */
    dev.processio.ServerInfo serverInfo() {
        return serverInfo;
    }

    /** The params of the worker's {@code processio/ready}, or {@code null} before it. */
    JsonNode readyParams() {
        return readyParams;
    }

    ProcessIO stdin() {
        return stdin;
    }

    String stderrTail() {
        return stderr.tail();
    }

    /** Requests it holds now: calls and heartbeat pings (a snapshot's {@code inFlight}). */
    int inFlight() {
        return held.size();
    }

    /**
     * The descendants the process has had that still run: those it has now, and those remembered
     * from before that its end, or their parent's, handed to init.
     */
    List<ProcessHandle> descendants() {
        rememberDescendants();
        return tree.running();
    }

    /**
     * Waits up to {@code nanos} for the process and every descendant it has had to end; returns
     * whether they have.
     */
    boolean awaitExit(long nanos) {
        long deadline = System.nanoTime() + nanos;
        try {
            if (!process.waitFor(nanos, TimeUnit.NANOSECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !isTreeAlive();
        }
        return tree.awaitEnded(deadline - System.nanoTime());
    }

    /**
     * Waits until the process and every descendant it has had have ended, its three threads have
     * stopped and the calls it held have been failed.
     */
    boolean awaitStopped(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!process.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
            return false;
        }
        if (!tree.awaitEnded(deadline - System.nanoTime())) {
            return false;
        }
        if (!stdin.awaitStopped(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000)))) {
            return false;
        }
        for (Thread reader : new Thread[] {stdoutReader, stderrReader}) {
            reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (reader.isAlive()) {
                return false;
            }
        }
        return finishedLatch.await(Math.max(deadline - System.nanoTime(), 1_000_000), TimeUnit.NANOSECONDS);
    }

    @Override
    public String toString() {
        return "[" + settings.pool() + "] " + label;
    }
}
