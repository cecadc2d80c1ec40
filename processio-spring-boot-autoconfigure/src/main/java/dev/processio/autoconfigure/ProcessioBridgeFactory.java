package dev.processio.autoconfigure;

import dev.processio.BridgeStartupException;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.util.StringUtils;
import tools.jackson.databind.ObjectMapper;

/**
 * Turns {@code processio.*} properties into started {@link NodeBridge}s. Resolves
 * {@code classpath:} modules, copying a module's directory out of a jar into a private temporary
 * directory that is deleted when the application context closes. Thread-safe.
 */
public class ProcessioBridgeFactory implements DisposableBean {

    /** The name of the pool configured directly under {@code processio.*}. */
    public static final String DEFAULT_POOL = "default";

    /** The configuration name looked up in an application's {@link CircuitBreakerRegistry}. */
    public static final String BREAKER_CONFIG = "processio";

    private final ProcessioProperties properties;
    private final Environment environment;
    private final ResourcePatternResolver resources;
    private final ObjectMapper jsonMapper;
    private final CircuitBreakerRegistry circuitBreakerRegistry;
    private final List<NodeBridgeOptionsCustomizer> customizers;
    private final List<Path> extracted = new ArrayList<>();

    public ProcessioBridgeFactory(ProcessioProperties properties, Environment environment,
            ResourceLoader resourceLoader, ObjectMapper jsonMapper, CircuitBreakerRegistry circuitBreakerRegistry,
            List<NodeBridgeOptionsCustomizer> customizers) {
        this.properties = properties;
        this.environment = environment;
        this.resources = new PathMatchingResourcePatternResolver(resourceLoader);
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
        if (!location.startsWith(ResourceLoader.CLASSPATH_URL_PREFIX)) {
            return Path.of(location);
        }
        Resource module = resources.getResource(location);
        if (!module.exists()) {
            throw new BridgeStartupException(pool, BridgeStartupException.Reason.MODULE_NOT_FOUND,
                    "the Node module " + location + " is not on the classpath; set " + prefix
                            + "node.module to an existing file or classpath: resource",
                    null, "", null);
        }
        try {
            if (module.isFile()) {
                return module.getFile().toPath();
            }
            return extract(location.substring(ResourceLoader.CLASSPATH_URL_PREFIX.length()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the Node module " + location + " out of the classpath", e);
        }
    }

    /**
     * Copies the module's classpath directory, with every file under it, into a new private
     * temporary directory, and returns the module's copy. A module at the classpath root is
     * copied alone.
     */
    private Path extract(String path) throws IOException {
        String clean = path.startsWith("/") ? path.substring(1) : path;
        int slash = clean.lastIndexOf('/');
        String directory = slash < 0 ? "" : clean.substring(0, slash + 1);
        Path target;
        try {
            target = Files.createTempDirectory("processio-module-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            target = Files.createTempDirectory("processio-module-");
        }
        synchronized (extracted) {
            extracted.add(target);
        }
        if (directory.isEmpty()) {
            copy(resources.getResource(ResourceLoader.CLASSPATH_URL_PREFIX + clean), target, clean);
        } else {
            // Each classpath root that has the directory, in classpath order; paths are relative to
            // that root, so a nested directory of the same name keeps its place.
            String roots = ResourcePatternResolver.CLASSPATH_ALL_URL_PREFIX + directory;
            for (Resource root : resources.getResources(roots)) {
                String base = root.getURL().toString();
                for (Resource resource : resources.getResources(base + "**")) {
                    String url = resource.getURL().toString();
                    if (url.startsWith(base)) {
                        String relative = StringUtils.uriDecode(url.substring(base.length()), StandardCharsets.UTF_8);
                        copy(resource, target, relative);
                    }
                }
            }
        }
        return target.resolve(clean.substring(directory.length()));
    }

    private static void copy(Resource resource, Path target, String relative) throws IOException {
        if (!resource.isReadable() || relative.isEmpty() || relative.endsWith("/")) {
            return;
        }
        Path file = target.resolve(relative).normalize();
        if (!file.startsWith(target)) {
            return;
        }
        Files.createDirectories(file.getParent());
        try (InputStream in = resource.getInputStream()) {
            Files.copy(in, file);
        } catch (java.nio.file.FileAlreadyExistsException duplicate) {
            // The same path in two jars: the first one wins, as on the classpath.
        }
    }

    /** Deletes the directories copied out of the classpath. */
    @Override
    public void destroy() {
        synchronized (extracted) {
            for (Path dir : extracted) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException | UncheckedIOException ignored) {
                    // Leftovers in the temp directory do no harm; there is nobody to tell at shutdown.
                }
            }
            extracted.clear();
        }
    }
}
