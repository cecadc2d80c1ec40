package dev.processio.bench;

import com.caoccao.javet.enums.JSRuntimeType;
import com.caoccao.javet.interop.NodeRuntime;
import com.caoccao.javet.interop.V8Host;
import com.caoccao.javet.interop.loader.IJavetLibLoadingListener;
import com.caoccao.javet.interop.loader.JavetLibLoader;
import com.caoccao.javet.interop.options.NodeRuntimeOptions;
import com.caoccao.javet.values.V8Value;
import com.caoccao.javet.values.reference.V8Module;
import com.caoccao.javet.values.reference.V8ValueFunction;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/**
 * Javet (V8 and Node.js embedded in the JVM through JNI) in a JVM of its own, so that what the
 * JavaScript does to its JVM cannot end the benchmark. Both halves of the conversation are here: the
 * parent's handle ({@link #start}, {@link #sequential}, {@link #close}; {@link #startFault}, {@link #outcome}) and the
 * child's {@link #main}, on the same java executable and class path.
 *
 * <p>The child loads the very {@code echo.mjs} that processio's workers serve, as an ES module, and
 * calls its {@code echo} through {@code (json) => JSON.stringify(echo(JSON.parse(json)))}: a JSON
 * string in and out, Jackson on the Java side, as processio does. It speaks lines on stdin and stdout:
 * {@code ready}, then for each {@code seq SECONDS LIMIT} it gets, {@code measure CALLS SECONDS P50 P99}
 * (µs), until {@code quit}. A fault child calls the fault's function once it is ready, and prints
 * {@code returned ...} if control comes back to Java; its shutdown hook prints {@code shutdown hook},
 * so the parent sees whether the JVM ended in an orderly way.
 *
 * <p>Javet extracts its native library (some 80 MB) to {@code java.io.tmpdir}/javet/PID and leaves it
 * there. The parent extracts it once ({@link #extractLibrary}) into the benchmark's directory and
 * every child loads it from there; each child's {@code java.io.tmpdir} and working directory (where a
 * core or hs_err file would go) are in that directory too, which the benchmark deletes.
 *
 * <p>Not thread-safe: one thread drives a child.
 */
final class JavetChild implements AutoCloseable {

    /** What the JavaScript does to its process in a fault child: the names of echo.mjs's functions. */
    enum Fault {
        ABORT("abort", "`process.abort()` in the JavaScript (a native crash)"),
        EXIT("exit", "`process.exit(3)` in the JavaScript"),
        HEAP("exhaustHeap", "V8 heap exhausted (" + Alternatives.HEAP_LIMIT_MB + " MB limit)");

        final String function;
        final String label;

        Fault(String function, String label) {
            this.function = function;
            this.label = label;
        }
    }

    /**
     * How a fault child ended: its exit value ({@code -1} if it had to be killed), whether Java got
     * control back after the call, whether its shutdown hooks ran, whether the JVM wrote a crash report
     * (hs_err), the line of its stderr that says what happened.
     */
    record Outcome(int exitValue, boolean returned, boolean shutdownHookRan, boolean crashReport, String stderrLine) {
    }

    private static final String LIB_PROPERTY = "processio.bench.javet.lib";
    private static final String SHUTDOWN_HOOK = "shutdown hook";
    /** A child that does not answer in this time is killed. */
    private static final long TIMEOUT_SECONDS = 120;

    private final Process process;
    private final BufferedReader stdout;
    private final PrintWriter stdin;
    private final Path stderr;
    /** Where the child runs: its hs_err file would be here. */
    private final Path dir;

    private JavetChild(Process process, Path dir, Path stderr) {
        this.process = process;
        this.dir = dir;
        this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.stderr = stderr;
    }

