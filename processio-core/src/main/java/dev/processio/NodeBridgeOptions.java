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
import tools.jackson.databind.ObjectMapper;

/**
 * Everything a {@link NodeBridge} is built from. Immutable and thread-safe; make one with
 * {@link #builder()}. {@link Builder#build()} checks the values and throws
 * {@link IllegalArgumentException} with a message that names the setting to change.
 *
 * <p>Each option mirrors a Spring property {@code processio.<group>.<key>}; the messages use
 * those names so that one message serves both ways of configuring.
 */
public final class NodeBridgeOptions {

    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final String name;
    private final List<String> command;
    private final String nodeExecutable;
    private final List<String> nodeOptions;
    private final Path module;
    private final Path workingDirectory;
    private final boolean inheritEnvironment;
    private final Map<String, String> environment;
    private final Duration startupTimeout;
    private final int minWorkers;
    private final int maxWorkers;
    private final int maxInFlightPerWorker;
    private final int maxPending;
    private final Duration acquireTimeout;
    private final Duration idleTimeout;
    private final Duration callTimeout;
    private final int writeQueueFrames;
    private final long writeQueueBytes;
    private final Backpressure backpressure;
    private final Duration enqueueTimeout;
    private final Duration writeTimeout;
    private final int maxFrameSize;
    private final Duration healthCheckInterval;
    private final Duration healthCheckTimeout;
    private final long recycleMaxRequests;
    private final long recycleMaxRequestsJitter;
    private final Duration recycleMaxAge;
    private final long recycleMaxMemory;
    private final float failureRateThreshold;
    private final int slidingWindowSize;
    private final int minimumNumberOfCalls;
    private final int permittedCallsInHalfOpenState;
    private final Duration waitDuration;
    private final Duration maxWaitDuration;
    private final double backoffMultiplier;
    private final Duration gracePeriod;
    private final Duration killTimeout;
    private final ObjectMapper jsonMapper;
    private final CircuitBreakerRegistry circuitBreakerRegistry;
    private final String circuitBreakerConfigName;
    private final MetricsTracker.Factory metricsTrackerFactory;
    private final boolean shutdownHook;

