package dev.processio;

import dev.processio.metrics.MetricsTracker;
import dev.processio.protocol.JsonRpc;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * Everything a {@link NodeBridge} is built from. Immutable and thread-safe; make one with
 * {@link #builder()}. Each getter returns what the {@link Builder} method of the same name set;
 * that method names the Spring property {@code processio.<group>.<key>} it corresponds to. The
 * builder's fields hold the defaults, the only copy of them in code; the README's configuration
 * table lists them.
 *
 * <p>{@link Builder#build()} checks the values in two tiers. Contradictions and impossible values
 * throw {@link IllegalArgumentException} with a message that names the property to change, so
 * that one message serves both ways of configuring. Questionable values that can still work are
 * clamped, each with one WARN line that starts with the pool name and names the property; the
 * getters return the clamped value.
 */
public final class NodeBridgeOptions {

    private static final Logger LOG = LoggerFactory.getLogger(NodeBridgeOptions.class);

    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    /** A variable name, or a prefix of one followed by {@code *}. */
    private static final Pattern ALLOWLIST_ENTRY = Pattern.compile("[^=*\\x00]+\\*?|\\*");

    private static final Pattern MCP_VERSION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    /** Shorter write timeouts would take a worker that is busy for a moment for a stalled one. */
    static final Duration MIN_WRITE_TIMEOUT = Duration.ofMillis(100);

    /** The largest byte array that common JVMs allocate. */
    static final int MAX_FRAME_SIZE = Integer.MAX_VALUE - 8;

    /**
     * A checked, clamped copy of the builder that made these options. Never changed or handed out
     * after construction; this final field publishes it safely to every thread.
     */
    private final Builder values;

    private NodeBridgeOptions(Builder values) {
        this.values = values;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Pool name: used in thread names, log lines, messages, breaker names and metric tags. */
    public String name() { return values.name; }

    /** The worker command and its arguments, or {@code null} when the bundled Node runtime serves {@link #module()}. */
    public List<String> command() { return values.command; }

    /** The user's Node module served by the bundled runtime, or {@code null} when {@link #command()} is set. */
    public Path module() { return values.module; }

    /** The user's Python module served by the bundled Python runtime, or {@code null}. */
    public Path pythonModule() { return values.pythonModule; }

    public String pythonExecutable() { return values.pythonExecutable; }

    /** How the pool talks to its workers; the bundled runtimes speak {@link Dialect#PROCESSIO}. */
    public Dialect dialect() { return values.dialect; }

    /** Calls sent to each new worker after its dialect's own start-up, in order; each must answer with a result. */
    public List<InitMessage> initCalls() { return values.initCalls; }

    /** Notifications sent to each new worker after its init calls, in order. */
    public List<InitMessage> initNotifications() { return values.initNotifications; }

    /** The heartbeat method, or {@code null} for the dialect's own (none for {@link Dialect#JSON_RPC}). */
    public String healthCheckMethod() { return values.healthCheckMethod; }

    /** The notification that cancels a request in the {@link Dialect#JSON_RPC json-rpc} dialect, or {@code null} for none. */
    public String cancelNotificationMethod() { return values.cancelNotificationMethod; }

    /** The member of the cancel notification's params that carries the cancelled request's id. */
    public String cancelNotificationIdMember() { return values.cancelNotificationIdMember; }

    /** The MCP protocol version to speak, or {@code null} for the newest that both sides speak. */
    public String mcpProtocolVersion() { return values.mcpProtocolVersion; }

    /** Answers the requests workers send to the host, or {@code null} to answer them all with -32601. */
    public ServerRequestHandler serverRequestHandler() { return values.serverRequestHandler; }

    /** The workers' working directory, or {@code null} for the JVM's. */
    public Path workingDirectory() { return values.workingDirectory; }

    public String nodeExecutable() { return values.nodeExecutable; }
    public List<String> nodeOptions() { return values.nodeOptions; }
    public boolean inheritEnvironment() { return values.inheritEnvironment; }

    /**
     * The names of the JVM's environment variables that workers get when {@link #inheritEnvironment()}
     * is false; an entry that ends with {@code *} is a prefix.
     */
    public List<String> environmentAllowlist() { return values.environmentAllowlist; }

    public Map<String, String> environment() { return values.environment; }

    /** How many lines of each worker's stderr, and stray lines of its stdout, are logged per second at most. */
    public int logLinesPerSecond() { return values.logLinesPerSecond; }
    public Duration startupTimeout() { return values.startupTimeout; }

    /** Resident memory of a worker's whole process tree, in bytes; 0 for no limit. */
    public long limitsMemory() { return values.limitsMemory; }

    /** CPU time of each worker process, in whole seconds; {@code null} for no limit. */
    public Duration limitsCpuTime() { return values.limitsCpuTime; }

    /** Open file descriptors of each worker process; 0 for no limit. */
    public int limitsOpenFiles() { return values.limitsOpenFiles; }

    /** Processes in a worker's tree, the worker included; 0 for no limit. */
    public int limitsProcesses() { return values.limitsProcesses; }

    public int minWorkers() { return values.minWorkers; }
    public int maxWorkers() { return values.maxWorkers; }
    public int maxInFlightPerWorker() { return values.maxInFlightPerWorker; }
    public int maxPending() { return values.maxPending; }
    public Duration acquireTimeout() { return values.acquireTimeout; }
    public Duration idleTimeout() { return values.idleTimeout; }
    public Duration callTimeout() { return values.callTimeout; }
    public int maxProgressBuffer() { return values.maxProgressBuffer; }

    /** How long a cancelled call's place on its worker stays taken while the worker has not answered. */
    public Duration callCancelGrace() { return values.callCancelGrace; }

    public int writeQueueFrames() { return values.writeQueueFrames; }
    public long writeQueueBytes() { return values.writeQueueBytes; }
    public Backpressure backpressure() { return values.backpressure; }
    public Duration enqueueTimeout() { return values.enqueueTimeout; }
    public Duration writeTimeout() { return values.writeTimeout; }
    public int maxFrameSize() { return values.maxFrameSize; }

    public Duration healthCheckInterval() { return values.healthCheckInterval; }
    public Duration healthCheckTimeout() { return values.healthCheckTimeout; }
    public long recycleMaxRequests() { return values.recycleMaxRequests; }
    public long recycleMaxRequestsJitter() { return values.recycleMaxRequestsJitter; }
    public Duration recycleMaxAge() { return values.recycleMaxAge; }
    public long recycleMaxMemory() { return values.recycleMaxMemory; }

    public float failureRateThreshold() { return values.failureRateThreshold; }
    public int slidingWindowSize() { return values.slidingWindowSize; }
    public int minimumNumberOfCalls() { return values.minimumNumberOfCalls; }
    public int permittedCallsInHalfOpenState() { return values.permittedCallsInHalfOpenState; }
    public Duration waitDuration() { return values.waitDuration; }
    public Duration maxWaitDuration() { return values.maxWaitDuration; }
    public double backoffMultiplier() { return values.backoffMultiplier; }

    public Duration gracePeriod() { return values.gracePeriod; }
    public Duration killTimeout() { return values.killTimeout; }

    /** The mapper for params and results, or {@code null} for a default {@code JsonMapper}. */
    public ObjectMapper jsonMapper() { return values.jsonMapper; }

    /** Where slot breakers come from, or {@code null} for a registry of the pool's own. */
    public CircuitBreakerRegistry circuitBreakerRegistry() { return values.circuitBreakerRegistry; }

    /**
     * Name of a configuration in {@link #circuitBreakerRegistry()} to use for slot breakers, or
     * {@code null}. When that registry has no configuration of this name, the quarantine options apply.
     */
    public String circuitBreakerConfigName() { return values.circuitBreakerConfigName; }

    /** Creates the pool's metrics tracker, or {@code null} for none. */
    public MetricsTracker.Factory metricsTrackerFactory() { return values.metricsTrackerFactory; }

    /** Where each call is observed ({@code processio.call}), or {@code null} for no observations. */
    public io.micrometer.observation.ObservationRegistry observationRegistry() { return values.observationRegistry; }

    /** Whether a JVM shutdown hook closes the bridge if {@code close()} was not called before the JVM exits. */
    public boolean shutdownHook() { return values.shutdownHook; }

    /** Whether the workers are restarted, one by one, when a file next to the module changes. */
    public boolean devWatch() { return values.devWatch; }

    @Override
    public String toString() {
        return "NodeBridgeOptions[" + name() + ", "
                + (command() != null ? "command=" + command()
                        : module() != null ? "module=" + module() : "python-module=" + pythonModule())
                + (dialect() != Dialect.PROCESSIO ? ", dialect=" + dialect().key() : "")
                + ", workers=" + minWorkers() + ".." + maxWorkers() + "]";
    }

    /**
     * Builds {@link NodeBridgeOptions}; its fields hold the defaults. Not thread-safe. Every setter
     * names its Spring property; {@link #build()} may be called again after more changes.
     */
    public static final class Builder implements Cloneable {

        private String name = "default";
        private List<String> command;
        private String nodeExecutable = "node";
        private List<String> nodeOptions = List.of();
        private Path module;
        private Path pythonModule;
        private String pythonExecutable = "python3";
        private Dialect dialect = Dialect.PROCESSIO;
        private List<InitMessage> initCalls = List.of();
        private List<InitMessage> initNotifications = List.of();
        private String healthCheckMethod;
        private String cancelNotificationMethod;
        private String cancelNotificationIdMember = "id";
        private String mcpProtocolVersion;
        private ServerRequestHandler serverRequestHandler;
        private Path workingDirectory;
        private boolean inheritEnvironment = true;
        private List<String> environmentAllowlist = List.of("PATH", "HOME", "LANG", "LC_*", "TZ");
        private Map<String, String> environment = new LinkedHashMap<>();
        private int logLinesPerSecond = 1000;
        private Duration startupTimeout = Duration.ofSeconds(30);
        private long limitsMemory;
        private Duration limitsCpuTime;
        private int limitsOpenFiles;
        private int limitsProcesses;
        private int minWorkers = 1;
        private int maxWorkers = 4;
        private int maxInFlightPerWorker = 16;
        private int maxPending = 1000;
        private Duration acquireTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofMinutes(10);
        private Duration callTimeout = Duration.ofSeconds(30);
        private Duration callCancelGrace = Duration.ofSeconds(5);
        private int maxProgressBuffer = 1024;
        private int writeQueueFrames = 1024;
        private long writeQueueBytes = 64L << 20;
        private Backpressure backpressure = Backpressure.BLOCK;
        private Duration enqueueTimeout = Duration.ofSeconds(5);
        private Duration writeTimeout = Duration.ofSeconds(10);
        private int maxFrameSize = JsonRpc.DEFAULT_MAX_FRAME_SIZE;
        private Duration healthCheckInterval = Duration.ofSeconds(10);
        private Duration healthCheckTimeout = Duration.ofSeconds(5);
        private long recycleMaxRequests;
        private long recycleMaxRequestsJitter;
        private Duration recycleMaxAge = Duration.ZERO;
        private long recycleMaxMemory;
        private float failureRateThreshold = 50;
        private int slidingWindowSize = 10;
        private int minimumNumberOfCalls = 5;
        private int permittedCallsInHalfOpenState = 2;
        private Duration waitDuration = Duration.ofSeconds(1);
        private Duration maxWaitDuration = Duration.ofSeconds(60);
        private double backoffMultiplier = 2.0;
        private Duration gracePeriod = Duration.ofSeconds(30);
        private Duration killTimeout = Duration.ofSeconds(5);
        private ObjectMapper jsonMapper;
        private CircuitBreakerRegistry circuitBreakerRegistry;
        private String circuitBreakerConfigName;
        private MetricsTracker.Factory metricsTrackerFactory;
        private io.micrometer.observation.ObservationRegistry observationRegistry;
        private boolean shutdownHook = true;
        private boolean devWatch = false;

        private Builder() {
        }

        /** Pool name: letters, digits, {@code _ . -}. */
        public Builder name(String name) { this.name = name; return this; }

        /** {@code processio.worker.command}: a program and its arguments, run without a shell; replaces Node. */
        public Builder command(List<String> command) {
            this.command = command == null ? null : new ArrayList<>(command);
            return this;
        }

        /** {@code processio.worker.command}. */
        public Builder command(String... command) { return command(List.of(command)); }

        /** {@code processio.node.executable}: a name looked up on the PATH, or a path. */
        public Builder nodeExecutable(String nodeExecutable) { this.nodeExecutable = nodeExecutable; return this; }

        /** {@code processio.node.options}: options of {@code node} itself, such as {@code --max-old-space-size=512}. */
        public Builder nodeOptions(List<String> nodeOptions) {
            this.nodeOptions = nodeOptions == null ? List.of() : List.copyOf(nodeOptions);
            return this;
        }

        /** {@code processio.node.module}: the module whose exported functions the workers serve. */
        public Builder module(Path module) { this.module = module; return this; }

        /** {@code processio.python.module}: the Python module whose functions the workers serve. */
        public Builder pythonModule(Path module) { this.pythonModule = module; return this; }

        /** {@code processio.python.executable}: a name looked up on the PATH, or a path. */
        public Builder pythonExecutable(String executable) { this.pythonExecutable = executable; return this; }

        /**
         * {@code processio.worker.dialect}: {@code processio} (the default, and what the bundled
         * runtimes speak), {@code json-rpc} or {@code mcp}.
         */
        public Builder dialect(Dialect dialect) { this.dialect = dialect; return this; }

        /**
         * {@code processio.worker.init-calls}: calls sent to each new worker, in order, after its
         * dialect's own start-up and before it takes calls. Each must answer with a result, or the
         * worker fails to start with an error that names the call.
         */
        public Builder initCalls(List<InitMessage> calls) {
            this.initCalls = calls == null ? List.of() : List.copyOf(calls);
            return this;
        }

        /** Adds one init call. */
        public Builder initCall(String method, Object params) {
            List<InitMessage> calls = new ArrayList<>(initCalls);
            calls.add(new InitMessage(method, params));
            this.initCalls = List.copyOf(calls);
            return this;
        }

        /** {@code processio.worker.init-notifications}: sent to each new worker, in order, after its init calls. */
        public Builder initNotifications(List<InitMessage> notifications) {
            this.initNotifications = notifications == null ? List.of() : List.copyOf(notifications);
            return this;
        }

        /** Adds one init notification. */
        public Builder initNotification(String method, Object params) {
            List<InitMessage> notifications = new ArrayList<>(initNotifications);
            notifications.add(new InitMessage(method, params));
            this.initNotifications = List.copyOf(notifications);
            return this;
        }

        /**
         * {@code processio.health-check.method}: the request sent as a heartbeat, answered with any
         * result. {@code null}: the dialect's own ({@code processio/ping}; MCP {@code ping}); the
         * {@code json-rpc} dialect has none, so its workers get no heartbeat without this.
         */
        public Builder healthCheckMethod(String method) { this.healthCheckMethod = method; return this; }

        /**
         * {@code processio.worker.cancel-notification.method}: in the {@code json-rpc} dialect, the
         * notification sent when the host gives up on a request ({@code null}: none is sent).
         */
        public Builder cancelNotificationMethod(String method) { this.cancelNotificationMethod = method; return this; }

        /** {@code processio.worker.cancel-notification.id-member}: the params member that carries the request's id. */
        public Builder cancelNotificationIdMember(String member) { this.cancelNotificationIdMember = member; return this; }

        /**
         * {@code processio.worker.mcp.protocol-version}: the MCP protocol version to speak, such as
         * {@code 2025-11-25}. {@code null}: the newest that both processio and the server speak.
         */
        public Builder mcpProtocolVersion(String version) { this.mcpProtocolVersion = version; return this; }

        /** Answers the requests workers send to the host ({@code null}: each is answered with -32601). */
        public Builder serverRequestHandler(ServerRequestHandler handler) {
            this.serverRequestHandler = handler;
            return this;
        }

        /** {@code processio.worker.working-directory} ({@code null}: the JVM's). */
        public Builder workingDirectory(Path directory) { this.workingDirectory = directory; return this; }

        /**
         * {@code processio.worker.inherit-environment}: whether workers get every variable of the
         * JVM's environment, secrets included. When false they get only those that
         * {@link #environmentAllowlist(List)} names, and those of {@link #environment(Map)}.
         */
        public Builder inheritEnvironment(boolean inherit) { this.inheritEnvironment = inherit; return this; }

        /**
         * {@code processio.worker.environment-allowlist}: the JVM's variables that workers get when
         * {@link #inheritEnvironment(boolean) inherit-environment} is false. An entry ending with
         * {@code *} is a prefix ({@code LC_*}); any other is a whole name. Defaults to {@code PATH},
         * {@code HOME}, {@code LANG}, {@code LC_*} and {@code TZ}.
         */
        public Builder environmentAllowlist(List<String> names) {
            this.environmentAllowlist = names == null ? null : new ArrayList<>(names);
            return this;
        }

        /**
         * {@code processio.worker.log-lines-per-second}: how many lines each worker may have logged per
         * second, of its stderr and of stray stdout lines together, in bursts of up to as many. Lines
         * beyond it are dropped and counted ({@code processio.worker.log.dropped}); the stderr tail
         * still keeps them.
         */
        public Builder logLinesPerSecond(int lines) { this.logLinesPerSecond = lines; return this; }

        /** {@code processio.worker.environment}: extra variables, on top of the inherited ones. */
        public Builder environment(Map<String, String> environment) {
            this.environment = new LinkedHashMap<>(environment);
            return this;
        }

        /** One extra environment variable. */
        public Builder environment(String name, String value) { this.environment.put(name, value); return this; }

        /** {@code processio.worker.startup-timeout}: how long a worker may take to become ready. */
        public Builder startupTimeout(Duration timeout) { this.startupTimeout = timeout; return this; }

        /**
         * {@code processio.worker.limits.memory} in bytes (0: none, the default): the resident
         * memory of a worker's whole process tree, read from {@code /proc} every 20 ms (new processes
         * of the tree are found within 500 ms); above it
         * the tree is killed with SIGKILL, its calls fail with {@link WorkerLostException}, and
         * the slot is refilled. Node workers of the bundled runtime also get
         * {@code --max-old-space-size} of half of it, unless {@code processio.node.options} sets
         * one. Linux only; a pool with it set does not start elsewhere.
         */
        public Builder limitsMemory(long bytes) { this.limitsMemory = bytes; return this; }

        /**
         * {@code processio.worker.limits.cpu-time} ({@code null} or zero: none, the default): CPU
         * time of each worker process ({@code RLIMIT_CPU}, through prlimit), in whole seconds; a
         * fraction is rounded up, with a warning. The kernel ends the process with SIGXCPU.
         */
        public Builder limitsCpuTime(Duration cpuTime) { this.limitsCpuTime = cpuTime; return this; }

        /**
         * {@code processio.worker.limits.open-files} (0: none, the default): open file descriptors
         * of each worker process ({@code RLIMIT_NOFILE}, through prlimit); an open past it fails
         * with EMFILE in the worker.
         */
        public Builder limitsOpenFiles(int files) { this.limitsOpenFiles = files; return this; }

        /**
         * {@code processio.worker.limits.processes} (0: none, the default): processes in a worker's
         * tree, the worker included, looked for every 500 ms; above it the tree is killed with SIGKILL.
         * Not {@code RLIMIT_NPROC}, which counts every thread of the user, the application's too.
         */
        public Builder limitsProcesses(int processes) { this.limitsProcesses = processes; return this; }

        /** {@code processio.pool.min-workers}: started with the bridge and kept alive. */
        public Builder minWorkers(int minWorkers) { this.minWorkers = minWorkers; return this; }

        /** {@code processio.pool.max-workers}. */
        public Builder maxWorkers(int maxWorkers) { this.maxWorkers = maxWorkers; return this; }

        /** {@code processio.pool.max-in-flight-per-worker}: calls one worker holds at once. */
        public Builder maxInFlightPerWorker(int max) { this.maxInFlightPerWorker = max; return this; }

        /** {@code processio.pool.max-pending}: calls waiting for a worker, at most. */
        public Builder maxPending(int maxPending) { this.maxPending = maxPending; return this; }

        /** {@code processio.pool.acquire-timeout}: how long a call waits for a worker. */
        public Builder acquireTimeout(Duration timeout) { this.acquireTimeout = timeout; return this; }

        /** {@code processio.pool.idle-timeout}: idle workers above the minimum stop after it. */
        public Builder idleTimeout(Duration timeout) { this.idleTimeout = timeout; return this; }

        /** {@code processio.call.timeout}: a call's time limit unless the call sets its own. */
        public Builder callTimeout(Duration timeout) { this.callTimeout = timeout; return this; }

        /**
         * {@code processio.call.cancel-grace}: after a call is cancelled, its place among the
         * worker's {@code max-in-flight-per-worker} stays taken until the worker answers, or for
         * this long, so that a worker that ignores cancels is not given more calls than it can
         * hold. The worker is not blamed when the grace passes.
         */
        public Builder callCancelGrace(Duration grace) { this.callCancelGrace = grace; return this; }

        /**
         * {@code processio.call.max-progress-buffer}: progress values of one call that wait for its
         * listener, at most; past it the oldest are dropped and counted.
         */
        public Builder maxProgressBuffer(int values) { this.maxProgressBuffer = values; return this; }

        /** {@code processio.io.write-queue-frames}. */
        public Builder writeQueueFrames(int frames) { this.writeQueueFrames = frames; return this; }

        /** {@code processio.io.write-queue-bytes}. */
        public Builder writeQueueBytes(long bytes) { this.writeQueueBytes = bytes; return this; }

        /** {@code processio.io.backpressure}. */
        public Builder backpressure(Backpressure backpressure) { this.backpressure = backpressure; return this; }

        /** {@code processio.io.enqueue-timeout}. */
        public Builder enqueueTimeout(Duration timeout) { this.enqueueTimeout = timeout; return this; }

        /**
         * {@code processio.io.write-timeout}: a write blocked longer means the worker stopped reading.
         * Values below 100 ms are raised to 100 ms, with a warning: shorter ones would take a worker
         * that is busy for a moment, with its pipe full, for a stalled one and kill it.
         */
        public Builder writeTimeout(Duration timeout) { this.writeTimeout = timeout; return this; }

        /**
         * {@code processio.io.max-frame-size} in bytes. Values above {@code Integer.MAX_VALUE - 8},
         * the largest array a JVM allocates, are lowered to it, with a warning.
         */
        public Builder maxFrameSize(int bytes) { this.maxFrameSize = bytes; return this; }

        /** {@code processio.health-check.interval} (zero turns heartbeats off). */
        public Builder healthCheckInterval(Duration interval) { healthCheckInterval = interval; return this; }

        /** {@code processio.health-check.timeout}: how long an idle worker has to answer a heartbeat. */
        public Builder healthCheckTimeout(Duration timeout) { healthCheckTimeout = timeout; return this; }

        /** {@code processio.recycle.max-requests} (0: never). */
        public Builder recycleMaxRequests(long max) { this.recycleMaxRequests = max; return this; }

        /** {@code processio.recycle.max-requests-jitter}. */
        public Builder recycleMaxRequestsJitter(long jitter) { recycleMaxRequestsJitter = jitter; return this; }

        /** {@code processio.recycle.max-age} (0: never). */
        public Builder recycleMaxAge(Duration maxAge) { this.recycleMaxAge = maxAge; return this; }

        /** {@code processio.recycle.max-memory} in bytes of resident memory (0: never). */
        public Builder recycleMaxMemory(long bytes) { this.recycleMaxMemory = bytes; return this; }

        /** {@code processio.quarantine.failure-rate-threshold} in percent. */
        public Builder failureRateThreshold(float percent) { this.failureRateThreshold = percent; return this; }

        /** {@code processio.quarantine.sliding-window-size} in calls. */
        public Builder slidingWindowSize(int calls) { this.slidingWindowSize = calls; return this; }

        /** {@code processio.quarantine.minimum-number-of-calls}. */
        public Builder minimumNumberOfCalls(int calls) { this.minimumNumberOfCalls = calls; return this; }

        /** {@code processio.quarantine.permitted-calls-in-half-open-state}: probe calls of a new worker. */
        public Builder permittedCallsInHalfOpenState(int calls) { permittedCallsInHalfOpenState = calls; return this; }

        /** {@code processio.quarantine.wait-duration}: first wait before a replacement. */
        public Builder waitDuration(Duration wait) { this.waitDuration = wait; return this; }

        /** {@code processio.quarantine.max-wait-duration}: the cap of the growing wait. */
        public Builder maxWaitDuration(Duration maxWait) { this.maxWaitDuration = maxWait; return this; }

        /** {@code processio.quarantine.backoff-multiplier}. */
        public Builder backoffMultiplier(double multiplier) { this.backoffMultiplier = multiplier; return this; }

        /** {@code processio.shutdown.grace-period}: time in-flight calls get at close. */
        public Builder gracePeriod(Duration gracePeriod) { this.gracePeriod = gracePeriod; return this; }

        /** {@code processio.shutdown.kill-timeout}: wait after end of input, and after SIGTERM. */
        public Builder killTimeout(Duration timeout) { this.killTimeout = timeout; return this; }

        /** The mapper for params and results ({@code null}: a plain {@code JsonMapper}). */
        public Builder jsonMapper(ObjectMapper jsonMapper) { this.jsonMapper = jsonMapper; return this; }

        /** Where slot breakers come from ({@code null}: a registry of the pool's own). */
        public Builder circuitBreakerRegistry(CircuitBreakerRegistry registry) {
            this.circuitBreakerRegistry = registry;
            return this;
        }

        /** A configuration of the registry to use for slot breakers, when it has one of that name. */
        public Builder circuitBreakerConfigName(String configName) {
            this.circuitBreakerConfigName = configName;
            return this;
        }

        /** Creates the pool's metrics tracker ({@code null}: none). */
        public Builder metricsTrackerFactory(MetricsTracker.Factory factory) {
            this.metricsTrackerFactory = factory;
            return this;
        }

        /**
         * Each call becomes a Micrometer Observation {@code processio.call} in this registry, and,
         * with Micrometer Tracing, a span whose W3C trace context travels to the worker
         * ({@code null}: none). Micrometer is an optional dependency of processio-core.
         */
        public Builder observationRegistry(io.micrometer.observation.ObservationRegistry registry) {
            this.observationRegistry = registry;
            return this;
        }

        /**
         * Whether a JVM shutdown hook closes the bridge, as {@code close()} does, when the JVM exits
         * without it having been closed. Containers that close the bridge themselves, such as the
         * Spring Boot starter, turn it off so that the close happens in their order.
         */
        public Builder shutdownHook(boolean shutdownHook) { this.shutdownHook = shutdownHook; return this; }

        /**
         * {@code processio.dev.watch}: for development. The directory of {@code node.module} or
         * {@code python.module} is watched; 300 ms after the last change in it the workers are
         * restarted one by one, with no call failing. A module that no longer loads leaves the old
         * workers serving, and its error is logged and shown in {@link PoolSnapshot#devWatch()}.
         * A worker command is not watched: on with one, it is turned off with a warning.
         */
        public Builder devWatch(boolean devWatch) { this.devWatch = devWatch; return this; }

        /**
         * Checks the values: contradictions and impossible values throw {@link IllegalArgumentException};
         * questionable ones are clamped in the options, not in this builder, each with one warning.
         */
        public NodeBridgeOptions build() {
            List<String> problems = problems();
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid processio options for pool '" + name + "': "
                        + String.join("; ", problems));
            }
            Builder values = copy();
            values.clamp();
            return new NodeBridgeOptions(values);
        }

        private List<String> problems() {
            List<String> problems = new ArrayList<>();
            if (name == null || !POOL_NAME.matcher(name).matches()) {
                problems.add("pool name '" + name + "' must be 1-63 letters, digits, '_', '.' or '-'");
            }
            boolean hasCommand = command != null && !command.isEmpty();
            int sources = (hasCommand ? 1 : 0) + (module != null ? 1 : 0) + (pythonModule != null ? 1 : 0);
            if (sources != 1) {
                problems.add(sources > 1
                        ? "set only one of processio.worker.command, processio.node.module and processio.python.module"
                        : "set processio.node.module (a Node module to serve), processio.python.module (a Python"
                                + " module to serve) or processio.worker.command");
            }
            if (dialect == null) {
                problems.add("processio.worker.dialect must be 'processio', 'json-rpc' or 'mcp'");
            } else if (!hasCommand && dialect != Dialect.PROCESSIO) {
                problems.add("processio.worker.dialect '" + dialect.key() + "' needs processio.worker.command: the"
                        + " bundled Node and Python runtimes speak the 'processio' dialect");
            }
            initMessages(problems, "processio.worker.init-calls", initCalls);
            initMessages(problems, "processio.worker.init-notifications", initNotifications);
            if (healthCheckMethod != null && healthCheckMethod.isBlank()) {
                problems.add("processio.health-check.method must not be blank; leave it unset for the dialect's own");
            }
            if (cancelNotificationMethod != null && dialect != Dialect.JSON_RPC) {
                problems.add("processio.worker.cancel-notification.method applies to the 'json-rpc' dialect only;"
                        + " the '" + (dialect == null ? null : dialect.key()) + "' dialect has its own cancel");
            }
            if (cancelNotificationMethod != null && cancelNotificationMethod.isBlank()) {
                problems.add("processio.worker.cancel-notification.method must not be blank");
            }
            if (cancelNotificationIdMember == null || cancelNotificationIdMember.isEmpty()) {
                problems.add("processio.worker.cancel-notification.id-member must not be empty");
            }
            if (mcpProtocolVersion != null && dialect != Dialect.MCP) {
                problems.add("processio.worker.mcp.protocol-version applies to the 'mcp' dialect only");
            }
            if (mcpProtocolVersion != null && !MCP_VERSION.matcher(mcpProtocolVersion).matches()) {
                problems.add("processio.worker.mcp.protocol-version must be a date such as 2025-11-25, was '"
                        + mcpProtocolVersion + "'");
            }
            if (pythonModule != null && (pythonExecutable == null || pythonExecutable.isBlank())) {
                problems.add("processio.python.executable must not be empty");
            }
            if (hasCommand && command.stream().anyMatch(s -> s == null || s.isEmpty())) {
                problems.add("processio.worker.command must not contain empty arguments");
            }
            if (module != null && (nodeExecutable == null || nodeExecutable.isBlank())) {
                problems.add("processio.node.executable must not be empty");
            }
            checkEnvironmentAllowlist(problems);
            atLeast(problems, "processio.worker.log-lines-per-second", logLinesPerSecond, 1);
            positive(problems, "processio.worker.startup-timeout", startupTimeout);
            atLeast(problems, "processio.worker.limits.memory", limitsMemory, 0);
            if (limitsCpuTime != null) {
                notNegative(problems, "processio.worker.limits.cpu-time", limitsCpuTime);
            }
            atLeast(problems, "processio.worker.limits.open-files", limitsOpenFiles, 0);
            atLeast(problems, "processio.worker.limits.processes", limitsProcesses, 0);
            if (minWorkers < 0) {
                problems.add("processio.pool.min-workers must be 0 or more, was " + minWorkers);
            }
            if (maxWorkers < 1) {
                problems.add("processio.pool.max-workers must be at least 1, was " + maxWorkers);
            }
            if (minWorkers > maxWorkers) {
                problems.add("processio.pool.min-workers (" + minWorkers + ") must not be greater than"
                        + " processio.pool.max-workers (" + maxWorkers + ")");
            }
            atLeast(problems, "processio.pool.max-in-flight-per-worker", maxInFlightPerWorker, 1);
            atLeast(problems, "processio.pool.max-pending", maxPending, 0);
            notNegative(problems, "processio.pool.acquire-timeout", acquireTimeout);
            positive(problems, "processio.pool.idle-timeout", idleTimeout);
            positive(problems, "processio.call.timeout", callTimeout);
            notNegative(problems, "processio.call.cancel-grace", callCancelGrace);
            atLeast(problems, "processio.call.max-progress-buffer", maxProgressBuffer, 1);
            atLeast(problems, "processio.io.write-queue-frames", writeQueueFrames, 1);
            atLeast(problems, "processio.io.write-queue-bytes", writeQueueBytes, 1);
            if (backpressure == null) {
                problems.add("processio.io.backpressure must be 'block' or 'fail'");
            }
            notNegative(problems, "processio.io.enqueue-timeout", enqueueTimeout);
            positive(problems, "processio.io.write-timeout", writeTimeout);
            atLeast(problems, "processio.io.max-frame-size", maxFrameSize, 1024);
            notNegative(problems, "processio.health-check.interval", healthCheckInterval);
            positive(problems, "processio.health-check.timeout", healthCheckTimeout);
            atLeast(problems, "processio.recycle.max-requests", recycleMaxRequests, 0);
            atLeast(problems, "processio.recycle.max-requests-jitter", recycleMaxRequestsJitter, 0);
            notNegative(problems, "processio.recycle.max-age", recycleMaxAge);
            atLeast(problems, "processio.recycle.max-memory", recycleMaxMemory, 0);
            if (!(failureRateThreshold > 0 && failureRateThreshold <= 100)) {
                problems.add("processio.quarantine.failure-rate-threshold must be in (0, 100], was "
                        + failureRateThreshold);
            }
            atLeast(problems, "processio.quarantine.sliding-window-size", slidingWindowSize, 1);
            atLeast(problems, "processio.quarantine.minimum-number-of-calls", minimumNumberOfCalls, 1);
            atLeast(problems, "processio.quarantine.permitted-calls-in-half-open-state",
                    permittedCallsInHalfOpenState, 1);
            positive(problems, "processio.quarantine.wait-duration", waitDuration);
            positive(problems, "processio.quarantine.max-wait-duration", maxWaitDuration);
            if (waitDuration != null && maxWaitDuration != null && maxWaitDuration.compareTo(waitDuration) < 0) {
                problems.add("processio.quarantine.max-wait-duration (" + maxWaitDuration
                        + ") must not be shorter than processio.quarantine.wait-duration (" + waitDuration + ")");
            }
            if (!(backoffMultiplier >= 1.0)) {
                problems.add("processio.quarantine.backoff-multiplier must be 1 or more, was " + backoffMultiplier);
            }
            notNegative(problems, "processio.shutdown.grace-period", gracePeriod);
            positive(problems, "processio.shutdown.kill-timeout", killTimeout);
            return problems;
        }

        /** Lowers or raises the questionable values of a checked copy, one warning each. */
        private void clamp() {
            if (devWatch && command != null && !command.isEmpty()) {
                LOG.warn("[{}] processio.dev.watch watches processio.node.module or processio.python.module;"
                        + " a worker command is not watched", name);
                devWatch = false;
            }
            if (limitsCpuTime != null && limitsCpuTime.isZero()) {
                limitsCpuTime = null;
            } else if (limitsCpuTime != null && limitsCpuTime.getNano() != 0) {
                Duration rounded = Duration.ofSeconds(limitsCpuTime.getSeconds() + 1);
                LOG.warn("[{}] processio.worker.limits.cpu-time of {} is not a whole number of seconds, which is"
                        + " all the kernel counts; using {} s", name, limitsCpuTime, rounded.getSeconds());
                limitsCpuTime = rounded;
            }
            if (writeTimeout.compareTo(MIN_WRITE_TIMEOUT) < 0) {
                LOG.warn("[{}] processio.io.write-timeout of {} ms is too short to tell a stalled worker from a busy"
                        + " one; using {} ms", name, writeTimeout.toMillis(), MIN_WRITE_TIMEOUT.toMillis());
                writeTimeout = MIN_WRITE_TIMEOUT;
            }
            if (maxFrameSize > MAX_FRAME_SIZE) {
                LOG.warn("[{}] processio.io.max-frame-size of {} bytes is more than a Java array holds;"
                        + " using {} bytes", name, maxFrameSize, MAX_FRAME_SIZE);
                maxFrameSize = MAX_FRAME_SIZE;
            }
        }

        /** A copy with unmodifiable collections, for the options to keep. */
        private Builder copy() {
            try {
                Builder copy = (Builder) super.clone();
                copy.command = command == null ? null : List.copyOf(command);
                copy.environment = Map.copyOf(environment);
                copy.environmentAllowlist = List.copyOf(environmentAllowlist);
                return copy;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        private void checkEnvironmentAllowlist(List<String> problems) {
            if (environmentAllowlist == null) {
                problems.add("processio.worker.environment-allowlist must not be null; set an empty list to pass"
                        + " no variable of the JVM's");
                return;
            }
            for (String entry : environmentAllowlist) {
                if (entry == null || !ALLOWLIST_ENTRY.matcher(entry).matches()) {
                    problems.add("processio.worker.environment-allowlist entries must be variable names, or"
                            + " prefixes ending with '*' such as LC_*, was '" + entry + "'");
                }
            }
        }

        private static void initMessages(List<String> problems, String key, List<InitMessage> messages) {
            for (int i = 0; i < messages.size(); i++) {
                InitMessage m = messages.get(i);
                if (m == null || m.method().isBlank()) {
                    problems.add(key + "[" + i + "].method must be set");
                }
            }
        }

        private static void positive(List<String> problems, String key, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                problems.add(key + " must be a positive duration, was " + value);
            }
        }

        private static void notNegative(List<String> problems, String key, Duration value) {
            if (value == null || value.isNegative()) {
                problems.add(key + " must not be negative, was " + value);
            }
        }

        private static void atLeast(List<String> problems, String key, long value, long min) {
            if (value < min) {
                problems.add(key + " must be at least " + min + ", was " + value);
            }
        }
    }
}