    /**
     * Copies Javet's native library for Node.js from the class path into {@code dir}, which
     * {@link #start} then hands to the children.
     */
    static Path extractLibrary(Path dir) throws IOException {
        JavetLibLoader loader = new JavetLibLoader(JSRuntimeType.Node);
        try {
            Files.createDirectories(dir);
            try (InputStream in = JavetChild.class.getResourceAsStream(loader.getResourceFileName())) {
                if (in == null) {
                    throw new IOException("Javet's native library " + loader.getResourceFileName() + " is not on the"
                            + " class path");
                }
                Files.copy(in, dir.resolve(loader.getLibFileName()));
            }
            return dir;
        } catch (com.caoccao.javet.exceptions.JavetException e) {
            throw new IOException("Javet: " + e.getMessage(), e);
        }
    }

    /**
     * Starts a child JVM for {@link #sequential} in {@code dir} (which holds echo.mjs) on the library in
     * {@code lib}, without waiting for it: {@link #awaitReady} does.
     */
    static JavetChild start(Path dir, Path lib, boolean smoke) throws IOException {
        return launch(dir, lib, "echo", smoke);
    }

    /** Waits for the child's {@code ready}; kills it when something else comes. */
    void awaitReady() throws IOException {
        try {
            String line = readLine();
            if (!"ready".equals(line)) {
                throw new IOException("the Javet child printed " + line + " instead of ready; " + describeEnd());
            }
        } catch (IOException | RuntimeException e) {
            destroy();
            throw e;
        }
    }

