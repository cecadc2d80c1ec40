package dev.processio.pool;

import dev.processio.NodeBridgeOptions;
import dev.processio.support.PrivateTempDirectories;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker runtime bundled in processio-core: {@code processio-worker.mjs} for Node.js,
 * {@code processio_worker.py} for Python. Each is copied out of the jar into a private temporary
 * directory ({@code processio-node-...}, {@code processio-python-...}, made by
 * {@link PrivateTempDirectories}) so that its interpreter can run it. {@link #close()} deletes the
 * copy; the copy of a JVM that was killed before it could close is deleted by the next JVM that
 * extracts a runtime.
 *
 * <p>Both runtimes speak protocol 1 and exit with code 3 when the user module fails to load.
 *
 * <p>Thread-safe after construction.
 */
final class BundledRuntime implements AutoCloseable {

    /** Exit code of a bundled runtime whose user module failed to load. */
    static final int EXIT_MODULE_LOAD_FAILED = 3;

    /** The bundled runtimes, and where each reads its settings. */
    enum Kind {
        NODE("Node", "node", "processio-worker.mjs", "processio.node.module", List.of()),
        /**
         * {@code -B}: Python writes no {@code __pycache__} next to the user's modules, which may
         * sit in a read-only or a copied directory; caches that exist are still read.
         * No {@code -u}: the runtime flushes each frame itself, and stderr is line-buffered.
         */
        PYTHON("Python", "python", "processio_worker.py", "processio.python.module", List.of("-B"));

        /** For messages: "the Python module ...". */
        final String language;
        /** The {@link PrivateTempDirectories} kind and the resource directory. */
        private final String directory;
        private final String fileName;
        /** The setting that names the user module. */
        final String moduleProperty;
        /** Options of the interpreter that the runtime itself needs, before the user's own. */
        private final List<String> interpreterOptions;

        Kind(String language, String directory, String fileName, String moduleProperty,
                List<String> interpreterOptions) {
            this.language = language;
            this.directory = directory;
            this.fileName = fileName;
            this.moduleProperty = moduleProperty;
            this.interpreterOptions = interpreterOptions;
        }

        /** Classpath location of the runtime script. */
        String resource() {
            return "/dev/processio/runtime/" + directory + "/" + fileName;
        }

        /** The runtime that the options ask for, or {@code null} when they name a worker command. */
        static Kind of(NodeBridgeOptions options) {
            if (options.module() != null) {
                return NODE;
            }
            return options.pythonModule() != null ? PYTHON : null;
        }

        /** The user module that the options give this runtime. */
        Path module(NodeBridgeOptions options) {
            return switch (this) {
                case NODE -> options.module();
                case PYTHON -> options.pythonModule();
            };
        }

        private String executable(NodeBridgeOptions options) {
            return switch (this) {
                case NODE -> options.nodeExecutable();
                case PYTHON -> options.pythonExecutable();
            };
        }

        private List<String> userOptions(NodeBridgeOptions options) {
            return switch (this) {
                case NODE -> options.nodeOptions();
                case PYTHON -> List.of();
            };
        }
    }

    private final Kind kind;
    private final Path directory;
    private final Path script;

    private BundledRuntime(Kind kind, Path directory, Path script) {
        this.kind = kind;
        this.directory = directory;
        this.script = script;
    }

    /**
     * Copies the runtime into a new directory under the system temp directory, readable by this
     * user only. The first such directory a JVM makes also removes those that killed JVMs left
     * (see {@link PrivateTempDirectories}).
     */
    static BundledRuntime extract(Kind kind) {
        Path directory = null;
        try {
            directory = PrivateTempDirectories.create(kind.directory);
            Path script = directory.resolve(kind.fileName);
            try (InputStream in = BundledRuntime.class.getResourceAsStream(kind.resource())) {
                if (in == null) {
                    throw new IllegalStateException("the " + kind.language + " worker runtime " + kind.resource()
                            + " is missing from the classpath; is processio-core packaged whole?");
                }
                Files.copy(in, script);
            }
            return new BundledRuntime(kind, directory, script);
        } catch (IOException e) {
            PrivateTempDirectories.delete(directory);
            throw new UncheckedIOException("cannot copy the " + kind.language
                    + " worker runtime to a temporary directory: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            PrivateTempDirectories.delete(directory);
            throw e;
        }
    }

    Kind kind() {
        return kind;
    }

    /** The runtime script. */
    Path script() {
        return script;
    }

    /** The command that the options ask for: their interpreter, options and module. */
    List<String> command(NodeBridgeOptions options) {
        return command(options, WorkerLimits.NONE);
    }

    /** As {@link #command(NodeBridgeOptions)}, with the interpreter options that the limits add (Node's heap). */
    List<String> command(NodeBridgeOptions options, WorkerLimits limits) {
        List<String> interpreter = kind == Kind.NODE ? limits.nodeOptions(kind.userOptions(options))
                : kind.userOptions(options);
        return command(kind.executable(options), interpreter, kind.module(options));
    }

    /**
     * {@code <executable> [runtime's options...] [options...] <runtime> <module>}, with the module as
     * an absolute path.
     */
    List<String> command(String executable, List<String> options, Path module) {
        List<String> command = new ArrayList<>(kind.interpreterOptions.size() + options.size() + 3);
        command.add(executable);
        command.addAll(kind.interpreterOptions);
        command.addAll(options);
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
