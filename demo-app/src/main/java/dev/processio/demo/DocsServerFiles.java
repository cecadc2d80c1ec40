package dev.processio.demo;

import dev.processio.NodeBridgeOptions;
import dev.processio.autoconfigure.NodeBridgeOptionsCustomizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * The files of the {@code docs} pool outside the jar, and the pool's working directory there.
 *
 * <p>The pool runs {@code node filesystem-server.mjs docs} ({@code processio.pools.docs.worker.command}),
 * paths relative to its working directory. Node cannot run a file inside a jar, and the MCP server
 * serves real directories only, so this bean copies {@code classpath:mcp/} (the server bundle
 * built by {@code npm run build}, its licence texts and the sample documents under
 * {@code docs/}) into a new temporary directory, and sets it as the {@code docs} pool's working
 * directory. The starter copies {@code classpath:} modules for {@code node.module} and
 * {@code python.module} only, which a pool that runs a command does not have; a customizer is the
 * one hook that can give the pool a directory made at start-up, with no configuration key
 * naming a path that does not exist yet.
 *
 * <p>{@link Files#createTempDirectory} makes the directory readable by its owner only (on a POSIX
 * file system). It is deleted when the context closes: beans are destroyed after the lifecycle
 * has stopped, and the starter's lifecycle closes every pool, waiting for its workers to exit,
 * so no server still runs in it. A JVM killed with SIGKILL leaves it behind
 * ({@code processio-demo-docs-*}, about 1.5 MB).
 *
 * <p>In a native image {@code classpath:mcp/} is there only because {@link Hints} asks for it: the
 * starter registers the resources of {@code classpath:} modules, not those a command needs.
 *
 * <p>Thread-safe: the directory is fixed at construction; {@link #close()} may run once at the end.
 */
@Component
@ImportRuntimeHints(DocsServerFiles.Hints.class)
class DocsServerFiles implements NodeBridgeOptionsCustomizer, AutoCloseable {

    /** The pool's name under {@code processio.pools}, and its bean qualifier. */
    static final String POOL = "docs";

    private static final String LOCATION = "classpath:mcp/";

    private static final Logger log = LoggerFactory.getLogger(DocsServerFiles.class);

    private final Path directory;

    /** Keeps {@code classpath:mcp/} in a native image. */
    static final class Hints implements RuntimeHintsRegistrar {

        @Override
        public void registerHints(RuntimeHints hints, ClassLoader classLoader) {
            hints.resources().registerPattern("mcp/**");
        }
    }

    DocsServerFiles(ResourcePatternResolver resources) throws IOException {
        this.directory = Files.createTempDirectory("processio-demo-docs-");
        try {
            copy(resources, directory);
        } catch (IOException | RuntimeException e) {
            delete(directory);
            throw e;
        }
    }

    /** Copies every file under {@link #LOCATION} to the same relative path under {@code target}. */
    private static void copy(ResourcePatternResolver resources, Path target) throws IOException {
        Resource root = resources.getResource(LOCATION);
        if (!root.exists()) {
            throw new IllegalStateException(LOCATION + " is not on the classpath: `npm run build` makes the server"
                    + " bundle, and the sample documents are in src/main/resources/mcp/docs");
        }
        // The files' URLs start with their root's, in a directory and in a jar alike.
        String base = root.getURL().toString();
        int files = 0;
        for (Resource resource : resources.getResources(LOCATION + "**")) {
            String url = resource.getURL().toString();
            if (!url.startsWith(base) || url.endsWith("/") || !resource.isReadable()) {
                continue; // a directory
            }
            Path file = target.resolve(StringUtils.uriDecode(url.substring(base.length()), StandardCharsets.UTF_8))
                    .normalize();
            if (!file.startsWith(target)) {
                continue;
            }
            Files.createDirectories(file.getParent());
            try (InputStream in = resource.getInputStream()) {
                Files.copy(in, file);
            }
            files++;
        }
        log.info("[{}] copied {} files of {} to {}", POOL, files, LOCATION, target);
    }

    /** The working directory of the {@code docs} pool's servers. */
    Path directory() {
        return directory;
    }

    @Override
    public void customize(String pool, NodeBridgeOptions.Builder options) {
        if (POOL.equals(pool)) {
            options.workingDirectory(directory);
        }
    }

    @Override
    public void close() {
        delete(directory);
    }

    private static void delete(Path directory) {
        // Files.walk does not follow symbolic links, so nothing outside the directory is touched.
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(DocsServerFiles::deleteOne);
        } catch (IOException | UncheckedIOException e) {
            log.warn("[{}] cannot delete {}: {}", POOL, directory, e.getMessage());
        }
    }

    private static void deleteOne(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