    private NodeBridgeOptions(Builder b) {
        name = b.name;
        command = b.command == null ? null : List.copyOf(b.command);
        nodeExecutable = b.nodeExecutable;
        nodeOptions = List.copyOf(b.nodeOptions);
        module = b.module;
        workingDirectory = b.workingDirectory;
        inheritEnvironment = b.inheritEnvironment;
        environment = Map.copyOf(b.environment);
        startupTimeout = b.startupTimeout;
        minWorkers = b.minWorkers;
        maxWorkers = b.maxWorkers;
        maxInFlightPerWorker = b.maxInFlightPerWorker;
        maxPending = b.maxPending;
        acquireTimeout = b.acquireTimeout;
        idleTimeout = b.idleTimeout;
        callTimeout = b.callTimeout;
        writeQueueFrames = b.writeQueueFrames;
        writeQueueBytes = b.writeQueueBytes;
        backpressure = b.backpressure;
        enqueueTimeout = b.enqueueTimeout;
        writeTimeout = b.writeTimeout;
        maxFrameSize = b.maxFrameSize;
        healthCheckInterval = b.healthCheckInterval;
        healthCheckTimeout = b.healthCheckTimeout;
        recycleMaxRequests = b.recycleMaxRequests;
        recycleMaxRequestsJitter = b.recycleMaxRequestsJitter;
        recycleMaxAge = b.recycleMaxAge;
        recycleMaxMemory = b.recycleMaxMemory;
        failureRateThreshold = b.failureRateThreshold;
        slidingWindowSize = b.slidingWindowSize;
        minimumNumberOfCalls = b.minimumNumberOfCalls;
        permittedCallsInHalfOpenState = b.permittedCallsInHalfOpenState;
        waitDuration = b.waitDuration;
        maxWaitDuration = b.maxWaitDuration;
        backoffMultiplier = b.backoffMultiplier;
        gracePeriod = b.gracePeriod;
        killTimeout = b.killTimeout;
        jsonMapper = b.jsonMapper;
        circuitBreakerRegistry = b.circuitBreakerRegistry;
        circuitBreakerConfigName = b.circuitBreakerConfigName;
        metricsTrackerFactory = b.metricsTrackerFactory;
        shutdownHook = b.shutdownHook;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to derive changed copies. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Pool name: used in thread names, log lines, messages, breaker names and metric tags. */
    public String name() {
        return name;
    }

    /** The worker command and its arguments, or {@code null} when the bundled Node runtime runs {@link #module()}. */
    public List<String> command() {
        return command;
    }

    public String nodeExecutable() {
        return nodeExecutable;
    }

    public List<String> nodeOptions() {
        return nodeOptions;
    }

    /** The user's Node module served by the bundled runtime, or {@code null} when {@link #command()} is set. */
    public Path module() {
        return module;
    }

    public Path workingDirectory() {
        return workingDirectory;
    }

    public boolean inheritEnvironment() {
        return inheritEnvironment;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public Duration startupTimeout() {
        return startupTimeout;
    }

    public int minWorkers() {
        return minWorkers;
    }

    public int maxWorkers() {
        return maxWorkers;
    }

    public int maxInFlightPerWorker() {
        return maxInFlightPerWorker;
    }

    public int maxPending() {
        return maxPending;
    }

    public Duration acquireTimeout() {
        return acquireTimeout;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    public Duration callTimeout() {
        return callTimeout;
    }

    public int writeQueueFrames() {
        return writeQueueFrames;
    }

    public long writeQueueBytes() {
        return writeQueueBytes;
    }

    public Backpressure backpressure() {
        return backpressure;
    }

    public Duration enqueueTimeout() {
        return enqueueTimeout;
    }

    public Duration writeTimeout() {
        return writeTimeout;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    public Duration healthCheckInterval() {
        return healthCheckInterval;
    }

    public Duration healthCheckTimeout() {
        return healthCheckTimeout;
    }

    public long recycleMaxRequests() {
        return recycleMaxRequests;
    }

    public long recycleMaxRequestsJitter() {
        return recycleMaxRequestsJitter;
    }

    public Duration recycleMaxAge() {
        return recycleMaxAge;
    }

    public long recycleMaxMemory() {
        return recycleMaxMemory;
    }

    public float failureRateThreshold() {
        return failureRateThreshold;
    }

    public int slidingWindowSize() {
        return slidingWindowSize;
    }

    public int minimumNumberOfCalls() {
        return minimumNumberOfCalls;
    }

    public int permittedCallsInHalfOpenState() {
        return permittedCallsInHalfOpenState;
    }

    public Duration waitDuration() {
        return waitDuration;
    }

    public Duration maxWaitDuration() {
        return maxWaitDuration;
    }

    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    public Duration gracePeriod() {
        return gracePeriod;
    }

    public Duration killTimeout() {
        return killTimeout;
    }

    /** The mapper for params and results, or {@code null} for a default {@code JsonMapper}. */
    public ObjectMapper jsonMapper() {
        return jsonMapper;
    }

    /** Where slot breakers come from, or {@code null} for a registry of the pool's own. */
    public CircuitBreakerRegistry circuitBreakerRegistry() {
        return circuitBreakerRegistry;
    }

    /**
     * Name of a configuration in {@link #circuitBreakerRegistry()} to use for slot breakers, or
     * {@code null}. When that registry has no configuration of this name, the quarantine options apply.
     */
    public String circuitBreakerConfigName() {
        return circuitBreakerConfigName;
    }

    public MetricsTracker.Factory metricsTrackerFactory() {
        return metricsTrackerFactory;
    }

    /** Whether a JVM shutdown hook closes the bridge if {@code close()} was not called before the JVM exits. */
    public boolean shutdownHook() {
        return shutdownHook;
    }

    /** Builds {@link NodeBridgeOptions}. Not thread-safe. Every setter names its Spring property. */
    public static final class Builder {

        private String name = "default";
        private List<String> command;
        private String nodeExecutable = "node";
        private List<String> nodeOptions = List.of();
        private Path module;
        private Path workingDirectory;
        private boolean inheritEnvironment = true;
        private Map<String, String> environment = new LinkedHashMap<>();
        private Duration startupTimeout = Duration.ofSeconds(30);
        private int minWorkers = 1;
        private int maxWorkers = 4;
        private int maxInFlightPerWorker = 16;
        private int maxPending = 1000;
        private Duration acquireTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofMinutes(10);
        private Duration callTimeout = Duration.ofSeconds(30);
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
        private boolean shutdownHook = true;

        private Builder() {
        }

        private Builder(NodeBridgeOptions o) {
            name = o.name;
            command = o.command == null ? null : new ArrayList<>(o.command);
            nodeExecutable = o.nodeExecutable;
            nodeOptions = o.nodeOptions;
            module = o.module;
            workingDirectory = o.workingDirectory;
            inheritEnvironment = o.inheritEnvironment;
            environment = new LinkedHashMap<>(o.environment);
            startupTimeout = o.startupTimeout;
            minWorkers = o.minWorkers;
            maxWorkers = o.maxWorkers;
            maxInFlightPerWorker = o.maxInFlightPerWorker;
            maxPending = o.maxPending;
            acquireTimeout = o.acquireTimeout;
            idleTimeout = o.idleTimeout;
            callTimeout = o.callTimeout;
            writeQueueFrames = o.writeQueueFrames;
            writeQueueBytes = o.writeQueueBytes;
            backpressure = o.backpressure;
            enqueueTimeout = o.enqueueTimeout;
            writeTimeout = o.writeTimeout;
            maxFrameSize = o.maxFrameSize;
            healthCheckInterval = o.healthCheckInterval;
            healthCheckTimeout = o.healthCheckTimeout;
            recycleMaxRequests = o.recycleMaxRequests;
            recycleMaxRequestsJitter = o.recycleMaxRequestsJitter;
            recycleMaxAge = o.recycleMaxAge;
            recycleMaxMemory = o.recycleMaxMemory;
            failureRateThreshold = o.failureRateThreshold;
            slidingWindowSize = o.slidingWindowSize;
            minimumNumberOfCalls = o.minimumNumberOfCalls;
            permittedCallsInHalfOpenState = o.permittedCallsInHalfOpenState;
            waitDuration = o.waitDuration;
            maxWaitDuration = o.maxWaitDuration;
            backoffMultiplier = o.backoffMultiplier;
            gracePeriod = o.gracePeriod;
            killTimeout = o.killTimeout;
            jsonMapper = o.jsonMapper;
            circuitBreakerRegistry = o.circuitBreakerRegistry;
            circuitBreakerConfigName = o.circuitBreakerConfigName;
            metricsTrackerFactory = o.metricsTrackerFactory;
            shutdownHook = o.shutdownHook;
        }

        /** Pool name (default {@code default}): letters, digits, {@code _ . -}. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** {@code processio.worker.command}: a program and its arguments, run without a shell. Replaces the Node runtime. */
        public Builder command(List<String> command) {
            this.command = command == null ? null : new ArrayList<>(command);
            return this;
        }

        /** {@code processio.worker.command}. */
        public Builder command(String... command) {
            return command(List.of(command));
        }

        /** {@code processio.node.executable} (default {@code node}, looked up on the PATH). */
        public Builder nodeExecutable(String nodeExecutable) {
            this.nodeExecutable = nodeExecutable;
            return this;
        }

        /** {@code processio.node.options}: options for {@code node} itself, such as {@code --max-old-space-size=512}. */
        public Builder nodeOptions(List<String> nodeOptions) {
            this.nodeOptions = nodeOptions == null ? List.of() : List.copyOf(nodeOptions);
            return this;
        }

        /** {@code processio.node.module}: the module whose exported functions the workers serve. */
        public Builder module(Path module) {
            this.module = module;
            return this;
        }

        /** {@code processio.worker.working-directory} (default: the JVM's). */
        public Builder workingDirectory(Path workingDirectory) {
            this.workingDirectory = workingDirectory;
            return this;
        }

        /** {@code processio.worker.inherit-environment} (default true). */
        public Builder inheritEnvironment(boolean inheritEnvironment) {
            this.inheritEnvironment = inheritEnvironment;
            return this;
        }

        /** {@code processio.worker.environment}: extra variables, on top of the inherited ones. */
        public Builder environment(Map<String, String> environment) {
            this.environment = new LinkedHashMap<>(environment);
            return this;
        }

        /** One extra environment variable. */
        public Builder environment(String name, String value) {
            this.environment.put(name, value);
            return this;
        }

        /** {@code processio.worker.startup-timeout} (default 30 s): how long a worker may take to become ready. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = startupTimeout;
            return this;
        }

        /** {@code processio.pool.min-workers} (default 1): started with the bridge and kept alive. */
        public Builder minWorkers(int minWorkers) {
            this.minWorkers = minWorkers;
            return this;
        }

        /** {@code processio.pool.max-workers} (default 4). */
        public Builder maxWorkers(int maxWorkers) {
            this.maxWorkers = maxWorkers;
            return this;
        }

        /** {@code processio.pool.max-in-flight-per-worker} (default 16): calls one worker holds at once. */
        public Builder maxInFlightPerWorker(int maxInFlightPerWorker) {
            this.maxInFlightPerWorker = maxInFlightPerWorker;
            return this;
        }

        /** {@code processio.pool.max-pending} (default 1000): calls waiting for a worker, at most. */
        public Builder maxPending(int maxPending) {
            this.maxPending = maxPending;
            return this;
        }

        /** {@code processio.pool.acquire-timeout} (default 10 s): how long a call waits for a worker. */
        public Builder acquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
            return this;
        }

        /** {@code processio.pool.idle-timeout} (default 10 min): idle workers above the minimum stop after it. */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** {@code processio.call.timeout} (default 30 s): a call's time limit unless the call sets its own. */
        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = callTimeout;
            return this;
        }

        /** {@code processio.io.write-queue-frames} (default 1024). */
        public Builder writeQueueFrames(int writeQueueFrames) {
            this.writeQueueFrames = writeQueueFrames;
            return this;
        }

        /** {@code processio.io.write-queue-bytes} (default 64 MiB). */
        public Builder writeQueueBytes(long writeQueueBytes) {
            this.writeQueueBytes = writeQueueBytes;
            return this;
        }

        /** {@code processio.io.backpressure} (default {@code block}). */
        public Builder backpressure(Backpressure backpressure) {
            this.backpressure = backpressure;
            return this;
        }

        /** {@code processio.io.enqueue-timeout} (default 5 s). */
        public Builder enqueueTimeout(Duration enqueueTimeout) {
            this.enqueueTimeout = enqueueTimeout;
            return this;
        }

        /** {@code processio.io.write-timeout} (default 10 s). */
        public Builder writeTimeout(Duration writeTimeout) {
            this.writeTimeout = writeTimeout;
            return this;
        }

        /** {@code processio.io.max-frame-size} in bytes (default 16 MiB). */
        public Builder maxFrameSize(int maxFrameSize) {
            this.maxFrameSize = maxFrameSize;
            return this;
        }

        /** {@code processio.health-check.interval} (default 10 s; zero turns heartbeats off). */
        public Builder healthCheckInterval(Duration healthCheckInterval) {
            this.healthCheckInterval = healthCheckInterval;
            return this;
        }

        /** {@code processio.health-check.timeout} (default 5 s). */
        public Builder healthCheckTimeout(Duration healthCheckTimeout) {
            this.healthCheckTimeout = healthCheckTimeout;
            return this;
        }

        /** {@code processio.recycle.max-requests} (default 0: never). */
        public Builder recycleMaxRequests(long recycleMaxRequests) {
            this.recycleMaxRequests = recycleMaxRequests;
            return this;
        }

        /** {@code processio.recycle.max-requests-jitter} (default 0). */
        public Builder recycleMaxRequestsJitter(long recycleMaxRequestsJitter) {
            this.recycleMaxRequestsJitter = recycleMaxRequestsJitter;
            return this;
        }

        /** {@code processio.recycle.max-age} (default 0: never). */
        public Builder recycleMaxAge(Duration recycleMaxAge) {
            this.recycleMaxAge = recycleMaxAge;
            return this;
        }

        /** {@code processio.recycle.max-memory} in bytes of resident memory (default 0: never). */
        public Builder recycleMaxMemory(long recycleMaxMemory) {
            this.recycleMaxMemory = recycleMaxMemory;
            return this;
        }

        /** {@code processio.quarantine.failure-rate-threshold} in percent (default 50). */
        public Builder failureRateThreshold(float failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
            return this;
        }

        /** {@code processio.quarantine.sliding-window-size} in calls (default 10). */
        public Builder slidingWindowSize(int slidingWindowSize) {
            this.slidingWindowSize = slidingWindowSize;
            return this;
        }

        /** {@code processio.quarantine.minimum-number-of-calls} (default 5). */
        public Builder minimumNumberOfCalls(int minimumNumberOfCalls) {
            this.minimumNumberOfCalls = minimumNumberOfCalls;
            return this;
        }

        /** {@code processio.quarantine.permitted-calls-in-half-open-state} (default 2): probe calls of a new worker. */
        public Builder permittedCallsInHalfOpenState(int permittedCallsInHalfOpenState) {
            this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
            return this;
        }

        /** {@code processio.quarantine.wait-duration} (default 1 s): first wait before a replacement. */
        public Builder waitDuration(Duration waitDuration) {
            this.waitDuration = waitDuration;
            return this;
        }

        /** {@code processio.quarantine.max-wait-duration} (default 60 s): the cap of the doubling wait. */
        public Builder maxWaitDuration(Duration maxWaitDuration) {
            this.maxWaitDuration = maxWaitDuration;
            return this;
        }

        /** {@code processio.quarantine.backoff-multiplier} (default 2). */
        public Builder backoffMultiplier(double backoffMultiplier) {
            this.backoffMultiplier = backoffMultiplier;
            return this;
        }

        /** {@code processio.shutdown.grace-period} (default 30 s): time in-flight calls get at close. */
        public Builder gracePeriod(Duration gracePeriod) {
            this.gracePeriod = gracePeriod;
            return this;
        }

        /** {@code processio.shutdown.kill-timeout} (default 5 s): wait after end of input, and after SIGTERM. */
        public Builder killTimeout(Duration killTimeout) {
            this.killTimeout = killTimeout;
            return this;
        }

        /** The mapper for params and results (default: a plain {@code JsonMapper}). */
        public Builder jsonMapper(ObjectMapper jsonMapper) {
            this.jsonMapper = jsonMapper;
            return this;
        }

        /** Where slot breakers come from (default: a registry of the pool's own). */
        public Builder circuitBreakerRegistry(CircuitBreakerRegistry circuitBreakerRegistry) {
            this.circuitBreakerRegistry = circuitBreakerRegistry;
            return this;
        }

        /** A configuration of the registry to use for slot breakers, when it has one of that name. */
        public Builder circuitBreakerConfigName(String circuitBreakerConfigName) {
            this.circuitBreakerConfigName = circuitBreakerConfigName;
            return this;
        }

        /** Creates the pool's metrics tracker (default: none). */
        public Builder metricsTrackerFactory(MetricsTracker.Factory metricsTrackerFactory) {
            this.metricsTrackerFactory = metricsTrackerFactory;
            return this;
        }

        /**
         * Whether a JVM shutdown hook closes the bridge, as {@code close()} does, when the JVM exits
         * without it having been closed (default true). Containers that close the bridge themselves,
         * such as the Spring Boot starter, turn it off so that the close happens in their order.
         */
        public Builder shutdownHook(boolean shutdownHook) {
            this.shutdownHook = shutdownHook;
            return this;
        }

        /** Checks the values; contradictions and impossible values throw {@link IllegalArgumentException}. */
        public NodeBridgeOptions build() {
            List<String> problems = new ArrayList<>();
            if (name == null || !POOL_NAME.matcher(name).matches()) {
                problems.add("pool name '" + name + "' must be 1-63 letters, digits, '_', '.' or '-'");
            }
            boolean hasCommand = command != null && !command.isEmpty();
            if (hasCommand == (module != null)) {
                problems.add(hasCommand
                        ? "set either processio.worker.command or processio.node.module, not both"
                        : "set processio.node.module (a Node module to serve) or processio.worker.command");
            }
            if (hasCommand && command.stream().anyMatch(s -> s == null || s.isEmpty())) {
                problems.add("processio.worker.command must not contain empty arguments");
            }
            if (!hasCommand && (nodeExecutable == null || nodeExecutable.isBlank())) {
                problems.add("processio.node.executable must not be empty");
            }
            positive(problems, "processio.worker.startup-timeout", startupTimeout);
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
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid processio options for pool '" + name + "': "
                        + String.join("; ", problems));
            }
            return new NodeBridgeOptions(this);
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

    @Override
    public String toString() {
        return "NodeBridgeOptions[" + name + ", " + (command != null ? "command=" + command : "module=" + module)
                + ", workers=" + minWorkers + ".." + maxWorkers + "]";
    }
}
