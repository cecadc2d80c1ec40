package dev.processio.autoconfigure;

import dev.processio.Backpressure;
import dev.processio.Dialect;
import dev.processio.InitMessage;
import dev.processio.NodeBridgeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.util.StringUtils;
import org.springframework.util.unit.DataSize;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The settings of one pool of workers: the keys under {@code processio.*} for the default pool,
 * and under {@code processio.pools.<name>.*} for a named pool, where every key left unset is
 * taken from {@code processio.*}.
 *
 * <p>A value is {@code null} until a property sets it; {@code null} stands for the default of
 * {@link NodeBridgeOptions.Builder}, the one place the defaults are written. The IDE metadata
 * shows them from {@code META-INF/additional-spring-configuration-metadata.json}, which a test
 * compares with the builder.
 *
 * <p>A named pool inherits each key on its own, with two rules for values that only make sense
 * whole. A list (such as {@code node.options}, {@code worker.command} or {@code worker.init-calls})
 * that a named pool sets replaces the inherited list; its entries are not merged. And what the
 * workers run is one choice: a named pool that sets any of {@code node.module},
 * {@code python.module} and {@code worker.command} inherits none of them, so that a Python pool can
 * sit next to a default Node pool.
 */
public class PoolProperties {

    /** Reads {@code params-json}: strict JSON, with numbers kept as written. */
    private static final JsonMapper PARAMS_JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Node node = new Node();

    private final Python python = new Python();

    private final Worker worker = new Worker();

    private final Pool pool = new Pool();

    private final Call call = new Call();

    private final Io io = new Io();

    private final HealthCheck healthCheck = new HealthCheck();

    private final Recycle recycle = new Recycle();

    private final Quarantine quarantine = new Quarantine();

    private final Shutdown shutdown = new Shutdown();

    private final Dev dev = new Dev();

    public Node getNode() {
        return node;
    }

    public Python getPython() {
        return python;
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

    public Dev getDev() {
        return dev;
    }

    /**
     * Whether a Node module, a Python module or a command is set: what the workers run, so that
     * this pool can run.
     */
    boolean isRunnable() {
        return StringUtils.hasText(node.module) || StringUtils.hasText(python.module)
                || (worker.command != null && !worker.command.isEmpty());
    }

    /**
     * The level whose {@code node.module}, {@code python.module} and {@code worker.command} a pool
     * runs: its own when it sets any of them, else that of {@code processio.*}.
     *
     * @param own the keys a named pool sets itself, or {@code null} for the default pool
     */
    static PoolProperties workerSource(PoolProperties top, @Nullable PoolProperties own) {
        return own != null && own.isRunnable() ? own : top;
    }

    /**
     * Sets on {@code options} every value set here, and nothing else, so that the values set
     * before (the builder's defaults, or those of {@code processio.*}) stay. Environment
     * variables are added to those already set; a list replaces the one set before. What the
     * workers run (the modules and the command) is left to the caller, which takes it from one
     * level only (see {@link #workerSource}) and resolves {@code classpath:} locations.
     *
     * @param prefix where these keys are, {@code processio.} or {@code processio.pools.<name>.},
     *        for the messages
     * @throws IllegalArgumentException naming the key, when an init message sets both
     *         {@code params} and {@code params-json}, or {@code params-json} is not JSON
     */
    void applyTo(NodeBridgeOptions.Builder options, String prefix) {
        PropertyMapper map = PropertyMapper.get();
        map.from(node.executable).to(options::nodeExecutable);
        map.from(node.options).to(options::nodeOptions);
        map.from(python.executable).to(options::pythonExecutable);

        map.from(worker.dialect).to(options::dialect);
        map.from(worker.initCalls).as(calls -> initMessages(prefix + "worker.init-calls", calls))
                .to(options::initCalls);
        map.from(worker.initNotifications)
                .as(notifications -> initMessages(prefix + "worker.init-notifications", notifications))
                .to(options::initNotifications);
        map.from(worker.cancelNotification.method).to(options::cancelNotificationMethod);
        map.from(worker.cancelNotification.idMember).to(options::cancelNotificationIdMember);
        map.from(worker.mcp.protocolVersion).to(options::mcpProtocolVersion);
        map.from(worker.workingDirectory).whenHasText().as(Path::of).to(options::workingDirectory);
        map.from(worker.inheritEnvironment).to(options::inheritEnvironment);
        map.from(worker.environmentAllowlist).to(options::environmentAllowlist);
        map.from(worker.environment).to(variables -> variables.forEach(options::environment));
        map.from(worker.logLinesPerSecond).to(options::logLinesPerSecond);
        map.from(worker.startupTimeout).to(options::startupTimeout);
        map.from(worker.limits.memory).as(DataSize::toBytes).to(options::limitsMemory);
        map.from(worker.limits.cpuTime).to(options::limitsCpuTime);
        map.from(worker.limits.openFiles).to(options::limitsOpenFiles);
        map.from(worker.limits.processes).to(options::limitsProcesses);

        map.from(pool.minWorkers).to(options::minWorkers);
        map.from(pool.maxWorkers).to(options::maxWorkers);
        map.from(pool.maxInFlightPerWorker).to(options::maxInFlightPerWorker);
        map.from(pool.maxPending).to(options::maxPending);
        map.from(pool.acquireTimeout).to(options::acquireTimeout);
        map.from(pool.idleTimeout).to(options::idleTimeout);

        map.from(call.timeout).to(options::callTimeout);
        map.from(call.cancelGrace).to(options::callCancelGrace);
        map.from(call.maxProgressBuffer).to(options::maxProgressBuffer);

        map.from(io.writeQueueFrames).to(options::writeQueueFrames);
        map.from(io.writeQueueBytes).as(DataSize::toBytes).to(options::writeQueueBytes);
        map.from(io.backpressure).to(options::backpressure);
        map.from(io.enqueueTimeout).to(options::enqueueTimeout);
        map.from(io.writeTimeout).to(options::writeTimeout);
        // Saturated, not wrapped, so that the builder's own check or clamp sees how large it was.
        map.from(io.maxFrameSize).as(DataSize::toBytes).as(PoolProperties::saturatedInt).to(options::maxFrameSize);

        map.from(healthCheck.method).to(options::healthCheckMethod);
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

        map.from(dev.watch).to(options::devWatch);
    }

    private static int saturatedInt(long value) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
    }

