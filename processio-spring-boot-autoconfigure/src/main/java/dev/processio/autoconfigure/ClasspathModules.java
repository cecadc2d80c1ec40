package dev.processio.autoconfigure;

import dev.processio.BridgeStartupException;
import dev.processio.support.PrivateTempDirectories;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.util.StringUtils;

/**
 * Resolves a pool's {@code node.module} or {@code python.module} to a file that the runtime can
 * load. A {@code classpath:} module inside a jar is copied out, with every file of its classpath
 * directory so that it can import its neighbours (ES modules by relative path, Python modules from
 * the module's own directory), into a private temporary directory {@code processio-module-...} made by
 * {@link PrivateTempDirectories}. {@link #close()} deletes the copies; those of a JVM that was killed
 * are deleted by the next JVM that makes such a directory.
 *
 * <p>Thread-safe: the list of copies is guarded by itself.
 */
final class ClasspathModules implements AutoCloseable {

    private final ResourcePatternResolver resources;

    /** Guarded by itself. */
    private final List<Path> extracted = new ArrayList<>();

    /** The runtimes that serve a module, and the key that names it. */
    enum Language {

        NODE("Node", "node.module"),
        PYTHON("Python", "python.module");

        private final String label;
        private final String key;

        Language(String label, String key) {
            this.label = label;
            this.key = key;
        }

        /** The key of the module, under a pool's prefix. */
        String key() {
            return key;
        }
    }

    ClasspathModules(ResourcePatternResolver resources) {
        this.resources = resources;
    }

    /**
     * A file path, or a classpath: location, as a file that the runtime of {@code language} can load.
     *
     * @param prefix the prefix of the key that holds {@code location}, {@code processio.} or
     *        {@code processio.pools.<name>.}, for the message when it is not on the classpath
     */
    Path resolve(String pool, Language language, String prefix, String location) {
        if (!location.startsWith(ResourceLoader.CLASSPATH_URL_PREFIX)) {
            return Path.of(location);
        }
        Resource module = resources.getResource(location);
        if (!module.exists()) {
            throw new BridgeStartupException(pool, BridgeStartupException.Reason.MODULE_NOT_FOUND,
                    "the " + language.label + " module " + location + " is not on the classpath; set " + prefix
                            + language.key + " to an existing file or classpath: resource",
                    null, "", null);
        }
        try {
            if (module.isFile()) {
                return module.getFile().toPath();
            }
            return extract(location.substring(ResourceLoader.CLASSPATH_URL_PREFIX.length()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the " + language.label + " module " + location
                    + " out of the classpath", e);
        }
    }

    /**
     * The classpath resources that {@link #resolve} reads for a {@code classpath:} location, as a
     * resource hint pattern: the module's directory with everything under it, or the module alone
     * when it is at the classpath root. {@code null} for a file path.
     */
    static @Nullable String resourcePattern(String location) {
        if (!location.startsWith(ResourceLoader.CLASSPATH_URL_PREFIX)) {
            return null;
        }
        String clean = relative(location.substring(ResourceLoader.CLASSPATH_URL_PREFIX.length()));
        String directory = directory(clean);
        return directory.isEmpty() ? clean : directory + "**";
    }

    private static String relative(String path) {
        return path.startsWith("/") ? path.substring(1) : path;
    }

    /** The directory of a classpath path, with its trailing slash; empty at the root. */
    private static String directory(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }

    /**
     * Copies the module's classpath directory, with every file under it, into a new private
     * temporary directory, and returns the module's copy. A module at the classpath root is
     * copied alone.
     */
    private Path extract(String path) throws IOException {
        String clean = relative(path);
        String directory = directory(clean);
        Path target = PrivateTempDirectories.create("module");
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
        } catch (FileAlreadyExistsException duplicate) {
            // The same path in two jars: the first one wins, as on the classpath.
        }
    }

    /** Whether {@code module} is a copy this made of a module inside a jar. */
    boolean isCopy(Path module) {
        synchronized (extracted) {
            return extracted.stream().anyMatch(module::startsWith);
        }
    }

    /** Deletes the directories copied out of the classpath. Idempotent. */
    @Override
    public void close() {
        synchronized (extracted) {
            extracted.forEach(PrivateTempDirectories::delete);
            extracted.clear();
        }
    }
}
