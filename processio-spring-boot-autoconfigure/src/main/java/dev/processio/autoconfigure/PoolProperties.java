package dev.processio.autoconfigure;

import dev.processio.Backpressure;
import dev.processio.NodeBridgeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.util.unit.DataSize;

/**
 * The settings of one pool of workers: the keys under {@code processio.*} for the default pool,
 * and under {@code processio.pools.<name>.*} for a named pool, where every key left unset is
 * taken from {@code processio.*}.
 *
 * <p>A value is {@code null} until a property sets it; {@code null} stands for the default of
 * {@link NodeBridgeOptions.Builder}, the one place the defaults are written. The IDE metadata
 * shows them from {@code META-INF/additional-spring-configuration-metadata.json}, which a test
 * compares with the builder.
 */
public class PoolProperties {

    private final Node node = new Node();

    private final Worker worker = new Worker();

    private final Pool pool = new Pool();

    private final Call call = new Call();

    private final Io io = new Io();

    private final HealthCheck healthCheck = new HealthCheck();

    private final Recycle recycle = new Recycle();

    private final Quarantine quarantine = new Quarantine();

    private final Shutdown shutdown = new Shutdown();

    public Node getNode() {
        return node;
    }

    public Worker getWorker() {
        return worker;
    }

    public Pool getPool() {
        return pool;
    }

    public Call getCall() {
        return call;
    }

    public Io getIo() {
        return io;
    }

    public HealthCheck getHealthCheck() {
        return healthCheck;
    }

    public Recycle getRecycle() {
        return recycle;
    }

    public Quarantine getQuarantine() {
        return quarantine;
    }

    public Shutdown getShutdown() {
        return shutdown;
    }

    /** Whether a module or a command is set, so that this pool can run. */
    boolean isRunnable() {
        return (node.module != null && !node.module.isBlank())
                || (worker.command != null && !worker.command.isEmpty());
    }

    /**
     * Sets on {@code options} every value set here, and nothing else, so that the values set
     * before (the builder's defaults, or those of {@code processio.*}) stay. Environment
     * variables are added to those already set. The module is left to the caller, which
     * resolves {@code classpath:} locations.
     */
    void applyTo(NodeBridgeOptions.Builder options) {
        PropertyMapper map = PropertyMapper.get();
        map.from(node.executable).to(options::nodeExecutable);
        map.from(node.options).to(options::nodeOptions);

        map.from(worker.command).whenNot(List::isEmpty).to(options::command);
        map.from(worker.workingDirectory).whenHasText().as(Path::of).to(options::workingDirectory);
        map.from(worker.inheritEnvironment).to(options::inheritEnvironment);
        map.from(worker.environment).to(variables -> variables.forEach(options::environment));
        map.from(worker.startupTimeout).to(options::startupTimeout);

        map.from(pool.minWorkers).to(options::minWorkers);
        map.from(pool.maxWorkers).to(options::maxWorkers);
        map.from(pool.maxInFlightPerWorker).to(options::maxInFlightPerWorker);
        map.from(pool.maxPending).to(options::maxPending);
        map.from(pool.acquireTimeout).to(options::acquireTimeout);
        map.from(pool.idleTimeout).to(options::idleTimeout);

        map.from(call.timeout).to(options::callTimeout);

        map.from(io.writeQueueFrames).to(options::writeQueueFrames);
        map.from(io.writeQueueBytes).as(DataSize::toBytes).to(options::writeQueueBytes);
        map.from(io.backpressure).to(options::backpressure);
        map.from(io.enqueueTimeout).to(options::enqueueTimeout);
        map.from(io.writeTimeout).to(options::writeTimeout);
        // Saturated, not wrapped, so that the builder's own check or clamp sees how large it was.
        map.from(io.maxFrameSize).as(DataSize::toBytes).as(PoolProperties::saturatedInt).to(options::maxFrameSize);

        map.from(healthCheck.interval).to(options::healthCheckInterval);
        map.from(healthCheck.timeout).to(options::healthCheckTimeout);

        map.from(recycle.maxRequests).to(options::recycleMaxRequests);
        map.from(recycle.maxRequestsJitter).to(options::recycleMaxRequestsJitter);
        map.from(recycle.maxAge).to(options::recycleMaxAge);
        map.from(recycle.maxMemory).as(DataSize::toBytes).to(options::recycleMaxMemory);

        map.from(quarantine.failureRateThreshold).to(options::failureRateThreshold);
        map.from(quarantine.slidingWindowSize).to(options::slidingWindowSize);
        map.from(quarantine.minimumNumberOfCalls).to(options::minimumNumberOfCalls);
        map.from(quarantine.permittedCallsInHalfOpenState).to(options::permittedCallsInHalfOpenState);
        map.from(quarantine.waitDuration).to(options::waitDuration);
        map.from(quarantine.maxWaitDuration).to(options::maxWaitDuration);
        map.from(quarantine.backoffMultiplier).to(options::backoffMultiplier);

        map.from(shutdown.gracePeriod).to(options::gracePeriod);
        map.from(shutdown.killTimeout).to(options::killTimeout);
    }

