package dev.processio.autoconfigure;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.nio.file.Path;
import java.util.List;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import tools.jackson.databind.ObjectMapper;

/**
 * Turns {@code processio.*} properties into started {@link NodeBridge}s. Resolves
 * {@code classpath:} modules through {@link ClasspathModules}, whose copies out of a jar are
 * deleted when the application context closes. Thread-safe.
 */
public class ProcessioBridgeFactory implements DisposableBean {

    /** The name of the pool configured directly under {@code processio.*}. */
    public static final String DEFAULT_POOL = "default";

    /** The configuration name looked up in an application's {@link CircuitBreakerRegistry}. */
    public static final String BREAKER_CONFIG = "processio";

    private final ProcessioProperties properties;
    private final Environment environment;
    private final ClasspathModules modules;
    private final ObjectMapper jsonMapper;
    private final CircuitBreakerRegistry circuitBreakerRegistry;
    private final List<NodeBridgeOptionsCustomizer> customizers;

    public ProcessioBridgeFactory(ProcessioProperties properties, Environment environment,
            ResourceLoader resourceLoader, ObjectMapper jsonMapper, CircuitBreakerRegistry circuitBreakerRegistry,
            List<NodeBridgeOptionsCustomizer> customizers) {
        this.properties = properties;
        this.environment = environment;
        this.modules = new ClasspathModules(new PathMatchingResourcePatternResolver(resourceLoader));
        this.jsonMapper = jsonMapper;
        this.circuitBreakerRegistry = circuitBreakerRegistry;
        this.customizers = List.copyOf(customizers);
    }

    /** Starts the default pool. */
    public NodeBridge createDefault() {
        return create(DEFAULT_POOL, properties);
    }

    /** Starts a named pool: {@code processio.pools.<name>.*} over {@code processio.*}. */
    public NodeBridge createNamed(String name) {
        return create(name, namedPoolProperties(environment, name));
    }

    /** The properties of a named pool: the top-level keys, then the pool's own on top. */
    static PoolProperties namedPoolProperties(Environment environment, String name) {
        Binder binder = Binder.get(environment);
        PoolProperties merged = new PoolProperties();
        binder.bind("processio", Bindable.ofInstance(merged));
        binder.bind("processio.pools." + name, Bindable.ofInstance(merged));
        return merged;
    }

    /** Builds the options of one pool; throws {@link InvalidProcessioPropertiesException} for bad values. */
    public NodeBridgeOptions options(String name, PoolProperties p) {
        String prefix = DEFAULT_POOL.equals(name) ? "processio." : "processio.pools." + name + ".";
        NodeBridgeOptions.Builder b = NodeBridgeOptions.builder()
                .name(name)
                .nodeExecutable(p.getNode().getExecutable())
                .nodeOptions(p.getNode().getOptions())
                .inheritEnvironment(p.getWorker().isInheritEnvironment())
                .environment(p.getWorker().getEnvironment())
                .startupTimeout(p.getWorker().getStartupTimeout())
                .minWorkers(p.getPool().getMinWorkers())
                .maxWorkers(p.getPool().getMaxWorkers())
                .maxInFlightPerWorker(p.getPool().getMaxInFlightPerWorker())
                .maxPending(p.getPool().getMaxPending())
                .acquireTimeout(p.getPool().getAcquireTimeout())
                .idleTimeout(p.getPool().getIdleTimeout())
                .callTimeout(p.getCall().getTimeout())
                .writeQueueFrames(p.getIo().getWriteQueueFrames())
                .writeQueueBytes(bytes(p.getIo().getWriteQueueBytes()))
                .backpressure(p.getIo().getBackpressure())
                .enqueueTimeout(p.getIo().getEnqueueTimeout())
                .writeTimeout(p.getIo().getWriteTimeout())
                .maxFrameSize((int) Math.min(Integer.MAX_VALUE - 8, bytes(p.getIo().getMaxFrameSize())))
                .healthCheckInterval(p.getHealthCheck().getInterval())
                .healthCheckTimeout(p.getHealthCheck().getTimeout())
                .recycleMaxRequests(p.getRecycle().getMaxRequests())
                .recycleMaxRequestsJitter(p.getRecycle().getMaxRequestsJitter())
                .recycleMaxAge(p.getRecycle().getMaxAge())
                .recycleMaxMemory(bytes(p.getRecycle().getMaxMemory()))
                .failureRateThreshold(p.getQuarantine().getFailureRateThreshold())
                .slidingWindowSize(p.getQuarantine().getSlidingWindowSize())
                .minimumNumberOfCalls(p.getQuarantine().getMinimumNumberOfCalls())
                .permittedCallsInHalfOpenState(p.getQuarantine().getPermittedCallsInHalfOpenState())
                .waitDuration(p.getQuarantine().getWaitDuration())
                .maxWaitDuration(p.getQuarantine().getMaxWaitDuration())
                .backoffMultiplier(p.getQuarantine().getBackoffMultiplier())
                .gracePeriod(p.getShutdown().getGracePeriod())
                .killTimeout(p.getShutdown().getKillTimeout())
                .jsonMapper(jsonMapper)
                // The context closes bridges in its lifecycle, after the web server; a hook of our
                // own would race it at JVM exit.
                .shutdownHook(false);
        if (!p.getWorker().getCommand().isEmpty()) {
            b.command(p.getWorker().getCommand());
        }
        if (p.getWorker().getWorkingDirectory() != null && !p.getWorker().getWorkingDirectory().isBlank()) {
            b.workingDirectory(Path.of(p.getWorker().getWorkingDirectory()));
        }
        if (p.getNode().getModule() != null && !p.getNode().getModule().isBlank()) {
            b.module(resolveModule(name, prefix, p.getNode().getModule()));
        }
        if (circuitBreakerRegistry != null) {
            b.circuitBreakerRegistry(circuitBreakerRegistry).circuitBreakerConfigName(BREAKER_CONFIG);
        }
        for (NodeBridgeOptionsCustomizer customizer : customizers) {
            customizer.customize(name, b);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            if (!DEFAULT_POOL.equals(name)) {
                message = message + " (pool '" + name + "' reads processio.pools." + name
                        + ".<key> first, then processio.<key>)";
            }
            throw new InvalidProcessioPropertiesException(name, message, e);
        }
    }

    private NodeBridge create(String name, PoolProperties properties) {
        return NodeBridge.start(options(name, properties));
    }

    private static long bytes(org.springframework.util.unit.DataSize size) {
        return size == null ? -1 : size.toBytes();
    }

    /** A file path, or a classpath: location, as a file that node can load. */
    private Path resolveModule(String pool, String prefix, String location) {
        return modules.resolve(pool, prefix, location);
    }

    /** Deletes the directories copied out of the classpath. */
    @Override
    public void destroy() {
        modules.close();
    }
}
