package dev.processio.pool;

import dev.processio.support.PrivateTempDirectories;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bundled Node.js worker runtime ({@code processio-worker.mjs}), copied out of the jar into a
 * private temporary directory ({@code processio-node-...}, made by {@link PrivateTempDirectories})
 * so that {@code node} can run it. {@link #close()} deletes the copy; the copy of a JVM that was
 * killed before it could close is deleted by the next JVM that extracts the runtime.
 *
 * <p>Thread-safe after construction.
 */
final class NodeRuntime implements AutoCloseable {

    /** Classpath location of the runtime script. */
    static final String RESOURCE = "/dev/processio/runtime/node/processio-worker.mjs";

    private final Path directory;
    private final Path script;

    private NodeRuntime(Path directory, Path script) {
        this.directory = directory;
        this.script = script;
    }

    /**
     * Copies the runtime into a new directory under the system temp directory, readable by this
     * user only. The first such directory a JVM makes also removes those that killed JVMs left
     * (see {@link PrivateTempDirectories}).
     */
    static NodeRuntime extract() {
        Path directory = null;
        try {
            directory = PrivateTempDirectories.create("node");
            Path script = directory.resolve("processio-worker.mjs");
            try (InputStream in = NodeRuntime.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("the Node worker runtime " + RESOURCE
                            + " is missing from the classpath; is processio-core packaged whole?");
                }
                Files.copy(in, script);
            }
            return new NodeRuntime(directory, script);
        } catch (IOException e) {
            PrivateTempDirectories.delete(directory);
            throw new UncheckedIOException("cannot copy the Node worker runtime to a temporary directory", e);
        } catch (RuntimeException e) {
            PrivateTempDirectories.delete(directory);
            throw e;
        }
    }

    /** The runtime script. */
    Path script() {
        return script;
    }

    /** {@code node [nodeOptions...] <runtime> <module>}, with the module as an absolute path. */
    List<String> command(String nodeExecutable, List<String> nodeOptions, Path module) {
        List<String> command = new ArrayList<>(nodeOptions.size() + 3);
        command.add(nodeExecutable);
        command.addAll(nodeOptions);
        command.add(script.toString());
        command.add(module.toAbsolutePath().toString());
        return command;
    }

    /** Deletes the copied runtime and its directory. Idempotent. */
    @Override
    public void close() {
        PrivateTempDirectories.delete(directory);
    }
}
