package dev.processio.autoconfigure;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.ServerRequestHandler;
import dev.processio.autoconfigure.ClasspathModules.Language;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;
import tools.jackson.databind.ObjectMapper;

/**
 * Turns {@code processio.*} properties into started {@link NodeBridge}s. Resolves
 * {@code classpath:} modules through {@link ClasspathModules}, whose copies out of a jar are
 * deleted when the application context closes. Thread-safe.
 *
 * <p>{@code dev.watch} left unset is on when Spring Boot DevTools is on the classpath and the
 * pool serves a module; a module copied out of a jar is never watched, whatever the key says.
 */
public class ProcessioBridgeFactory implements DisposableBean {

    private static final Log LOG = LogFactory.getLog(ProcessioBridgeFactory.class);

    /**
     * The class with which Spring Boot DevTools decides whether it is active in this run: not in a
     * test, for one. When it is present and says yes, {@code dev.watch} is on by default.
     */
    static final String DEVTOOLS_CLASS = "org.springframework.boot.devtools.system.DevToolsEnablementDeducer";

    /** The name of the pool configured directly under {@code processio.*}. */
    public static final String DEFAULT_POOL = "default";

    /** The configuration name looked up in an application's {@link CircuitBreakerRegistry}. */
    public static final String BREAKER_CONFIG = "processio";

    private final ProcessioProperties properties;
    private final Environment environment;
    private final ClasspathModules modules;
    private final ObjectMapper jsonMapper;
    private final CircuitBreakerRegistry circuitBreakerRegistry;
    private final ServerRequestHandler serverRequestHandler;
    private final List<NodeBridgeOptionsCustomizer> customizers;
    private final boolean devTools;

    /**
     * A factory without a {@link ServerRequestHandler}: the pools answer their workers' requests
     * with -32601, unless a customizer sets a handler.
     */
    public ProcessioBridgeFactory(ProcessioProperties properties, Environment environment,
            ResourceLoader resourceLoader, ObjectMapper jsonMapper, CircuitBreakerRegistry circuitBreakerRegistry,
            List<NodeBridgeOptionsCustomizer> customizers) {
        this(properties, environment, resourceLoader, jsonMapper, circuitBreakerRegistry, null, customizers);
    }

    /**
     * @param jsonMapper the mapper of every pool, or {@code null} for a plain one
     * @param circuitBreakerRegistry where slot breakers come from, or {@code null} for each pool's own
     * @param serverRequestHandler answers the requests of every pool's workers, or {@code null} for
     *        -32601 (method not found); a customizer may set another per pool
     * @param customizers applied to every pool, in this order, last
     */
    public ProcessioBridgeFactory(ProcessioProperties properties, Environment environment,
            ResourceLoader resourceLoader, ObjectMapper jsonMapper, CircuitBreakerRegistry circuitBreakerRegistry,
            ServerRequestHandler serverRequestHandler, List<NodeBridgeOptionsCustomizer> customizers) {
        this.properties = properties;
        this.environment = environment;
        this.modules = new ClasspathModules(new PathMatchingResourcePatternResolver(resourceLoader));
        this.jsonMapper = jsonMapper;
        this.circuitBreakerRegistry = circuitBreakerRegistry;
        this.serverRequestHandler = serverRequestHandler;
        this.customizers = List.copyOf(customizers);
        this.devTools = devToolsActive(resourceLoader.getClassLoader());
    }

    /**
     * Whether DevTools is on the class path and active for this thread, by its own rule
     * ({@code DevToolsEnablementDeducer.shouldEnable}), so that an application's tests, where
     * DevTools stays off, start no watch either.
     */
    static boolean devToolsActive(ClassLoader classLoader) {
        if (!ClassUtils.isPresent(DEVTOOLS_CLASS, classLoader)) {
            return false;
        }
        try {
            Class<?> deducer = ClassUtils.forName(DEVTOOLS_CLASS, classLoader);
            return Boolean.TRUE.equals(deducer.getMethod("shouldEnable", Thread.class).invoke(null,
                    Thread.currentThread()));
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.debug("Could not ask DevTools whether it is active; processio.dev.watch stays off by default", e);
            return false;
        }
    }

    /** Starts the default pool. */
    public NodeBridge createDefault() {
        return NodeBridge.start(options(DEFAULT_POOL));
    }

