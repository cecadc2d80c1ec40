package dev.processio.bench;

import dev.processio.BridgeException;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.WorkerLostException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import tools.jackson.databind.json.JsonMapper;

/**
 * What teams use instead of processio, measured in the same run and interleaved with it pass by pass:
 * an HTTP sidecar ({@link HttpSidecar}: {@code node:http} with keep-alive, {@code java.net.http} over
 * HTTP/1.1) and Javet ({@link JavetChild}: V8 and Node.js inside a JVM, here a child JVM), all on the
 * same {@code echo.mjs}. Prints two markdown tables: the figures, with processio's ratio over each
 * and the target (sequential 100 B against the sidecar: processio ≥ 3x faster), and what
 * each fault of the JavaScript ({@code process.abort()}, {@code process.exit(3)}, V8 heap exhaustion)
 * did to the Java side, each shown on a process of its own.
 *
 * <p>Scenarios: sequential 100 B, median and p99 latency (processio on 1 worker, the sidecar as one
 * process, Javet); pipelined 100 B with 64 callers (processio on 2 workers, the sidecar as
 * {@code node:cluster} with 2 workers). After a warm-up of at least {@link #WARM_UP_CALLS} calls per
 * contender, in each pass every contender of a scenario runs once, which goes first rotating from pass
 * to pass. Figures are medians over the passes with their range; a
 * ratio is the median of the passes' ratios, with its range.
 *
 * <p>Runs inside {@link BenchRun} (after its second table), or alone as {@code bench/run
 * alternatives}. Failed calls go to the run's {@code failures}; everything it starts is ended before
 * {@link #run} returns, which the run's {@link BenchRun#leftBehind()} checks.
 */
final class Alternatives {

    /** The V8 heap limit of the processes that exhaust their heap: small, so that it is over in a moment. */
    static final int HEAP_LIMIT_MB = 16;

    private static final int SIZE = 100;
    private static final int PIPELINED_CALLERS = 64;
    private static final int PIPELINED_WORKERS = 2;
    private static final String CALLER_THREAD = "bench-alt-caller-";
    private static final int SMOKE_SEQUENTIAL_CALLS = 10;
    /** A smoke run counts calls, not seconds; this only bounds a scenario that hangs. */
    private static final double SMOKE_TIMEOUT_SECONDS = 60;
    /** The default wait of a quarantine before a replacement, which the faults' pools have in a full run. */
    private static final Duration DEFAULT_WAIT = Duration.ofSeconds(1);
    /** A smoke run's: it spares some of the build's time. */
    private static final Duration SMOKE_WAIT = Duration.ofMillis(100);
    /** The fewest calls of a contender's warm-up: past the JIT's thresholds for its code on every call's path. */
    private static final long WARM_UP_CALLS = 30_000;
    private static final long WARM_UP_MAX_SECONDS = 20;
    /** The target of the issue: sequential small calls, processio faster than the HTTP sidecar by this much. */
    private static final double SIDECAR_TARGET = 3;

    /** One contender in one scenario: runs it once, for {@code seconds} or {@code limit} calls per caller. */
    @FunctionalInterface
    private interface Measurer {
        BenchRun.Measure measure(double seconds, long limit) throws Exception;
    }

    /** A contender's measurer and what it measured, pass by pass. */
    private record Entry(String name, Measurer measurer, List<BenchRun.Measure> results) {
        Entry(String name, Measurer measurer) {
            this(name, measurer, new ArrayList<>());
        }
    }

    /** A scenario and its contenders, processio first. */
    private record Scenario(String label, long smokeCalls, List<Entry> entries) {
    }

    private final PrintStream out;
    private final Path dir;
    private final String node;
    private final boolean smoke;
    private final int runs;
    private final double seconds;
    private final double warmupSeconds;
    private final List<String> failures;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<String, String> params = BenchRun.params(SIZE);