    private static int saturatedInt(long value) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
    }

    public static class Node {

        /** Node.js executable: a name looked up on the PATH, or a full path. */
        private String executable;

        /**
         * Node module whose exported functions the workers serve: a file path, or a
         * "classpath:" location (its directory is copied out of the jar with all its files).
         */
        private String module;

        /** Options for the node executable itself, such as --max-old-space-size=512. */
        private List<String> options;

        public String getExecutable() {
            return executable;
        }

        public void setExecutable(String executable) {
            this.executable = executable;
        }

        public String getModule() {
            return module;
        }

        public void setModule(String module) {
            this.module = module;
        }

        public List<String> getOptions() {
            return options;
        }

        public void setOptions(List<String> options) {
            this.options = options;
        }
    }

    public static class Worker {

        /**
         * Program and arguments of a worker that speaks the processio protocol; when set, it
         * replaces the Node runtime. Never run through a shell.
         */
        private List<String> command;

        /** Working directory of the workers. Defaults to the application's. */
        private String workingDirectory;

        /** Whether workers inherit the application's environment variables. */
        private Boolean inheritEnvironment;

        /** Extra environment variables for the workers. */
        private Map<String, String> environment;

        /** How long a worker may take to announce that it is ready. */
        private Duration startupTimeout;

        public List<String> getCommand() {
            return command;
        }

        public void setCommand(List<String> command) {
            this.command = command;
        }

        public String getWorkingDirectory() {
            return workingDirectory;
        }

        public void setWorkingDirectory(String workingDirectory) {
            this.workingDirectory = workingDirectory;
        }

        public Boolean getInheritEnvironment() {
            return inheritEnvironment;
        }

        public void setInheritEnvironment(Boolean inheritEnvironment) {
            this.inheritEnvironment = inheritEnvironment;
        }

        public Map<String, String> getEnvironment() {
            return environment;
        }

        public void setEnvironment(Map<String, String> environment) {
            this.environment = environment;
        }

        public Duration getStartupTimeout() {
            return startupTimeout;
        }

        public void setStartupTimeout(Duration startupTimeout) {
            this.startupTimeout = startupTimeout;
        }
    }

    public static class Pool {

        /** Workers started with the application and always kept. */
        private Integer minWorkers;

        /** Most workers the pool runs at once. */
        private Integer maxWorkers;

        /** Most calls one worker holds at once. */
        private Integer maxInFlightPerWorker;

        /** Most calls waiting for a worker; more are rejected. */
        private Integer maxPending;

        /** Longest time a call waits for a worker. */
        private Duration acquireTimeout;

        /** Idle time after which a worker above the minimum stops. */
        private Duration idleTimeout;

        public Integer getMinWorkers() {
            return minWorkers;
        }

        public void setMinWorkers(Integer minWorkers) {
            this.minWorkers = minWorkers;
        }

        public Integer getMaxWorkers() {
            return maxWorkers;
        }

        public void setMaxWorkers(Integer maxWorkers) {
            this.maxWorkers = maxWorkers;
        }

        public Integer getMaxInFlightPerWorker() {
            return maxInFlightPerWorker;
        }

        public void setMaxInFlightPerWorker(Integer maxInFlightPerWorker) {
            this.maxInFlightPerWorker = maxInFlightPerWorker;
        }

        public Integer getMaxPending() {
            return maxPending;
        }

        public void setMaxPending(Integer maxPending) {
            this.maxPending = maxPending;
        }

        public Duration getAcquireTimeout() {
            return acquireTimeout;
        }

        public void setAcquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
        }

        public Duration getIdleTimeout() {
            return idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }
    }

    public static class Call {

        /** Time limit of a call that does not set its own. */
        private Duration timeout;

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    public static class Io {

        /** Most frames waiting to be written to one worker's stdin. */
        private Integer writeQueueFrames;

        /** Most bytes waiting to be written to one worker's stdin. */
        private DataSize writeQueueBytes;

        /** What a call does when a worker's stdin queue is full: block (wait up to the enqueue timeout) or fail. */
        private Backpressure backpressure;

        /** Longest wait for room in a full stdin queue, under backpressure block. */
        private Duration enqueueTimeout;

        /** A write to a worker's stdin blocked longer than this means the worker stopped reading. */
        private Duration writeTimeout;

        /** Largest message in either direction. */
        private DataSize maxFrameSize;

        public Integer getWriteQueueFrames() {
            return writeQueueFrames;
        }

        public void setWriteQueueFrames(Integer writeQueueFrames) {
            this.writeQueueFrames = writeQueueFrames;
        }

        public DataSize getWriteQueueBytes() {
            return writeQueueBytes;
        }

        public void setWriteQueueBytes(DataSize writeQueueBytes) {
            this.writeQueueBytes = writeQueueBytes;
        }

        public Backpressure getBackpressure() {
            return backpressure;
        }

        public void setBackpressure(Backpressure backpressure) {
            this.backpressure = backpressure;
        }

        public Duration getEnqueueTimeout() {
            return enqueueTimeout;
        }

        public void setEnqueueTimeout(Duration enqueueTimeout) {
            this.enqueueTimeout = enqueueTimeout;
        }

        public Duration getWriteTimeout() {
            return writeTimeout;
        }

        public void setWriteTimeout(Duration writeTimeout) {
            this.writeTimeout = writeTimeout;
        }

        public DataSize getMaxFrameSize() {
            return maxFrameSize;
        }

        public void setMaxFrameSize(DataSize maxFrameSize) {
            this.maxFrameSize = maxFrameSize;
        }
    }

    public static class HealthCheck {

        /** How often idle workers get a heartbeat; 0 turns heartbeats off. */
        private Duration interval;

        /** How long a worker has to answer a heartbeat. */
        private Duration timeout;

        public Duration getInterval() {
            return interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    public static class Recycle {

        /** Calls after which a worker is replaced; 0 for never. */
        private Long maxRequests;

        /** Random extra calls added to max-requests per worker, so workers do not recycle together. */
        private Long maxRequestsJitter;

        /** Uptime after which a worker is replaced; 0 for never. */
        private Duration maxAge;

        /** Resident memory above which a worker is replaced (Linux); 0 for never. */
        private DataSize maxMemory;

        public Long getMaxRequests() {
            return maxRequests;
        }

        public void setMaxRequests(Long maxRequests) {
            this.maxRequests = maxRequests;
        }

        public Long getMaxRequestsJitter() {
            return maxRequestsJitter;
        }

        public void setMaxRequestsJitter(Long maxRequestsJitter) {
            this.maxRequestsJitter = maxRequestsJitter;
        }

        public Duration getMaxAge() {
            return maxAge;
        }

        public void setMaxAge(Duration maxAge) {
            this.maxAge = maxAge;
        }

        public DataSize getMaxMemory() {
            return maxMemory;
        }

        public void setMaxMemory(DataSize maxMemory) {
            this.maxMemory = maxMemory;
        }
    }

    public static class Quarantine {

        /** Percentage of failed calls in the sliding window that quarantines a worker. */
        private Float failureRateThreshold;

        /** Calls the failure rate is computed over. */
        private Integer slidingWindowSize;

        /** Calls needed before the failure rate counts. */
        private Integer minimumNumberOfCalls;

        /** Probe calls a replacement takes before its slot counts as healthy again. */
        private Integer permittedCallsInHalfOpenState;

        /** Wait before the first replacement of a quarantined worker. */
        private Duration waitDuration;

        /** Longest wait before a replacement, however often replacements failed. */
        private Duration maxWaitDuration;

        /** Factor by which the wait grows while replacements keep failing. */
        private Double backoffMultiplier;

        public Float getFailureRateThreshold() {
            return failureRateThreshold;
        }

        public void setFailureRateThreshold(Float failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
        }

        public Integer getSlidingWindowSize() {
            return slidingWindowSize;
        }

        public void setSlidingWindowSize(Integer slidingWindowSize) {
            this.slidingWindowSize = slidingWindowSize;
        }

        public Integer getMinimumNumberOfCalls() {
            return minimumNumberOfCalls;
        }

        public void setMinimumNumberOfCalls(Integer minimumNumberOfCalls) {
            this.minimumNumberOfCalls = minimumNumberOfCalls;
        }

        public Integer getPermittedCallsInHalfOpenState() {
            return permittedCallsInHalfOpenState;
        }

        public void setPermittedCallsInHalfOpenState(Integer permittedCallsInHalfOpenState) {
            this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
        }

        public Duration getWaitDuration() {
            return waitDuration;
        }

        public void setWaitDuration(Duration waitDuration) {
            this.waitDuration = waitDuration;
        }

        public Duration getMaxWaitDuration() {
            return maxWaitDuration;
        }

        public void setMaxWaitDuration(Duration maxWaitDuration) {
            this.maxWaitDuration = maxWaitDuration;
        }

        public Double getBackoffMultiplier() {
            return backoffMultiplier;
        }

        public void setBackoffMultiplier(Double backoffMultiplier) {
            this.backoffMultiplier = backoffMultiplier;
        }
    }

    public static class Shutdown {

        /** Time calls in flight get to finish when the application stops. */
        private Duration gracePeriod;

        /** Wait after closing a worker's stdin, and again after SIGTERM, before the next step. */
        private Duration killTimeout;

        public Duration getGracePeriod() {
            return gracePeriod;
        }

        public void setGracePeriod(Duration gracePeriod) {
            this.gracePeriod = gracePeriod;
        }

        public Duration getKillTimeout() {
            return killTimeout;
        }

        public void setKillTimeout(Duration killTimeout) {
            this.killTimeout = killTimeout;
        }
    }
}