    private static JavetChild launch(Path dir, Path lib, String mode, boolean smoke) throws IOException {
        Path tmp = Files.createDirectories(dir.resolve("javet-tmp"));
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx256m");
        if (smoke) {
            // As in the build's own JVM: a few calls never pay for C2's compilations.
            command.add("-XX:TieredStopAtLevel=1");
        }
        command.add("-Djava.io.tmpdir=" + tmp);
        command.add("-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"));
        command.add("-D" + LIB_PROPERTY + "=" + lib);
        command.add("-cp");
        // Absolute, since the child runs in another directory.
        command.add(Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator)));
        command.add(JavetChild.class.getName());
        command.add(mode);
        command.add(dir.resolve("echo.mjs").toString());
        Path stderr = Files.createTempFile(dir, "javet-" + mode, ".log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(stderr.toFile()).start();
        return new JavetChild(p, dir, stderr);
    }

    /** A sequential measurement in the child: calls back to back for {@code seconds} or {@code limit} calls. */
    BenchRun.Measure sequential(double seconds, long limit) throws IOException {
        stdin.printf(Locale.ROOT, "seq %s %d%n", seconds, limit);
        String line = readLine();
        String[] f = line == null ? new String[0] : line.split(" ");
        if (f.length != 5 || !f[0].equals("measure")) {
            throw new IOException("the Javet child printed " + line + " instead of a measure; " + describeEnd());
        }
        return new BenchRun.Measure(Long.parseLong(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                Double.parseDouble(f[4]), 100);
    }

    /**
     * Starts a child for {@code fault}, without waiting: once it is ready it calls the fault's
     * function, and {@link #outcome} tells how it ended.
     */
    static JavetChild startFault(Path dir, Path lib, Fault fault, boolean smoke) throws IOException {
        return launch(dir, lib, fault.function, smoke);
    }

    /** Waits for a fault child to end and says how it did; kills it if it does not end in time. */
    Outcome outcome() throws IOException, InterruptedException {
        try {
            boolean ready = false;
            boolean returned = false;
            boolean hook = false;
            String line;
            while ((line = readLine()) != null) {
                ready |= line.equals("ready");
                returned |= line.startsWith("returned");
                hook |= line.equals(SHUTDOWN_HOOK);
            }
            if (!ready) {
                throw new IOException("the Javet child never got ready; " + describeEnd());
            }
            int exit = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) ? process.exitValue() : -1;
            boolean report = Files.exists(dir.resolve("hs_err_pid" + process.pid() + ".log"));
            return new Outcome(exit, returned, hook, report, stderrLine());
        } finally {
            destroy();
        }
    }

    /** Ends the child's runtime and the child; it must exit with 0. */
    @Override
    public void close() throws IOException {
        try {
            stdin.println("quit");
            String line;
            while ((line = readLine()) != null) {
                if (line.startsWith("error")) {
                    throw new IOException("the Javet child failed at close: " + line);
                }
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("the Javet child did not end cleanly; " + describeEnd());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the Javet child ended", e);
        } finally {
            destroy();
        }
    }

    /** Reads one line of the child's stdout; a child that does not write one in time is killed. */
    private String readLine() throws IOException {
        AtomicBoolean answered = new AtomicBoolean();
        CompletableFuture.runAsync(() -> {
            if (!answered.get()) {
                process.destroyForcibly();
            }
        }, CompletableFuture.delayedExecutor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        try {
            return stdout.readLine();
        } finally {
            answered.set(true);
        }
    }

    /** Kills the child if it still runs, and waits for it. */
    void destroy() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String describeEnd() {
        return (process.isAlive() ? "still running" : "exit value " + process.exitValue()) + ", stderr: "
                + stderrLine();
    }

    /** The first line of the child's stderr that says what happened (V8's "FATAL ERROR"), else the first line. */
    private String stderrLine() {
        try {
            List<String> lines = Files.readAllLines(stderr).stream().map(String::strip).filter(l -> !l.isEmpty())
                    .toList();
            return lines.stream().filter(l -> l.startsWith("FATAL ERROR")).findFirst()
                    .orElse(lines.isEmpty() ? "" : lines.get(0));
        } catch (IOException e) {
            return "? (" + e + ")";
        }
    }

    // --- the child ---------------------------------------------------------------------------

    /** {@code JavetChild MODE ECHO_MJS}: MODE is {@code echo} or the name of a fault's function. */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path module = Path.of(args[1]);
        PrintStream out = System.out;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> out.println(SHUTDOWN_HOOK)));
        String lib = System.getProperty(LIB_PROPERTY);
        if (lib != null) {
            JavetLibLoader.setLibLoadingListener(new IJavetLibLoadingListener() {
                @Override
                public File getLibPath(JSRuntimeType type) {
                    return new File(lib);
                }

                @Override
                public boolean isDeploy(JSRuntimeType type) {
                    return false;
                }
            });
        }
        if (mode.equals(Fault.HEAP.function)) {
            // Flags of the V8 platform: they must be set before the first runtime is created.
            NodeRuntimeOptions.V8_FLAGS.setMaxOldSpaceSize(Alternatives.HEAP_LIMIT_MB);
        }
        JsonMapper json = JsonMapper.builder().build();
        try (NodeRuntime runtime = V8Host.getNodeInstance().createV8Runtime()) {
            try (V8Module m = runtime.getExecutor(Files.readString(module)).setResourceName(module.toString())
                    .compileV8Module()) {
                m.instantiate();
                try (V8Value evaluated = m.evaluate(true); V8Value namespace = m.getNamespace()) {
                    runtime.getGlobalObject().set("handlers", namespace);
                }
            }
            runtime.getExecutor("globalThis.echoJson = (json) => JSON.stringify(handlers.echo(JSON.parse(json)));")
                    .executeVoid();
            try (V8ValueFunction echo = runtime.getGlobalObject().get("echoJson")) {
                Map<String, String> params = BenchRun.params(100);
                BenchRun.RoundTrip<Exception> call = () -> {
                    String reply = echo.callString(null, json.writeValueAsString(params));
                    if (json.readValue(reply, BenchRun.Echo.class).text().length() != params.get("text").length()) {
                        throw new IllegalStateException("wrong reply: " + reply);
                    }
                };
                call.run();
                out.println("ready");
                if (!mode.equals("echo")) {
                    try {
                        runtime.getExecutor("handlers." + mode + "({});").executeVoid();
                        out.println("returned to Java");
                    } catch (Exception e) {
                        out.println("returned to Java with " + e);
                    }
                    return;
                }
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.equals("quit")) {
                    String[] f = line.split(" ");
                    BenchRun.Measure m = BenchRun.sequential(Double.parseDouble(f[1]), Long.parseLong(f[2]), 100, call);
                    out.printf(Locale.ROOT, "measure %d %s %s %s%n", m.calls(), m.seconds(), m.p50Micros(),
                            m.p99Micros());
                }
            }
        } catch (Exception e) {
            out.println("error " + e);
            throw e;
        }
    }
}