    /**
     * {@code dir} holds processio-worker.mjs and echo.mjs, and is deleted by the caller; the other
     * settings are the run's.
     */
    Alternatives(PrintStream out, Path dir, String node, boolean smoke, int runs, double seconds,
            double warmupSeconds, List<String> failures) {
        this.out = out;
        this.dir = dir;
        this.node = node;
        this.smoke = smoke;
        this.runs = runs;
        this.seconds = seconds;
        this.warmupSeconds = warmupSeconds;
        this.failures = failures;
    }

    /** {@code bench/run alternatives [--smoke] [--runs N] [--seconds S]}: only this part of the run. */
    public static void main(String[] args) throws Exception {
        BenchRun.Options options = BenchRun.Options.parse(args);
        boolean smoke = options.smoke();
        int runs = options.runs();
        double seconds = options.seconds();
        long began = System.nanoTime();
        PrintStream out = System.out;
        List<String> failures = new CopyOnWriteArrayList<>();
        Path dir = Files.createTempDirectory("processio-bench");
        try {
            BenchRun.extract(BenchRun.WORKER_RESOURCE, dir.resolve("processio-worker.mjs"));
            BenchRun.extract("/dev/processio/bench/echo.mjs", dir.resolve("echo.mjs"));
            out.printf(Locale.ROOT, "processio against the alternatives: %s; java %s, %d CPUs, %s%n", smoke
                    ? "SMOKE (figures mean nothing)"
                    : String.format(Locale.ROOT, "%d pass%s of %.2f s per scenario after a %.2f s warm-up pass", runs,
                            runs == 1 ? "" : "es", seconds, Math.max(1, seconds)),
                    Runtime.version(), Runtime.getRuntime().availableProcessors(), Instant.now());
            new Alternatives(out, dir, BenchRun.nodeExecutable(), smoke, runs, seconds, smoke ? 0 : Math.max(1, seconds),
                    failures).run();
        } finally {
            BenchRun.deleteTree(dir);
        }
        if (BenchRun.summary(out, failures, began) != 0) {
            System.exit(1);
        }
    }

    /** Measures, shows the faults and prints both tables. */
    void run() throws Exception {
        BenchRun.extract(HttpSidecar.RESOURCE, dir.resolve("http-sidecar.mjs"));
        String noJavet = javetUnsupported();
        Path lib = noJavet == null ? JavetChild.extractLibrary(dir.resolve("javet-lib")) : null;
        try {
            Scenario sequential = new Scenario("sequential 100 B", SMOKE_SEQUENTIAL_CALLS, new ArrayList<>());
            Scenario pipelined = new Scenario("pipelined 100 B, 64 callers", 1, new ArrayList<>());
            measure(lib, sequential, pipelined);
            List<String> faultRows = faults(lib, noJavet);
            printFigures(sequential.entries(), pipelined.entries(), noJavet);
            out.println();
            out.println("What a fault of the JavaScript did to the Java side, each on fresh processes (processio: a"
                    + " 2-worker pool whose quarantine waits " + faultWait().toMillis() + " ms before a replacement):");
            out.println();
            out.println("| scenario | processio | HTTP sidecar | Javet (V8 in the JVM; here a child JVM) |");
            out.println("|---|---|---|---|");
            faultRows.forEach(out::println);
        } finally {
            if (lib != null) {
                // 80 MB of native library, and the children's temporary directories: not kept until the run ends.
                BenchRun.deleteTree(lib);
                Path tmp = dir.resolve("javet-tmp");
                if (Files.exists(tmp)) {
                    BenchRun.deleteTree(tmp);
                }
            }
        }
    }

    // --- figures -----------------------------------------------------------------------------

