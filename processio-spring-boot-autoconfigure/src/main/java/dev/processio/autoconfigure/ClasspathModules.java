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
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.util.StringUtils;

/**
 * Resolves a pool's {@code node.module} to a file that node can load. A {@code classpath:} module
 * inside a jar is copied out, with every file of its classpath directory so that it can import its
 * neighbours, into a private temporary directory {@code processio-module-...} made by
 * {@link PrivateTempDirectories}. {@link #close()} deletes the copies; those of a JVM that was killed
 * are deleted by the next JVM that makes such a directory.
 *
 * <p>Thread-safe: the list of copies is guarded by itself.
 */
final class ClasspathModules implements AutoCloseable {

    private final ResourcePatternResolver resources;

    /** Guarded by itself. */
    private final List<Path> extracted = new ArrayList<>();

    ClasspathModules(ResourcePatternResolver resources) {
        this.resources = resources;
    }

    /** A file path, or a classpath: location, as a file that node can load. */
    Path resolve(String pool, String prefix, String location) {
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

    /** Deletes the directories copied out of the classpath. Idempotent. */
    @Override
    public void close() {
        synchronized (extracted) {
            extracted.forEach(PrivateTempDirectories::delete);
            extracted.clear();
        }
    }
}
