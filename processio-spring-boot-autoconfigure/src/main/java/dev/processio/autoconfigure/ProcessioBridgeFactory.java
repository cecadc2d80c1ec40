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
     * under {@code processio.pools.<name>.*}; then the customizers have their say.
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
        properties.applyTo(b);
        String module = properties.getNode().getModule();
        if (own != null) {
            own.applyTo(b);
            if (StringUtils.hasText(own.getNode().getModule())) {
                module = own.getNode().getModule();
            }
        }
        if (StringUtils.hasText(module)) {
            b.module(resolveModule(name, prefix, module));
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
            if (named) {
                message = message + " (pool '" + name + "' reads processio.pools." + name
                        + ".<key> first, then processio.<key>)";
            }
            throw new InvalidProcessioPropertiesException(name, message, e);
        }
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