    private void measure(Path lib, Scenario sequential, Scenario pipelined) throws Exception {
        ExecutorService callers = callerThreads();
        JavetChild javet = null;
        try {
            // Its JVM starts while the pools and sidecars do.
            javet = lib == null ? null : JavetChild.start(dir, lib, smoke);
            try (NodeBridge p1 = processio("alt", 1, List.of(), DEFAULT_WAIT);
                    NodeBridge p2 = processio("alt", PIPELINED_WORKERS, List.of(), DEFAULT_WAIT);
                    HttpSidecar h1 = HttpSidecar.start(node, dir, dir.resolve("echo.mjs"), 1, List.of(), json);
                    HttpSidecar h2 = HttpSidecar.start(node, dir, dir.resolve("echo.mjs"), PIPELINED_WORKERS,
                            List.of(), json)) {
                List<Entry> seq = sequential.entries();
                seq.add(new Entry("processio", (s, n) -> BenchRun.sequential(s, n, SIZE,
                        () -> attempt(() -> check(p1.call("echo", params, BenchRun.Echo.class))))));
                seq.add(new Entry("HTTP sidecar", (s, n) -> BenchRun.sequential(s, n, SIZE,
                        () -> attempt(() -> check(h1.call("echo", params, BenchRun.Echo.class))))));
                if (javet != null) {
                    javet.awaitReady();
                    seq.add(new Entry("Javet", javet::sequential));
                }
                List<Entry> pipe = pipelined.entries();
                pipe.add(new Entry("processio", (s, n) -> pipelined(callers, s, n,
                        () -> check(p2.call("echo", params, BenchRun.Echo.class)))));
                pipe.add(new Entry("HTTP sidecar", (s, n) -> pipelined(callers, s, n,
                        () -> check(h2.call("echo", params, BenchRun.Echo.class)))));
                passes(List.of(sequential, pipelined));
                if (javet != null) {
                    javet.close();
                }
            }
        } finally {
            if (javet != null) {
                javet.destroy();
            }
            callers.shutdownNow();
            if (!callers.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add("alternatives: caller threads did not end");
            }
        }
    }

    /** Every scenario once per pass, after a warm-up pass, rotating which contender goes first. */
    private void passes(List<Scenario> scenarios) throws Exception {
        for (int pass = warmupSeconds > 0 ? -1 : 0; pass < runs; pass++) {
            double s = smoke ? SMOKE_TIMEOUT_SECONDS : pass < 0 ? warmupSeconds : seconds;
            for (Scenario sc : scenarios) {
                List<Entry> scenario = sc.entries();
                long limit = smoke ? sc.smokeCalls() : Long.MAX_VALUE;
                BenchRun.Measure[] ms = new BenchRun.Measure[scenario.size()];
                int first = Math.floorMod(pass, scenario.size());
                for (int k = 0; k < scenario.size(); k++) {
                    int i = (first + k) % scenario.size();
                    ms[i] = pass < 0 ? warmUp(scenario.get(i).measurer(), s) : scenario.get(i).measurer().measure(s,
                            limit);
                }
                if (pass >= 0) {
                    List<String> figures = new ArrayList<>();
                    for (int i = 0; i < ms.length; i++) {
                        scenario.get(i).results().add(ms[i]);
                        figures.add(scenario.get(i).name() + " " + ms[i]);
                    }
                    out.printf(Locale.ROOT, "pass %d alternatives, %-27s %s%n", pass + 1, sc.label(),
                            String.join(" | ", figures));
                }
            }
        }
    }

    /**
     * A warm-up of {@code seconds}, extended until {@link #WARM_UP_CALLS} calls have been made (at most
     * {@link #WARM_UP_MAX_SECONDS}): the sidecar makes a tenth as many calls per second as processio, and
     * in a first pass of 2 s its client's code had not been compiled yet.
     */
    private static BenchRun.Measure warmUp(Measurer measurer, double seconds) throws Exception {
        long calls = 0;
        long start = System.nanoTime();
        BenchRun.Measure m;
        do {
            m = measurer.measure(seconds, Long.MAX_VALUE);
            calls += m.calls();
        } while (calls < WARM_UP_CALLS && System.nanoTime() - start < WARM_UP_MAX_SECONDS * 1_000_000_000L);
        return m;
    }