    /** The messages of one list, or every problem of its entries, each naming its key. */
    private static List<InitMessage> initMessages(String key, List<InitMessageProperties> entries) {
        List<InitMessage> messages = new ArrayList<>(entries.size());
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String entryKey = key + "[" + i + "]";
            InitMessageProperties entry = entries.get(i);
            if (entry == null || !StringUtils.hasText(entry.method)) {
                problems.add(entryKey + ".method must be set");
                continue;
            }
            if (entry.params != null && entry.paramsJson != null) {
                problems.add(entryKey + " sets both params and params-json; set only one of them");
                continue;
            }
            try {
                messages.add(new InitMessage(entry.method, entry.paramsJson != null ? parseJson(entry.paramsJson)
                        : entry.params != null ? plainParams(entry.params) : null));
            } catch (JacksonException e) {
                problems.add(entryKey + ".params-json is not valid JSON: " + e.getOriginalMessage() + where(e));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return messages;
    }

    private static String where(JacksonException e) {
        TokenStreamLocation location = e.getLocation();
        return location == null || location.getColumnNr() < 1 ? ""
                : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static JsonNode parseJson(String json) {
        return PARAMS_JSON.readTree(json);
    }

    /**
     * A bound {@code params} map as plain JSON values: nested keys stay objects, indexed ones
     * ({@code roots[0]}, or a YAML list) become arrays, and every other value becomes its text, so
     * that a YAML file and a properties file send the same params.
     */
    private static Map<String, Object> plainParams(Map<?, ?> params) {
        Map<String, Object> plain = new LinkedHashMap<>();
        params.forEach((name, value) -> plain.put(String.valueOf(name), plainValue(value)));
        return plain;
    }

    private static Object plainValue(Object value) {
        if (value instanceof Map<?, ?> nested) {
            List<Object> array = asArray(nested);
            return array != null ? array : plainParams(nested);
        }
        return value == null ? null : value.toString();
    }

    /**
     * The binder gives {@code roots[0]=a, roots[1]=b} as the map {@code {0=a, 1=b}}; a map whose
     * keys are exactly the indexes 0 to n-1 was a list. {@code null} for any other map.
     */
    private static @Nullable List<Object> asArray(Map<?, ?> map) {
        Object[] items = new Object[map.size()];
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            if (!key.matches("0|[1-9][0-9]{0,8}") || Integer.parseInt(key) >= items.length) {
                return null;
            }
            items[Integer.parseInt(key)] = plainValue(entry.getValue());
        }
        return items.length == 0 ? null : Arrays.asList(items);
    }

    public static class Node {

        /** Node.js executable: a name looked up on the PATH, or a full path. */
        private String executable;

        /**
         * Node module whose exported functions the workers serve: a file path, or a
         * "classpath:" location (its directory is copied out of the jar with all its files). A
         * named pool that sets this, python.module or worker.command inherits none of the three.
         */
        private String module;

        /**
         * Options for the node executable itself, such as --max-old-space-size=512. A named pool
         * that sets them replaces the inherited list as a whole.
         */
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

    public static class Python {

        /**
         * Python module whose functions the workers serve: a file path, or a "classpath:"
         * location (its directory is copied out of the jar with all its files). A named pool that
         * sets this, node.module or worker.command inherits none of the three.
         */
        private String module;

        /** Python executable: a name looked up on the PATH, or a full path. */
        private String executable;

        public String getModule() {
            return module;
        }

        public void setModule(String module) {
            this.module = module;
        }

        public String getExecutable() {
            return executable;
        }

        public void setExecutable(String executable) {
            this.executable = executable;
        }
    }

    public static class Worker {

        /**
         * Program and arguments of a worker, run without a shell; when set, it replaces the bundled
         * runtimes. A named pool that sets it replaces the inherited list as a whole, and inherits
         * neither node.module nor python.module.
         */
        private List<String> command;

        /**
         * How the pool talks to its workers: "processio", the protocol of the bundled runtimes;
         * "json-rpc", any JSON-RPC 2.0 server over stdio; or "mcp", a Model Context Protocol
         * server over stdio. The last two need worker.command.
         */
        private Dialect dialect;

        /**
         * Calls sent to each new worker, in order, after its dialect's own start-up and before it
         * takes calls; each must answer with a result. Each has a method, and params or params-json.
         * A named pool that sets this list replaces the inherited one as a whole.
         */
        private List<InitMessageProperties> initCalls;

        /**
         * Notifications sent to each new worker, in order, after its init calls. Each has a method,
         * and params or params-json. A named pool that sets this list replaces the inherited one as
         * a whole.
         */
        private List<InitMessageProperties> initNotifications;

        private final CancelNotification cancelNotification = new CancelNotification();

        private final Mcp mcp = new Mcp();

        private final Limits limits = new Limits();

        /** Working directory of the workers. Defaults to the application's. */
        private String workingDirectory;

        /**
         * Whether workers inherit every environment variable of the application, secrets included.
         * When false they get only those that environment-allowlist names.
         */
        private Boolean inheritEnvironment;

        /**
         * Names of the application's environment variables that workers get when
         * inherit-environment is false; an entry that ends with '*' is a prefix, such as LC_*. A
         * named pool that sets this list replaces the inherited one as a whole.
         */
        private List<String> environmentAllowlist;

        /** Extra environment variables for the workers. */
        private Map<String, String> environment;

        /**
         * Lines of each worker's stderr, and stray lines of its stdout, logged per second at most, in
         * bursts of as many. Those beyond are counted, not logged.
         */
        private Integer logLinesPerSecond;

        /**
         * How long a worker may take to become ready: to announce it (processio dialect), or to
         * finish its dialect's start-up and init calls. A server launched through npx may first
         * download its package.
         */
        private Duration startupTimeout;

        public List<String> getCommand() {
            return command;
        }

        public void setCommand(List<String> command) {
            this.command = command;
        }

        public Dialect getDialect() {
            return dialect;
        }

        public void setDialect(Dialect dialect) {
            this.dialect = dialect;
        }

        public List<InitMessageProperties> getInitCalls() {
            return initCalls;
        }

        public void setInitCalls(List<InitMessageProperties> initCalls) {
            this.initCalls = initCalls;
        }

        public List<InitMessageProperties> getInitNotifications() {
            return initNotifications;
        }

        public void setInitNotifications(List<InitMessageProperties> initNotifications) {
            this.initNotifications = initNotifications;
        }

        public CancelNotification getCancelNotification() {
            return cancelNotification;
        }

        public Mcp getMcp() {
            return mcp;
        }

        public Limits getLimits() {
            return limits;
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

        public List<String> getEnvironmentAllowlist() {
            return environmentAllowlist;
        }

        public void setEnvironmentAllowlist(List<String> environmentAllowlist) {
            this.environmentAllowlist = environmentAllowlist;
        }

        public Integer getLogLinesPerSecond() {
            return logLinesPerSecond;
        }

        public void setLogLinesPerSecond(Integer logLinesPerSecond) {
            this.logLinesPerSecond = logLinesPerSecond;
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

    /** A message sent to each new worker before it takes calls: an init call or an init notification. */
    public static class InitMessageProperties {

        /** JSON-RPC method of the message. */
        private String method;

        /**
         * Params as an object whose values are strings: nested keys give nested objects, indexes
         * ([0], [1], or a YAML list) arrays. For numbers, booleans or null, use params-json.
         */
        private Map<String, Object> params;

        /** Params as JSON text, sent as written; for when types matter. Set this or params, not both. */
        private String paramsJson;

        public String getMethod() {
            return method;
        }

        public void setMethod(String method) {
            this.method = method;
        }

        public Map<String, Object> getParams() {
            return params;
        }

        public void setParams(Map<String, Object> params) {
            this.params = params;
        }

        public String getParamsJson() {
            return paramsJson;
        }

        public void setParamsJson(String paramsJson) {
            this.paramsJson = paramsJson;
        }
    }

    public static class CancelNotification {

        /**
         * Notification sent to a json-rpc worker when the host gives up on a request it holds
         * (timeout or cancel). None is sent when unset.
         */
        private String method;

        /** Member of the cancel notification's params that carries the id of the request given up. */
        private String idMember;

        public String getMethod() {
            return method;
        }

        public void setMethod(String method) {
            this.method = method;
        }

        public String getIdMember() {
            return idMember;
        }

        public void setIdMember(String idMember) {
            this.idMember = idMember;
        }
    }

    public static class Mcp {

        /**
         * MCP protocol version to speak, such as 2025-11-25. When unset, the newest version that
         * both processio and the server speak.
         */
        private String protocolVersion;

        public String getProtocolVersion() {
            return protocolVersion;
        }

        public void setProtocolVersion(String protocolVersion) {
            this.protocolVersion = protocolVersion;
        }
    }

    /**
     * OS limits of each worker, Linux only; none is set by default. A pool with one set fails to
     * start where it cannot be applied (not Linux, no prlimit on the PATH, no /proc).
     */
    public static class Limits {

        /**
         * Resident memory of a worker's whole process tree, read from /proc every 20 ms; above it
         * the tree is killed and replaced, and its calls fail. Node workers also get
         * --max-old-space-size of half of it, unless node.options sets one.
         */
        private DataSize memory;

        /**
         * CPU time of each worker process over its whole life, in whole seconds (RLIMIT_CPU, through
         * prlimit); the kernel ends a process that uses it up. A number without a unit is seconds.
         */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration cpuTime;

        /** Open file descriptors of each worker process (RLIMIT_NOFILE, through prlimit). */
        private Integer openFiles;

        /**
         * Processes in a worker's tree, the worker included; above it the tree is killed and
         * replaced.
         */
        private Integer processes;

        public DataSize getMemory() {
            return memory;
        }

        public void setMemory(DataSize memory) {
            this.memory = memory;
        }

        public Duration getCpuTime() {
            return cpuTime;
        }

        public void setCpuTime(Duration cpuTime) {
            this.cpuTime = cpuTime;
        }

        public Integer getOpenFiles() {
            return openFiles;
        }

        public void setOpenFiles(Integer openFiles) {
            this.openFiles = openFiles;
        }

        public Integer getProcesses() {
            return processes;
        }

        public void setProcesses(Integer processes) {
            this.processes = processes;
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

        /**
         * How long a cancelled call keeps its place on its worker while the worker has not
         * answered, so that a worker that ignores cancels is not given more calls than it holds.
         */
        private Duration cancelGrace;

        /** Most progress values of one call that wait for its listener; past it the oldest are dropped. */
        private Integer maxProgressBuffer;

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public Duration getCancelGrace() {
            return cancelGrace;
        }

        public void setCancelGrace(Duration cancelGrace) {
            this.cancelGrace = cancelGrace;
        }

        public Integer getMaxProgressBuffer() {
            return maxProgressBuffer;
        }

        public void setMaxProgressBuffer(Integer maxProgressBuffer) {
            this.maxProgressBuffer = maxProgressBuffer;
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

        /**
         * Request sent as a heartbeat, answered with any result. When unset, the dialect's own;
         * the json-rpc dialect has none, so its workers get heartbeats only when this is set.
         */
        private String method;

        /** How often idle workers get a heartbeat; 0 turns heartbeats off. */
        private Duration interval;

        /** How long a worker has to answer a heartbeat. */
        private Duration timeout;

        public String getMethod() {
            return method;
        }

        public void setMethod(String method) {
            this.method = method;
        }

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

    public static class Dev {

        /**
         * Whether the workers are restarted, one by one, when a file in the module's directory
         * changes. Spring Boot DevTools, when it is active (not in tests), turns it on; a module
         * inside a jar is never watched.
         */
        private Boolean watch;

        public Boolean getWatch() {
            return watch;
        }

        public void setWatch(Boolean watch) {
            this.watch = watch;
        }
    }
}