    /** Starts a named pool: {@code processio.pools.<name>.*} over {@code processio.*}. */
    public NodeBridge createNamed(String name) {
        return NodeBridge.start(options(name));
    }

    /**
     * The keys a named pool sets itself. They are bound here, where they are used, and only here:
     * {@link ProcessioProperties} holds the {@code processio.*} keys they override.
     */
    private PoolProperties namedPool(String name) {
        return Binder.get(environment)
                .bind("processio.pools." + name, Bindable.of(PoolProperties.class))
                .orElseGet(PoolProperties::new);
    }

    /**
     * The options pool {@code name} runs with: the defaults of {@link NodeBridgeOptions.Builder},
     * overridden by the keys set under {@code processio.*}, then, for a named pool, by those set
     * under {@code processio.pools.<name>.*}; then the customizers have their say. What the workers
     * run ({@code node.module}, {@code python.module}, {@code worker.command}) comes from one level
     * only: the named pool's when it sets any of them. Init messages' {@code params-json} is parsed
     * here, so that a mistake fails the start with the key that holds it.
     *
     * @throws InvalidProcessioPropertiesException for values that {@link NodeBridgeOptions.Builder#build()} rejects
     */
    public NodeBridgeOptions options(String name) {
        boolean named = !DEFAULT_POOL.equals(name);
        PoolProperties own = named ? namedPool(name) : null;
        String prefix = named ? "processio.pools." + name + "." : "processio.";
        NodeBridgeOptions.Builder b = NodeBridgeOptions.builder()
                .name(name)
                .jsonMapper(jsonMapper)
                // The context closes bridges in its lifecycle, after the web server; a hook of our
                // own would race it at JVM exit.
                .shutdownHook(false);
        try {
            properties.applyTo(b, "processio.");
            if (own != null) {
                own.applyTo(b, prefix);
            }
        } catch (IllegalArgumentException e) {
            // These messages name the full key already.
            throw new InvalidProcessioPropertiesException(name, e.getMessage(), e);
        }
        PoolProperties source = PoolProperties.workerSource(properties, own);
        String sourcePrefix = source == own ? prefix : "processio.";
        PropertyMapper map = PropertyMapper.get();
        map.from(source.getWorker().getCommand()).whenNot(List::isEmpty).to(b::command);
        Path module = null;
        if (StringUtils.hasText(source.getNode().getModule())) {
            module = modules.resolve(name, Language.NODE, sourcePrefix, source.getNode().getModule());
            b.module(module);
        }
        if (StringUtils.hasText(source.getPython().getModule())) {
            module = modules.resolve(name, Language.PYTHON, sourcePrefix, source.getPython().getModule());
            b.pythonModule(module);
        }
        if (module != null) {
            devWatch(b, name, prefix, own, module);
        } else if (own != null && own.getDev().getWatch() == null) {
            // The top-level dev.watch is about modules: a named pool that runs a command inherits it as off,
            // without the warning it would get for asking itself.
            b.devWatch(false);
        }
        if (circuitBreakerRegistry != null) {
            b.circuitBreakerRegistry(circuitBreakerRegistry).circuitBreakerConfigName(BREAKER_CONFIG);
        }
        b.serverRequestHandler(serverRequestHandler);
        for (NodeBridgeOptionsCustomizer customizer : customizers) {
            customizer.customize(name, b);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            if (named) {
                message = message + " (pool '" + name + "' reads processio.pools." + name
                        + ".<key> first, then processio.<key>)";
            }
            throw new InvalidProcessioPropertiesException(name, message, e);
        }
    }

    /**
     * {@code dev.watch} for a pool that serves {@code module}: the key when set, else whether
     * DevTools is present; never for a copy out of a jar, whose source cannot change.
     */
    private void devWatch(NodeBridgeOptions.Builder b, String name, String prefix, PoolProperties own, Path module) {
        Boolean watch = own != null && own.getDev().getWatch() != null ? own.getDev().getWatch()
                : properties.getDev().getWatch();
        if (modules.isCopy(module)) {
            if (Boolean.TRUE.equals(watch)) {
                LOG.warn("[" + name + "] " + prefix + "dev.watch is on, but the module is inside a jar and runs"
                        + " from a copy; it is not watched");
            }
            b.devWatch(false);
        } else if (watch == null) {
            b.devWatch(devTools);
        }
    }

    /** Deletes the directories copied out of the classpath. */
    @Override
    public void destroy() {
        modules.close();
    }
}