    private void printFigures(List<Entry> sequential, List<Entry> pipelined, String noJavet) {
        Entry pSeq = sequential.get(0);
        Entry hSeq = sequential.get(1);
        Entry pPipe = pipelined.get(0);
        Entry hPipe = pipelined.get(1);
        List<String> rows = new ArrayList<>();
        String target = String.format(Locale.ROOT, "≥ %.0fx", SIDECAR_TARGET);
        double[] r = ratios(hSeq, pSeq, BenchRun.Measure::p50Micros);
        rows.add(row("HTTP sidecar: sequential 100 B, median latency", micros(pSeq, BenchRun.Measure::p50Micros),
                micros(hSeq, BenchRun.Measure::p50Micros), r, target, BenchRun.median(r) >= SIDECAR_TARGET ? "yes"
                        : "**no**"));
        rows.add(row("HTTP sidecar: sequential 100 B, p99 latency", micros(pSeq, BenchRun.Measure::p99Micros),
                micros(hSeq, BenchRun.Measure::p99Micros), ratios(hSeq, pSeq, BenchRun.Measure::p99Micros), "info",
                "–"));
        rows.add(row(String.format(Locale.ROOT, "HTTP sidecar: pipelined 100 B, %d callers, %d workers (sidecar:"
                + " node:cluster), calls/s", PIPELINED_CALLERS, PIPELINED_WORKERS),
                rates(pPipe), rates(hPipe), ratios(pPipe, hPipe, BenchRun.Measure::rate), "info", "–"));
        String javet = "Javet (V8 in the JVM, here a child JVM): sequential 100 B, ";
        if (noJavet != null) {
            rows.add(row(javet + "median latency", micros(pSeq, BenchRun.Measure::p50Micros), "–", new double[0],
                    "info; skipped: " + noJavet, "–"));
            rows.add(row(javet + "p99 latency", micros(pSeq, BenchRun.Measure::p99Micros), "–", new double[0],
                    "info; skipped: " + noJavet, "–"));
        } else {
            Entry jSeq = sequential.get(2);
            rows.add(row(javet + "median latency", micros(pSeq, BenchRun.Measure::p50Micros),
                    micros(jSeq, BenchRun.Measure::p50Micros), ratios(jSeq, pSeq, BenchRun.Measure::p50Micros), "info",
                    "–"));
            rows.add(row(javet + "p99 latency", micros(pSeq, BenchRun.Measure::p99Micros),
                    micros(jSeq, BenchRun.Measure::p99Micros), ratios(jSeq, pSeq, BenchRun.Measure::p99Micros), "info",
                    "–"));
        }
        out.println();
        out.printf(Locale.ROOT, "Against what teams use instead, measured in turn with processio in every pass"
                + " (figures: median of %d pass%s, range in brackets):%n", runs, runs == 1 ? "" : "es");
        out.println();
        out.println("| scenario | processio | alternative | processio better by | target | met? |");
        out.println("|---|---:|---:|---:|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("\"processio better by\" is the alternative's latency over processio's, or processio's calls/s"
                + " over the alternative's: above 1x processio is faster; it is the median of the passes' ratios.");
    }

