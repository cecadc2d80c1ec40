package dev.processio.bench;

import dev.processio.CallOptions;
import dev.processio.Dialect;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.ServerInfo;
import dev.processio.WorkerSnapshot;
import dev.processio.mcp.McpTools;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Throughput of MCP tool calls through processio's {@code mcp} dialect: a real MCP server from npm,
 * {@code @modelcontextprotocol/server-filesystem}, serving a temporary directory of
 * {@value #FILES} small text files, called with {@code read_text_file} on each file in turn through
 * {@link McpTools}. {@code bench/run mcp} runs it.
 *
 * <p>Contenders, all on the same server and files:
 * <ul>
 *   <li>processio with 1 worker and with {@value #MANY_WORKERS} ({@code minWorkers = maxWorkers}),
 *       {@value #IN_FLIGHT} calls in flight;</li>
 *   <li>the baseline, {@link McpPipeClient}: one hand-written client on one server process, the
 *       same {@value #IN_FLIGHT} calls in flight, which shows what processio costs over a bare pipe;</li>
 *   <li>one call at a time (median and p99 latency), processio with 1 worker and the bare pipe.</li>
 * </ul>
 *
 * <p>Why {@value #IN_FLIGHT} asynchronous calls in flight from one thread, rather than as many
 * blocking caller threads: an MCP host (an agent runtime fanning out tool calls) holds futures, not
 * threads; and one issuing thread keeps this JVM's share of the CPUs small and the same for every
 * contender, where 16 caller threads would add context switches on the cores that the servers need
 * (on a 2-CPU machine, the point of the comparison). A new call is issued as soon as one completes
 * (a semaphore of {@value #IN_FLIGHT} permits, released in the reply's stage), so the servers never
 * wait for the JVM to catch up. Sixteen is four per worker in the 4-worker pool: each server finds
 * its next request waiting in its stdin. {@code maxInFlightPerWorker} is also {@value #IN_FLIGHT},
 * so that the cap never binds and the 1-worker pool holds the same 16 calls in its one server as the
 * bare pipe does: like for like.
 *
 * <p>With calls in flight, each measurement also takes the CPU time (user + system) that the
 * contender's server processes and this JVM spent per checked call, which shows where the time of a
 * call goes and why more workers can be slower on few cores.
 *
 * <p>Every reply is checked: its text must equal the file's content, and a tool error
 * ({@code isError}) fails too; only checked replies count. The pools and the pipe start once and
 * serve every run. After one untimed warm-up pass of at least 1 s per contender (not in a smoke run),
 * each of {@code --runs N} runs (default 3) measures every contender of each scenario for
 * {@code --seconds S} (default 2), rotating which goes first from run to run; a windowed measurement
 * ends when its last call has come back. Figures are medians over the runs with their range; ratios
 * are the medians of each run's own ratio, with their range. {@code --smoke} makes
 * {@value #SMOKE_SEQUENTIAL_CALLS} sequential and {@value #SMOKE_WINDOWED_CALLS} windowed calls per
 * contender, once.
 *
 * <p>The server is found under the directory named by the system property
 * {@value #SERVER_DIR_PROPERTY}, where {@code bench/run mcp} (and this module's build, before its
 * tests) installs the versions pinned in processio-core's {@code src/test/mcp}. Every process it
 * starts is closed before the table is printed; the run returns 1 when a call failed, the server is
 * missing, or a process or thread was left behind.
 *
 * <p>Not thread-safe: one thread runs it; replies are checked on the threads that complete them.
 */
public final class McpThroughput {

    /** The directory with {@code node_modules/@modelcontextprotocol/server-filesystem}. */
    static final String SERVER_DIR_PROPERTY = "processio.bench.mcp.dir";
    static final String SERVER_PACKAGE = "@modelcontextprotocol/server-filesystem";

    static final int FILES = 50;
    static final int IN_FLIGHT = 16;
    static final int MANY_WORKERS = 4;
    private static final String TOOL = "read_text_file";
    static final int SMOKE_SEQUENTIAL_CALLS = 5;
    static final int SMOKE_WINDOWED_CALLS = 2 * IN_FLIGHT;
    /** A smoke run counts calls, not seconds; this only bounds a measurement that hangs. */
    private static final double SMOKE_TIMEOUT_SECONDS = 60;
    /** How long the calls still in flight when the time is up may take to come back. */
    private static final long DRAIN_SECONDS = 60;
    /** Failed calls described one by one; the others are only counted. */
    private static final int FAILURES_DESCRIBED = 10;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One contender in one scenario: measures once, for {@code seconds} or {@code limit} calls. */
    @FunctionalInterface
    private interface Measurer {
        Figures measure(double seconds, long limit) throws InterruptedException;
    }

    /**
     * What one measurement gave: calls and latencies, and, with calls in flight, the CPU time per
     * checked call of the contender's server processes and of this whole JVM (NaN when not measured).
     */
    record Figures(BenchRun.Measure measure, double serverCpuMicros, double jvmCpuMicros) {
        double rate() {
            return measure.rate();
        }

        double p50Micros() {
            return measure.p50Micros();
        }

        double p99Micros() {
            return measure.p99Micros();
        }

        @Override
        public String toString() {
            return Double.isNaN(serverCpuMicros) ? measure.toString() : String.format(Locale.ROOT,
                    "%s, CPU per call: servers %.0f µs, JVM %.0f µs", measure, serverCpuMicros, jvmCpuMicros);
        }
    }

    /** A contender's measurer and what it measured, run by run. */
    private record Entry(String name, Measurer measurer, List<Figures> results) {
        Entry(String name, Measurer measurer) {
            this(name, measurer, new ArrayList<>());
        }
    }

    /** A scenario and its contenders, in the order of the table. */
    private record Scenario(String label, long smokeCalls, List<Entry> entries) {
    }

    /** {@code read_text_file} on the file with an index, through one contender. */
    private interface Reader {
        /** Calls once and waits; the text of the reply. */
        String read(int file);

        /** Calls once; completes with the text of the reply. */
        CompletableFuture<String> readAsync(int file);

        /** The server processes that serve the calls. */
        List<ProcessHandle> servers();
    }

    private final PrintStream out;
    private final boolean smoke;
    private final int runs;
    private final double seconds;
    private final double warmupSeconds;
    private final String node;
    private final Path serverDir;
    private final List<String> failures;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final List<Map<String, Object>> arguments = new ArrayList<>();
    private final List<String> contents = new ArrayList<>();
    private final AtomicLong checked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** The next file to read; only on the thread that runs the measurements. */
    private int cursor;
    private int meanFileBytes;

    private McpThroughput(PrintStream out, BenchRun.Options options, String node, Path serverDir,
            List<String> failures) {
        this.out = out;
        this.smoke = options.smoke();
        this.runs = options.runs();
        this.seconds = options.seconds();
        this.warmupSeconds = smoke ? 0 : Math.max(1, seconds);
        this.node = node;
        this.serverDir = serverDir;
        this.failures = failures;
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * {@code bench/run mcp [--smoke] [--runs N] [--seconds S]}. Returns 0 when every call checked
     * out and nothing was left behind, else 1.
     */
    public static int run(String[] args, PrintStream out) throws Exception {
        BenchRun.Options options = BenchRun.Options.parse(args);
        long began = System.nanoTime();
        String node = BenchRun.nodeExecutable();
        String dir = System.getProperty(SERVER_DIR_PROPERTY);
        Path serverDir = dir == null || dir.isBlank() ? null : Path.of(dir).toAbsolutePath();
        out.printf(Locale.ROOT, "processio benchmarks: mcp, %s; java %s, node %s, %d CPUs, %s%n", options.smoke()
                ? "SMOKE (figures mean nothing)"
                : String.format(Locale.ROOT, "%d run%s of %.2f s per contender after a %.2f s warm-up pass",
                        options.runs(), options.runs() == 1 ? "" : "s", options.seconds(), Math.max(1, options.seconds())),
                Runtime.version(), BenchRun.nodeVersion(node), Runtime.getRuntime().availableProcessors(), Instant.now());
        List<String> failures = new CopyOnWriteArrayList<>();
        new McpThroughput(out, options, node, serverDir, failures).report();
        return BenchRun.summary(out, failures, began);
    }

    /** Writes the files, measures with every process closed at the end, then prints the table. */
    private void report() throws IOException, InterruptedException {
        Path entry = serverEntry();
        if (entry == null) {
            return;
        }
        Path root = Files.createTempDirectory("processio-bench-mcp").toRealPath();
        List<Scenario> scenarios;
        try {
            writeFiles(root);
            scenarios = measure(List.of(node, entry.toString(), root.toString()));
        } finally {
            BenchRun.deleteTree(root);
        }
        if (failed.get() > 0) {
            failures.add(String.format(Locale.ROOT, "%,d of %,d calls failed their check", failed.get(), checked.get()));
        }
        if (scenarios != null) {
            printTable(scenarios.get(0), scenarios.get(1));
        }
    }

    /** The server's entry point, or null (with a failure counted) when it is not installed. */
    private Path serverEntry() {
        if (serverDir == null) {
            failures.add("mcp: -D" + SERVER_DIR_PROPERTY + " is not set; bench/run mcp sets it to the directory"
                    + " where it installs " + SERVER_PACKAGE);
            return null;
        }
        Path entry = packageDir().resolve("dist/index.js");
        if (!Files.isRegularFile(entry)) {
            failures.add("mcp: no " + SERVER_PACKAGE + " at " + entry + "; bench/run mcp installs it there (node"
                    + " install.mjs, from processio-core/src/test/mcp), and so does this module's build before its tests");
            return null;
        }
        return entry;
    }

    private Path packageDir() {
        return serverDir.resolve("node_modules").resolve(SERVER_PACKAGE);
    }

    /**
     * {@value #FILES} files of about 250 to 550 bytes, each of its own length and text, a few
     * characters outside ASCII in each, so that a reply can only match its own file, read and decoded
     * whole.
     */
    private void writeFiles(Path root) throws IOException {
        long bytes = 0;
        for (int i = 0; i < FILES; i++) {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "note %02d — größe µ\n", i));
            int length = 200 + (i * 53) % 300;
            for (int line = 1; text.length() < length; line++) {
                text.append(String.format(Locale.ROOT, "line %d of note %02d: a small text file that the filesystem"
                        + " server reads back\n", line, i));
            }
            Path file = root.resolve(String.format(Locale.ROOT, "note-%02d.txt", i));
            Files.writeString(file, text, StandardCharsets.UTF_8);
            contents.add(text.toString());
            arguments.add(Map.of("path", file.toString()));
            bytes += Files.size(file);
        }
        meanFileBytes = (int) (bytes / FILES);
    }

    // --- measurements ------------------------------------------------------------------------

    /**
     * Starts the contenders on {@code command}, measures every run, and closes them all; the two
     * scenarios, sequential first, or null when a contender could not start (counted as a failure).
     */
    private List<Scenario> measure(List<String> command) throws IOException, InterruptedException {
        try (NodeBridge one = NodeBridge.start(options(command, 1));
                NodeBridge many = NodeBridge.start(options(command, MANY_WORKERS));
                McpPipeClient pipe = McpPipeClient.start(command, JSON)) {
            serverLine(one);
            Reader p1 = processio(one);
            Reader p4 = processio(many);
            Reader bare = bare(pipe);
            Scenario sequential = new Scenario("sequential", SMOKE_SEQUENTIAL_CALLS, List.of(
                    new Entry("processio, 1 worker", (s, n) -> sequential(s, n, p1)),
                    new Entry("bare pipe", (s, n) -> sequential(s, n, bare))));
            Scenario windowed = new Scenario(IN_FLIGHT + " in flight", SMOKE_WINDOWED_CALLS, List.of(
                    new Entry("processio, 1 worker", (s, n) -> windowed(s, n, p1)),
                    new Entry("processio, " + MANY_WORKERS + " workers", (s, n) -> windowed(s, n, p4)),
                    new Entry("bare pipe", (s, n) -> windowed(s, n, bare))));
            List<Scenario> scenarios = List.of(sequential, windowed);
            runs(scenarios);
            log("calls answered per worker of the %d-worker pool, warm-up included: %s", MANY_WORKERS,
                    String.join(", ", many.snapshot().workers().stream().map(w -> Long.toString(w.callsServed()))
                            .toList()));
            return scenarios;
        } catch (IOException | RuntimeException e) {
            failures.add("mcp: " + e);
            return null;
        }
    }

    private void runs(List<Scenario> scenarios) throws InterruptedException {
        for (int run = warmupSeconds > 0 ? -1 : 0; run < runs; run++) {
            double s = smoke ? SMOKE_TIMEOUT_SECONDS : run < 0 ? warmupSeconds : seconds;
            for (Scenario scenario : scenarios) {
                List<Entry> entries = scenario.entries();
                Figures[] ms = new Figures[entries.size()];
                int first = Math.floorMod(run, entries.size());
                for (int k = 0; k < entries.size(); k++) {
                    int i = (first + k) % entries.size();
                    ms[i] = entries.get(i).measurer().measure(s, smoke ? scenario.smokeCalls() : Long.MAX_VALUE);
                }
                if (run >= 0) {
                    List<String> figures = new ArrayList<>();
                    for (int i = 0; i < ms.length; i++) {
                        entries.get(i).results().add(ms[i]);
                        figures.add(entries.get(i).name() + " " + ms[i]);
                    }
                    log("run %d, %s: %s", run + 1, scenario.label(), String.join(" | ", figures));
                }
            }
        }
    }

    /** One call at a time for {@code secs} or {@code limit} calls: calls/s, median and p99 latency. */
    private Figures sequential(double secs, long limit, Reader reader) {
        return new Figures(BenchRun.sequential(secs, limit, meanFileBytes, () -> {
            int file = nextFile();
            try {
                check(file, reader.read(file), null);
            } catch (RuntimeException e) {
                check(file, null, e);
            }
        }), Double.NaN, Double.NaN);
    }

    /**
     * {@value #IN_FLIGHT} calls in flight for {@code secs} or {@code limit} calls, then until the last
     * has come back: checked replies over that time, and the CPU time that the servers and this JVM
     * spent on them.
     */
    private Figures windowed(double secs, long limit, Reader reader) throws InterruptedException {
        Semaphore window = new Semaphore(IN_FLIGHT);
        AtomicLong good = new AtomicLong();
        List<ProcessHandle> servers = reader.servers();
        double serverCpuBefore = cpuMicros(servers);
        double jvmCpuBefore = jvmCpuMicros();
        long start = System.nanoTime();
        long deadline = start + (long) (secs * 1e9);
        for (long issued = 0; issued < limit && System.nanoTime() < deadline; issued++) {
            window.acquire();
            int file = nextFile();
            CompletableFuture<String> reply;
            try {
                reply = reader.readAsync(file);
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            // Short, and never blocks: it runs on the thread that completes the call.
            reply.whenComplete((text, error) -> {
                if (check(file, text, error)) {
                    good.incrementAndGet();
                }
                window.release();
            });
        }
        if (!window.tryAcquire(IN_FLIGHT, DRAIN_SECONDS, TimeUnit.SECONDS)) {
            failures.add("mcp: calls still in flight " + DRAIN_SECONDS + " s after the time was up");
        }
        BenchRun.Measure m = new BenchRun.Measure(good.get(), (System.nanoTime() - start) / 1e9, Double.NaN,
                Double.NaN, meanFileBytes);
        double calls = Math.max(1, good.get());
        return new Figures(m, (cpuMicros(servers) - serverCpuBefore) / calls, (jvmCpuMicros() - jvmCpuBefore) / calls);
    }

    /**
     * The user + system CPU time of {@code processes} so far, in µs (the kernel counts it in clock
     * ticks, 10 ms here: a measurement of seconds keeps the error to a few µs per call); NaN when a
     * process has ended or does not say.
     */
    private static double cpuMicros(List<ProcessHandle> processes) {
        double sum = 0;
        for (ProcessHandle p : processes) {
            Optional<Duration> cpu = p.isAlive() ? p.info().totalCpuDuration() : Optional.empty();
            if (cpu.isEmpty()) {
                return Double.NaN;
            }
            sum += cpu.get().toNanos() / 1e3;
        }
        return sum;
    }

    /** This JVM's CPU time so far, all its threads (callers, processio's, JIT and GC), in µs. */
    private static double jvmCpuMicros() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e3;
    }

    private int nextFile() {
        int file = cursor;
        cursor = (cursor + 1) % FILES;
        return file;
    }

    /** Whether {@code text} is the content of {@code file}; counts the call, and a failure when not. */
    private boolean check(int file, String text, Throwable error) {
        checked.incrementAndGet();
        if (error == null && contents.get(file).equals(text)) {
            return true;
        }
        if (failed.incrementAndGet() <= FAILURES_DESCRIBED) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            failures.add(cause != null ? "mcp: " + cause
                    : String.format(Locale.ROOT, "mcp: note-%02d.txt came back as %s", file, abbreviate(text)));
        }
        return false;
    }

    // --- contenders --------------------------------------------------------------------------

    private NodeBridgeOptions options(List<String> command, int workers) {
        return NodeBridgeOptions.builder()
                .name("mcp")
                .command(command)
                .dialect(Dialect.MCP)
                .minWorkers(workers)
                .maxWorkers(workers)
                .maxInFlightPerWorker(IN_FLIGHT)
                .gracePeriod(Duration.ofSeconds(5))
                .killTimeout(Duration.ofSeconds(2))
                .shutdownHook(false)
                .build();
    }

    private Reader processio(NodeBridge bridge) {
        McpTools tools = McpTools.of(bridge);
        return new Reader() {
            @Override
            public String read(int file) {
                return text(tools.call(TOOL, arguments.get(file)));
            }

            @Override
            public CompletableFuture<String> readAsync(int file) {
                return tools.callAsync(TOOL, arguments.get(file), CallOptions.DEFAULTS).thenApply(McpThroughput::text);
            }

            @Override
            public List<ProcessHandle> servers() {
                return bridge.snapshot().workers().stream().map(w -> ProcessHandle.of(w.pid()))
                        .flatMap(Optional::stream).toList();
            }
        };
    }

    private Reader bare(McpPipeClient pipe) {
        return new Reader() {
            @Override
            public String read(int file) {
                return readAsync(file).join();
            }

            @Override
            public CompletableFuture<String> readAsync(int file) {
                return pipe.callTool(TOOL, arguments.get(file)).thenApply(McpThroughput::text);
            }

            @Override
            public List<ProcessHandle> servers() {
                return List.of(pipe.process());
            }
        };
    }

    private static String text(McpTools.Result result) {
        if (result.isError()) {
            throw new IllegalStateException("tool error: " + abbreviate(result.text()));
        }
        return result.text();
    }

    /** The text of a {@code tools/call} result as the bare pipe receives it: its one text item. */
    private static String text(JsonNode result) {
        if (result.path("isError").asBoolean(false)) {
            throw new IllegalStateException("tool error: " + abbreviate(result.toString()));
        }
        JsonNode content = result.path("content");
        if (content.size() != 1 || !"text".equals(content.path(0).path("type").asString(null))) {
            throw new IllegalStateException("not one text item: " + abbreviate(result.toString()));
        }
        return content.path(0).path("text").asString();
    }

    /** The server's name and versions: what it said at start-up, and the npm package's version. */
    private void serverLine(NodeBridge bridge) {
        WorkerSnapshot worker = bridge.snapshot().workers().get(0);
        ServerInfo info = worker.server();
        String packageVersion;
        try {
            packageVersion = JSON.readTree(packageDir().resolve("package.json").toFile()).path("version").asString("?");
        } catch (RuntimeException e) {
            packageVersion = "? (" + e.getMessage() + ")";
        }
        log("server: %s %s, protocol %s (%s %s); %d files of %d bytes on average", info == null ? "?" : info.name(),
                info == null ? "?" : info.version(), info == null ? "?" : info.protocolVersion(), SERVER_PACKAGE,
                packageVersion, FILES, meanFileBytes);
    }

    // --- the table ---------------------------------------------------------------------------

    private void printTable(Scenario sequential, Scenario windowed) {
        List<Figures> seqOne = sequential.entries().get(0).results();
        List<Figures> seqBare = sequential.entries().get(1).results();
        List<Figures> one = windowed.entries().get(0).results();
        List<Figures> many = windowed.entries().get(1).results();
        List<Figures> bare = windowed.entries().get(2).results();
        String inFlight = IN_FLIGHT + " in flight";

        List<String> rows = new ArrayList<>();
        rows.add(row("sequential, processio 1 worker: median latency", spread(seqOne, Figures::p50Micros, " µs")));
        rows.add(row("sequential, processio 1 worker: p99 latency", spread(seqOne, Figures::p99Micros, " µs")));
        rows.add(row("sequential, bare pipe: median latency", spread(seqBare, Figures::p50Micros, " µs")));
        rows.add(row("sequential, bare pipe: p99 latency", spread(seqBare, Figures::p99Micros, " µs")));
        rows.add(row("sequential median latency: processio / bare pipe",
                ratios(seqOne, seqBare, Figures::p50Micros)));
        rows.add(row(inFlight + ", processio 1 worker: calls/s", spread(one, Figures::rate, "")));
        rows.add(row(inFlight + ", processio " + MANY_WORKERS + " workers: calls/s", spread(many, Figures::rate, "")));
        rows.add(row(inFlight + ", bare pipe (1 server): calls/s", spread(bare, Figures::rate, "")));
        rows.add(row(String.format(Locale.ROOT, "%s: processio %d workers / 1 worker, on %d CPUs", inFlight,
                MANY_WORKERS, cores), ratios(many, one, Figures::rate)));
        rows.add(row(inFlight + ": processio 1 worker / bare pipe", ratios(one, bare, Figures::rate)));
        rows.add(row(inFlight + ", processio 1 worker: CPU per call, server", spread(one, Figures::serverCpuMicros, " µs")));
        rows.add(row(inFlight + ", processio 1 worker: CPU per call, this JVM", spread(one, Figures::jvmCpuMicros, " µs")));
        rows.add(row(inFlight + ", processio " + MANY_WORKERS + " workers: CPU per call, servers",
                spread(many, Figures::serverCpuMicros, " µs")));
        rows.add(row(inFlight + ", processio " + MANY_WORKERS + " workers: CPU per call, this JVM",
                spread(many, Figures::jvmCpuMicros, " µs")));
        rows.add(row(inFlight + ", bare pipe: CPU per call, server", spread(bare, Figures::serverCpuMicros, " µs")));
        rows.add(row(inFlight + ", bare pipe: CPU per call, this JVM", spread(bare, Figures::jvmCpuMicros, " µs")));

        out.println();
        out.printf(Locale.ROOT, "MCP tool calls (%s on %d files of about %d B, each reply checked against the file),"
                + " %d run%s, %d CPUs:%n", TOOL, FILES, meanFileBytes, runs, runs == 1 ? "" : "s", cores);
        out.println();
        out.println("| scenario | median | range (min – max) |");
        out.println("|---|---:|---:|");
        rows.forEach(out::println);
        out.println();
        out.printf(Locale.ROOT, "Replies checked, warm-up included: %,d, of which %,d failed. Ratios are the medians of"
                + " each run's own ratio. CPU per call is user + system time over the checked calls of a measurement:"
                + " of the contender's server processes, and of this whole JVM (its JIT and GC included). The servers,"
                + " this JVM and anything else running share the %d CPUs: %d workers can be at most %d times as fast as"
                + " 1 here, and less when more processes make each call cost more CPU.%n",
                checked.get(), failed.get(), cores, MANY_WORKERS, Math.min(MANY_WORKERS, cores));
    }

    private static String row(String scenario, String[] figures) {
        return String.format(Locale.ROOT, "| %s | %s | %s |", scenario, figures[0], figures[1]);
    }

    /** The median and the range of {@code f} over the runs. */
    private static String[] spread(List<Figures> ms, ToDoubleFunction<Figures> f, String unit) {
        return spread(ms.stream().mapToDouble(f).toArray(), unit);
    }

    /** The median and the range of each run's ratio {@code f(a) / f(b)}. */
    private static String[] ratios(List<Figures> a, List<Figures> b,
            ToDoubleFunction<Figures> f) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.applyAsDouble(a.get(i)) / f.applyAsDouble(b.get(i));
        }
        return spread(r, "x");
    }

    private static String[] spread(double[] values, String unit) {
        if (values.length == 0 || Arrays.stream(values).anyMatch(v -> Double.isNaN(v) || Double.isInfinite(v))) {
            return new String[] {"–", "–"};
        }
        String format = unit.equals("x") ? "%.2f" : "%,.1f";
        if (unit.isEmpty()) {
            format = "%,.0f";
        }
        String median = String.format(Locale.ROOT, format, BenchRun.median(values)) + unit;
        String range = String.format(Locale.ROOT, format + " – " + format,
                Arrays.stream(values).min().getAsDouble(), Arrays.stream(values).max().getAsDouble()) + unit;
        return new String[] {median, range};
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }

    private void log(String format, Object... args) {
        out.printf(Locale.ROOT, format + "%n", args);
    }

    @Override
    public String toString() {
        return "McpThroughput[" + runs + " x " + seconds + " s]";
    }
}
