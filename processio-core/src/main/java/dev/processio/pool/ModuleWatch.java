package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.DevWatchSnapshot;
import java.io.IOException;
import java.net.URI;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code processio.dev.watch}: watches the directory of the pool's module, and after a change,
 * once nothing has changed for {@value #QUIET_MILLIS} ms, has the workers replaced one by one
 * ({@link Recycler#reload()}). The first replacement is the probe: when the changed module does
 * not load, the old workers serve on, and the error, with the file and line the runtime names, is
 * logged and kept for {@link #snapshot()}. The next change tries again.
 *
 * <p>Only the module's own directory is watched, not the directories below it: a bundle, the
 * usual thing to watch, is one file, and a tree such as {@code node_modules} would cost a watch
 * per directory. Editors' temporary files (hidden ones, {@code ~}, {@code .swp}, {@code .tmp})
 * are not changes. A change after which the module is not there (a build that deletes before it
 * writes) restarts nothing. A directory that disappears (a clean build) is looked for every
 * {@value #RETRY_MILLIS} ms, and its return counts as a change.
 *
 * <p>One thread, {@code processio-<pool>-watch}, a daemon: it waits for events, debounces them
 * on the pool's clock and runs each reload to its end before it looks at the next change, so
 * reloads never overlap. {@link #close()} stops it and waits for it. The debounce and the watch
 * key are only used on that thread; the figures {@link #snapshot()} reads are guarded by
 * {@code this}.
 */
final class ModuleWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModuleWatch.class);

    /** How long the directory must be quiet after a change before the workers are replaced. */
    static final long QUIET_MILLIS = 300;
    /** How often a directory that has gone is looked for. */
    static final long RETRY_MILLIS = 500;

    /** Node: {@code file:///app/render.mjs:12}, or a stack frame {@code at f (/app/render.mjs:12:5)}. */
    private static final Pattern NODE_LOCATION = Pattern.compile("(?m)(?:^|[\\s(])(?:file://)?(/[^\\s:()]+):(\\d+)");
    /** Python: {@code File "/app/handlers.py", line 12}. */
    private static final Pattern PYTHON_LOCATION = Pattern.compile("File \"([^\"]+)\", line (\\d+)");
    /** {@code SyntaxError: Unexpected token ')'}, at the start of a line. */
    private static final Pattern ERROR_LINE = Pattern.compile("(?m)^(?:[A-Za-z_][\\w.]*)?(?:Error|Exception)\\b.*$");

    private final String name;
    private final Path directory;
    private final String moduleFile;
    private final LongSupplier clock;
    private final Supplier<CompletableFuture<Void>> reload;
    private final WatchService watcher;
    private final Thread thread;
    private final Debounce debounce = new Debounce(TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS));
    /** The directory's registration; {@code null} while it is gone. Only on the watch thread. */
    private WatchKey key;
    private volatile boolean closed;

    // Guarded by this.
    private long reloads;
    private long failedReloads;
    private List<String> lastChanged = List.of();
    private Instant lastChangedAt;
    private String lastError;

    private ModuleWatch(String name, Path module, LongSupplier clock, Supplier<CompletableFuture<Void>> reload,
            WatchService watcher, WatchKey key) {
        this.name = name;
        this.directory = module.getParent();
        this.moduleFile = module.getFileName().toString();
        this.clock = clock;
        this.reload = reload;
        this.watcher = watcher;
        this.key = key;
        this.thread = new Thread(this::run, "processio-" + name + "-watch");
        thread.setDaemon(true);
    }

    /**
     * Starts watching the directory of {@code module}; {@code null}, after one warning, when it
     * cannot be watched: the pool then runs as without the option.
     */
    static ModuleWatch start(String name, Path module, LongSupplier clock, Supplier<CompletableFuture<Void>> reload) {
        if (module.getFileSystem() != FileSystems.getDefault()) {
            LOG.warn("[{}] processio.dev.watch is on, but the module {} is inside an archive; it is not watched",
                    name, module.toUri());
            return null;
        }
        Path file = module.toAbsolutePath().normalize();
        WatchService watcher = null;
        try {
            watcher = file.getFileSystem().newWatchService();
            WatchKey key = register(file.getParent(), watcher);
            ModuleWatch watch = new ModuleWatch(name, file, clock, reload, watcher, key);
            watch.thread.start();
            LOG.info("[{}] watching {} for changes (processio.dev.watch); the workers restart {} ms after a change",
                    name, file.getParent(), QUIET_MILLIS);
            return watch;
        } catch (IOException | RuntimeException e) {
            LOG.warn("[{}] processio.dev.watch is on, but {} cannot be watched ({}); the workers do not follow"
                    + " changes of the module", name, file.getParent(), e.toString());
            if (watcher != null) {
                try {
                    watcher.close();
                } catch (IOException ignored) {
                    // Nothing was watched.
                }
            }
            return null;
        }
    }

    private static WatchKey register(Path directory, WatchService watcher) throws IOException {
        return directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
    }

    // ---- the watch thread ----------------------------------------------------------------------

    private void run() {
        try {
            while (!closed) {
                List<String> due = debounce.take(clock.getAsLong());
                if (!due.isEmpty()) {
                    reload(due);
                    continue;
                }
                long wait = debounce.remainingNanos(clock.getAsLong());
                if (key == null) {
                    wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS));
                }
                WatchKey signalled = wait == Long.MAX_VALUE ? watcher.take()
                        : watcher.poll(Math.max(wait, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                if (signalled != null) {
                    events(signalled);
                }
                if (key == null) {
                    lookForDirectory();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException closing) {
            // close() ends the wait.
        } catch (RuntimeException | Error e) {
            // Kept where the endpoint shows it: a watch that has stopped must not look like a live one.
            synchronized (this) {
                lastError = "the watch stopped, and the workers no longer follow changes: " + e;
            }
            LOG.error("[{}] the watch of processio.dev.watch failed; the workers no longer follow changes", name, e);
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    private void events(WatchKey signalled) {
        for (WatchEvent<?> event : signalled.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                debounce.changed(moduleFile, clock.getAsLong());
            } else if (event.context() instanceof Path changed && !isEditorFile(changed.toString())) {
                debounce.changed(changed.toString(), clock.getAsLong());
            }
        }
        if (!signalled.reset() && signalled == key) {
            key = null;
            LOG.warn("[{}] {} is gone (processio.dev.watch); the workers restart when it is back", name, directory);
        }
    }

    private void lookForDirectory() {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try {
            key = register(directory, watcher);
            debounce.changed(moduleFile, clock.getAsLong());
        } catch (IOException e) {
            // Gone again, or not readable yet: the next look tries again.
        }
    }

    /** Files that editors write beside the one being saved. */
    static boolean isEditorFile(String name) {
        return name.startsWith(".") || name.startsWith("#") || name.endsWith("~") || name.endsWith(".swp")
                || name.endsWith(".swx") || name.endsWith(".tmp") || name.equals("4913")
                // Made by the runtimes and package managers, not by the developer: Python's byte-code
                // cache appears when a new worker imports the module, and would start one reload more.
                || name.equals("__pycache__") || name.equals("node_modules");
    }

    private void reload(List<String> files) {
        String what = describe(files);
        synchronized (this) {
            lastChanged = files;
            lastChangedAt = Instant.now();
        }
        if (!Files.isRegularFile(directory.resolve(moduleFile))) {
            // A build that deletes before it writes: the write is the change to act on.
            LOG.info("[{}] {} changed, and {} is not there (processio.dev.watch); the old workers keep serving"
                    + " until it is", name, what, moduleFile);
            return;
        }
        LOG.info("[{}] {} changed; restarting the workers one by one (processio.dev.watch)", name, what);
        long started = System.nanoTime();
        try {
            reload.get().get();
            synchronized (this) {
                reloads++;
                lastError = null;
            }
            LOG.info("[{}] every worker serves the module as changed ({}); replaced in {} ms", name, what,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (ExecutionException failed) {
            if (failed.getCause() instanceof Recycler.PartlyReloaded partly) {
                synchronized (this) {
                    failedReloads++;
                    lastError = "the module loads, but not every worker took it: " + partly.getMessage();
                }
                LOG.warn("[{}] {} changed, and the module loads, but these workers kept the module as it was: {}."
                        + " The next change tries them again", name, what, partly.getMessage());
                return;
            }
            String error = loadError(failed.getCause());
            synchronized (this) {
                failedReloads++;
                lastError = error;
            }
            LOG.error("[{}] {} changed, and the module does not load now: {}. The old workers keep serving;"
                    + " the next change tries again", name, what, error);
        } catch (InterruptedException closing) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(List<String> files) {
        return files.size() <= 3 ? String.join(", ", files)
                : String.join(", ", files.subList(0, 3)) + " and " + (files.size() - 3) + " more";
    }

    /**
     * Why a replacement did not start, in one line: for a module that failed to load, the file
     * and line its runtime names and the error, such as
     * {@code /app/render.mjs:12: SyntaxError: Unexpected token ')'}.
     */
    static String loadError(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (!(cause instanceof BridgeStartupException startup)
                || startup.reason() != BridgeStartupException.Reason.MODULE_LOAD_FAILED) {
            return String.valueOf(cause.getMessage());
        }
        String tail = startup.stderrTail();
        String location = location(tail);
        Matcher error = ERROR_LINE.matcher(tail);
        String errorLine = null;
        while (error.find()) {
            errorLine = error.group();
        }
        if (location == null && errorLine == null) {
            return startup.getMessage();
        }
        return location == null ? errorLine : errorLine == null ? location : location + ": " + errorLine;
    }

    /** The first {@code file:line} of a Node error, or the last of a Python traceback; {@code null} if none. */
    static String location(String tail) {
        Matcher python = PYTHON_LOCATION.matcher(tail);
        String found = null;
        while (python.find()) {
            found = python.group(1) + ":" + python.group(2);
        }
        if (found != null) {
            return found;
        }
        Matcher node = NODE_LOCATION.matcher(tail);
        if (!node.find()) {
            return null;
        }
        String path = node.group(1);
        try {
            path = URI.create("file://" + path).getPath();
        } catch (IllegalArgumentException notAUri) {
            // Shown as written.
        }
        return path + ":" + node.group(2);
    }

    // ---- any thread ------------------------------------------------------------------------------

    synchronized DevWatchSnapshot snapshot() {
        return new DevWatchSnapshot(directory, reloads, failedReloads, lastChanged, lastChangedAt, lastError);
    }

    /** Stops the watch thread and waits for it; a reload in progress is left to the pool. Idempotent. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            watcher.close();
        } catch (IOException ignored) {
            // It watches nothing from now on either way.
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