    /** {@code num}'s figure over {@code den}'s, pass by pass. */
    private static double[] ratios(Entry num, Entry den, ToDoubleFunction<BenchRun.Measure> f) {
        double[] r = new double[Math.min(num.results().size(), den.results().size())];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.applyAsDouble(num.results().get(i)) / f.applyAsDouble(den.results().get(i));
        }
        return r;
    }

    private static String row(String scenario, String processio, String alternative, double[] ratios, String target,
            String met) {
        String ratio = ratios.length == 0 ? "–" : spread(ratios, "%.2fx", "%.2f");
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", scenario, processio, alternative, ratio,
                target, met);
    }

    private static String micros(Entry e, ToDoubleFunction<BenchRun.Measure> f) {
        return spread(e.results().stream().mapToDouble(f).toArray(), "%,.1f µs", "%,.1f");
    }

    private static String rates(Entry e) {
        return spread(e.results().stream().mapToDouble(BenchRun.Measure::rate).toArray(), "%,.0f", "%,.0f");
    }

    /** The median in {@code format}, and with more than one value their range in {@code rangeFormat}. */
    private static String spread(double[] values, String format, String rangeFormat) {
        String median = String.format(Locale.ROOT, format, BenchRun.median(values));
        if (values.length < 2) {
            return median;
        }
        return median + String.format(Locale.ROOT, " (" + rangeFormat + " – " + rangeFormat + ")",
                Arrays.stream(values).min().orElseThrow(), Arrays.stream(values).max().orElseThrow());
    }

    // --- faults ------------------------------------------------------------------------------

    /**
     * Each fault on processio, on a fresh single-process sidecar and in a fresh Javet child; one row per
     * fault. The Javet children start first and run while the other two are shown.
     */
    private List<String> faults(Path lib, String noJavet) throws Exception {
        List<JavetChild> children = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        try {
            if (lib != null && smoke) {
                startJavetFaults(lib, children);
            }
            List<String> nodeOptions = List.of("--max-old-space-size=" + HEAP_LIMIT_MB);
            List<String> processio = new ArrayList<>();
            for (JavetChild.Fault f : JavetChild.Fault.values()) {
                try (NodeBridge pool = processio("alt-" + f.function, 2, nodeOptions, faultWait())) {
                    processio.add(processioFault(pool, f));
                }
            }
            List<String> sidecar = new ArrayList<>();
            for (JavetChild.Fault f : JavetChild.Fault.values()) {
                sidecar.add(sidecarFault(f, nodeOptions));
            }
            if (lib != null && !smoke) {
                startJavetFaults(lib, children);
            }
            for (JavetChild.Fault f : JavetChild.Fault.values()) {
                String javet = noJavet != null ? "skipped: " + noJavet
                        : javetFault(children.get(f.ordinal()).outcome());
                rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %s |", f.label, processio.get(f.ordinal()),
                        sidecar.get(f.ordinal()), javet));
            }
            return rows;
        } finally {
            children.forEach(JavetChild::destroy);
        }
    }

    /**
     * Starts one Javet child per fault. A smoke run starts them before the other faults, to run
     * alongside; a full run after, so that they do not slow down the replacement it reports.
     */
    private void startJavetFaults(Path lib, List<JavetChild> children) throws IOException {
        for (JavetChild.Fault f : JavetChild.Fault.values()) {
            children.add(JavetChild.startFault(dir, lib, f, smoke));
        }
    }

    private Duration faultWait() {
        return smoke ? SMOKE_WAIT : DEFAULT_WAIT;
    }

    /**
     * The fault on one of the pool's two workers: the exception the call got, whether the next call
     * succeeded, and when the pool had both workers ready again.
     */
    private String processioFault(NodeBridge pool, JavetChild.Fault f) throws InterruptedException {
        long start = System.nanoTime();
        String got;
        try {
            pool.call(f.function, Map.of(), Object.class);
            got = "the call returned";
            failures.add("alternatives: processio's " + f.function + " returned");
        } catch (WorkerLostException e) {
            got = "`WorkerLostException` (" + (e.signal() != null ? signal(e.signal()) : "exit code " + e.exitCode())
                    + ")";
        } catch (BridgeException e) {
            got = "`" + e.getClass().getSimpleName() + "`";
            failures.add("alternatives: processio's " + f.function + " gave " + e);
        }
        String next;
        try {
            check(pool.call("echo", params, BenchRun.Echo.class));
            next = "ok";
        } catch (RuntimeException e) {
            next = "`" + e.getClass().getSimpleName() + "`";
            failures.add("alternatives: processio's call after " + f.function + ": " + e);
        }
        long deadline = start + TimeUnit.SECONDS.toNanos(30);
        while (pool.snapshot().readyWorkers() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        String replaced;
        if (pool.snapshot().readyWorkers() < 2) {
            replaced = "not replaced in 30 s";
            failures.add("alternatives: processio did not replace the worker lost to " + f.function);
        } else {
            replaced = String.format(Locale.ROOT, "replaced, ready %,.0f ms after the fault",
                    (System.nanoTime() - start) / 1e6);
        }
        return String.format(Locale.ROOT, "the call: %s; the next call: %s; worker %s; JVM: alive", got, next,
                replaced);
    }

    /** The fault on a fresh single-process sidecar: what the call got, what the next one got, how it ended. */
    private String sidecarFault(JavetChild.Fault f, List<String> nodeOptions) throws IOException, InterruptedException {
        try (HttpSidecar sidecar = HttpSidecar.start(node, dir, dir.resolve("echo.mjs"), 1, nodeOptions, json)) {
            check(sidecar.call("echo", params, BenchRun.Echo.class));
            String got;
            try {
                sidecar.call(f.function, Map.of(), Object.class);
                got = "the call returned";
                failures.add("alternatives: the sidecar's " + f.function + " returned");
            } catch (IOException e) {
                got = "`" + e.getClass().getSimpleName() + "`" + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            // So that the next call meets the port of a process that has ended, not one that is ending.
            sidecar.process().waitFor(30, TimeUnit.SECONDS);
            String next;
            try {
                check(sidecar.call("echo", params, BenchRun.Echo.class));
                next = "ok";
            } catch (ConnectException e) {
                next = "`ConnectException` (nothing listens)";
            } catch (IOException e) {
                next = "`" + e.getClass().getSimpleName() + "`";
            }
            String ended = sidecar.process().isAlive() ? "still running"
                    : describeExit(sidecar.process().exitValue());
            return String.format(Locale.ROOT, "the call: %s; the next call: %s; the sidecar: %s, not restarted"
                    + " (a supervisor's job); JVM: alive", got, next, ended);
        }
    }

    private static String javetFault(JavetChild.Outcome o) {
        if (o.returned()) {
            return "control came back to Java; the JVM lives";
        }
        String ended = o.exitValue() < 0 ? "did not end; killed" : describeExit(o.exitValue());
        return String.format(Locale.ROOT, "the JVM ends: %s; shutdown hooks: %s; crash report (hs_err): %s%s", ended,
                o.shutdownHookRan() ? "ran" : "did not run", o.crashReport() ? "written" : "none",
                o.stderrLine().isEmpty() ? "" : "; stderr: `" + o.stderrLine() + "`");
    }

    private static String describeExit(int exitValue) {
        return exitValue > 128 && exitValue < 160 ? "exit value " + exitValue + ", " + signal(exitValue - 128)
                : "exit code " + exitValue;
    }

    private static String signal(int signal) {
        String name = switch (signal) {
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            default -> "SIG" + signal;
        };
        return "signal " + signal + ", " + name;
    }

    /** Why Javet cannot run here, or {@code null}: its native library in the build is for Linux on x86-64. */
    private static String javetUnsupported() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        return os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64")) ? null
                : "its native library here is for Linux x86-64, not " + os + " " + arch;
    }

    // --- calls -------------------------------------------------------------------------------

    private NodeBridge processio(String name, int workers, List<String> nodeOptions, Duration waitDuration) {
        return NodeBridge.start(NodeBridgeOptions.builder()
                .name(name)
                .nodeExecutable(node)
                .nodeOptions(nodeOptions)
                .module(dir.resolve("echo.mjs"))
                .minWorkers(workers)
                .maxWorkers(workers)
                .maxInFlightPerWorker(256)
                .maxPending(10_000)
                .waitDuration(waitDuration)
                .gracePeriod(Duration.ofSeconds(5))
                .killTimeout(Duration.ofSeconds(2))
                .shutdownHook(false)
                .build());
    }

    private void check(BenchRun.Echo reply) {
        if (reply == null || reply.text().length() != params.get("text").length()) {
            throw new IllegalStateException("wrong reply");
        }
    }

    /** One call. */
    @FunctionalInterface
    private interface Call {
        void run() throws Exception;
    }

    /** Makes the call; a failure is counted, not thrown. */
    private boolean attempt(Call call) {
        try {
            call.run();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add("alternatives: a call was interrupted");
            return false;
        } catch (Exception e) {
            failures.add("alternatives: " + e);
            return false;
        }
    }

    /** {@link #PIPELINED_CALLERS} callers calling back to back for {@code secs} or {@code limit} calls each. */
    private BenchRun.Measure pipelined(ExecutorService callers, double secs, long limit, Call call)
            throws InterruptedException {
        return BenchRun.concurrently(callers, PIPELINED_CALLERS, secs, limit, SIZE, () -> attempt(call), failures,
                "alternatives: ");
    }

    private static ExecutorService callerThreads() {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(PIPELINED_CALLERS, r -> {
            Thread t = new Thread(r, CALLER_THREAD + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }
}
