package dev.processio.autoconfigure;

import dev.processio.Backpressure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.util.unit.DataSize;

/**
 * The settings of one pool of workers: the keys under {@code processio.*} for the default pool,
 * and under {@code processio.pools.<name>.*} for a named pool, where every key left unset is
 * taken from {@code processio.*}.
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
        return (node.module != null && !node.module.isBlank()) || !worker.command.isEmpty();
    }

    public static class Node {

        /** Node.js executable: a name looked up on the PATH, or a full path. */
        private String executable = "node";

        /**
         * Node module whose exported functions the workers serve: a file path, or a
         * "classpath:" location (its directory is copied out of the jar with all its files).
         */
        private String module;

        /** Options for the node executable itself, such as --max-old-space-size=512. */
        private List<String> options = new ArrayList<>();

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
        private List<String> command = new ArrayList<>();

        /** Working directory of the workers. Defaults to the application's. */
        private String workingDirectory;

        /** Whether workers inherit the application's environment variables. */
        private boolean inheritEnvironment = true;

        /** Extra environment variables for the workers. */
        private Map<String, String> environment = new LinkedHashMap<>();

        /** How long a worker may take to announce that it is ready. */
        private Duration startupTimeout = Duration.ofSeconds(30);

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

        public boolean isInheritEnvironment() {
            return inheritEnvironment;
        }

        public void setInheritEnvironment(boolean inheritEnvironment) {
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
        private int minWorkers = 1;

        /** Most workers the pool runs at once. */
        private int maxWorkers = 4;

        /** Most calls one worker holds at once. */
        private int maxInFlightPerWorker = 16;

        /** Most calls waiting for a worker; more are rejected. */
        private int maxPending = 1000;

        /** Longest time a call waits for a worker. */
        private Duration acquireTimeout = Duration.ofSeconds(10);

        /** Idle time after which a worker above the minimum stops. */
        private Duration idleTimeout = Duration.ofMinutes(10);

        public int getMinWorkers() {
            return minWorkers;
        }

        public void setMinWorkers(int minWorkers) {
            this.minWorkers = minWorkers;
        }

        public int getMaxWorkers() {
            return maxWorkers;
        }

        public void setMaxWorkers(int maxWorkers) {
            this.maxWorkers = maxWorkers;
        }

        public int getMaxInFlightPerWorker() {
            return maxInFlightPerWorker;
        }

        public void setMaxInFlightPerWorker(int maxInFlightPerWorker) {
            this.maxInFlightPerWorker = maxInFlightPerWorker;
        }

        public int getMaxPending() {
            return maxPending;
        }

        public void setMaxPending(int maxPending) {
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
        private Duration timeout = Duration.ofSeconds(30);

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    public static class Io {

        /** Most frames waiting to be written to one worker's stdin. */
        private int writeQueueFrames = 1024;

        /** Most bytes waiting to be written to one worker's stdin. */
        private DataSize writeQueueBytes = DataSize.ofMegabytes(64);

        /** What a call does when a worker's stdin queue is full: block (wait up to the enqueue timeout) or fail. */
        private Backpressure backpressure = Backpressure.BLOCK;

        /** Longest wait for room in a full stdin queue, under backpressure block. */
        private Duration enqueueTimeout = Duration.ofSeconds(5);

        /** A write to a worker's stdin blocked longer than this means the worker stopped reading. */
        private Duration writeTimeout = Duration.ofSeconds(10);

        /** Largest message in either direction. */
        private DataSize maxFrameSize = DataSize.ofMegabytes(16);

        public int getWriteQueueFrames() {
            return writeQueueFrames;
        }

        public void setWriteQueueFrames(int writeQueueFrames) {
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
        private Duration interval = Duration.ofSeconds(10);

        /** How long a worker has to answer a heartbeat. */
        private Duration timeout = Duration.ofSeconds(5);

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
        private long maxRequests = 0;

        /** Random extra calls added to max-requests per worker, so workers do not recycle together. */
        private long maxRequestsJitter = 0;

        /** Uptime after which a worker is replaced; 0 for never. */
        private Duration maxAge = Duration.ZERO;

        /** Resident memory above which a worker is replaced (Linux); 0 for never. */
        private DataSize maxMemory = DataSize.ofBytes(0);

        public long getMaxRequests() {
            return maxRequests;
        }

        public void setMaxRequests(long maxRequests) {
            this.maxRequests = maxRequests;
        }

        public long getMaxRequestsJitter() {
            return maxRequestsJitter;
        }

        public void setMaxRequestsJitter(long maxRequestsJitter) {
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
        private float failureRateThreshold = 50;

        /** Calls the failure rate is computed over. */
        private int slidingWindowSize = 10;

        /** Calls needed before the failure rate counts. */
        private int minimumNumberOfCalls = 5;

        /** Probe calls a replacement takes before its slot counts as healthy again. */
        private int permittedCallsInHalfOpenState = 2;

        /** Wait before the first replacement of a quarantined worker. */
        private Duration waitDuration = Duration.ofSeconds(1);

        /** Longest wait before a replacement, however often replacements failed. */
        private Duration maxWaitDuration = Duration.ofSeconds(60);

        /** Factor by which the wait grows while replacements keep failing. */
        private double backoffMultiplier = 2.0;

        public float getFailureRateThreshold() {
            return failureRateThreshold;
        }

        public void setFailureRateThreshold(float failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
        }

        public int getSlidingWindowSize() {
            return slidingWindowSize;
        }

        public void setSlidingWindowSize(int slidingWindowSize) {
            this.slidingWindowSize = slidingWindowSize;
        }

        public int getMinimumNumberOfCalls() {
            return minimumNumberOfCalls;
        }

        public void setMinimumNumberOfCalls(int minimumNumberOfCalls) {
            this.minimumNumberOfCalls = minimumNumberOfCalls;
        }

        public int getPermittedCallsInHalfOpenState() {
            return permittedCallsInHalfOpenState;
        }

        public void setPermittedCallsInHalfOpenState(int permittedCallsInHalfOpenState) {
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

        public double getBackoffMultiplier() {
            return backoffMultiplier;
        }

        public void setBackoffMultiplier(double backoffMultiplier) {
            this.backoffMultiplier = backoffMultiplier;
        }
    }

    public static class Shutdown {

        /** Time calls in flight get to finish when the application stops. */
        private Duration gracePeriod = Duration.ofSeconds(30);

        /** Wait after closing a worker's stdin, and again after SIGTERM, before the next step. */
        private Duration killTimeout = Duration.ofSeconds(5);

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
