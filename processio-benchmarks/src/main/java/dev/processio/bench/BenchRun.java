package dev.processio.bench;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What processio costs, in one run on one machine: every scenario of the benchmark issue, measured
 * for processio ({@link NodeBridge}), for a minimal hand-written Java pipe client
 * ({@link JavaPipeClient}) and for a minimal hand-written Node.js parent ({@code node-parent.mjs}),
 * all against the same {@code node processio-worker.mjs echo.mjs}; plus the raw pipe round trip
 * ({@code cat}, no JSON) and a bare {@code node -e 0} start. Prints one markdown table with the
 * ratios and the targets.
 *
 * <p>A second table holds the baselines without processio's runtime in them: the same Java client and
 * Node parent driving {@code node bare-echo.mjs}, the echo loop a user would write by hand (no ready
 * line), in the scenarios that the issue compares with it: sequential 100 B (median and p99),
 * pipelined 100 B with 64 callers (64 calls in flight) on 2 workers, round robin, and 1 MiB params. Its
 * rows: processio against each of the two, with the targets; "runtime alone", the Node parent
 * on processio-worker.mjs against the Node parent on the bare loop; and, as the floor, a C pipe
 * ping-pong ({@code pipe-ping-pong.c}, 100 B, compiled with {@code cc} into the temporary directory;
 * its rows say "skipped" when there is no {@code cc} on the PATH): median and p99 of round trips back
 * to back ("warm") and each after 10 ms idle ("cold", the wake-up of a sleeping CPU included).
 *
 * <p>A third table is {@link MarkdownScaling}'s, run last: real CPU-bound work (the demo's Markdown
 * renderer) on 1 and N workers against one plain Node process.
 *
 * <p>Options: {@code --runs N} (default 3) measured passes over the call scenarios after one
 * warm-up pass; {@code --seconds S} (default 2) per scenario, implementation and pass (and per phase
 * of the C ping-pong, which runs once); {@code --smoke}: checks only that every scenario completes and
 * that nothing is left behind, at the least cost: each implementation starts one 2-worker pool, whose
 * start is its one cold start and which then serves every scenario (the 1-worker ones too) with one
 * call per caller (ten sequential ones); the baselines on the bare loop start one bare worker each,
 * without waiting for it; the Node parent and {@code cc} run alongside the Java side, and the C
 * ping-pong makes three round trips per phase. Returns (as exit status) 1 when a call failed or a
 * process or thread was left behind.
 *
 * <p>In a full run the three Java contenders (processio, the Java client on processio-worker.mjs and on
 * the bare loop) run in this JVM one after the other, rotating which goes first from pass to pass
 * (the bare loop only in its scenarios); the Node parent runs afterwards
 * in its own process, so no two implementations share the two CPUs at the same time; the C ping-pong
 * runs after that. Each implementation keeps one 1-worker and one 2-worker pool for all passes.
 * Figures are medians over the passes. MB is 10^6 bytes of params sent.
 */
public final class BenchRun {

    static final String WORKER_RESOURCE = "/dev/processio/runtime/node/processio-worker.mjs";
    private static final String BARE_ECHO_RESOURCE = "/dev/processio/bench/bare-echo.mjs";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CALLER_THREAD = "bench-caller-";

    /** Workers of the one pool per implementation that serves every scenario of a smoke run. */
    private static final int SMOKE_WORKERS = 2;
    /**
     * Workers of the bare echo loop's pools in a smoke run: one is enough to cover the loop, and round
     * robin is covered by the pools on processio-worker.mjs; each Node start saved is some 50 ms of CPU.
     */
    private static final int SMOKE_BARE_WORKERS = 1;
    private static final int SMOKE_SEQUENTIAL_CALLS = 10;
    private static final int SMOKE_CALLS_PER_CALLER = 1;
    /** A smoke run counts calls, not seconds; this only bounds a scenario that hangs. */
    private static final double SMOKE_TIMEOUT_SECONDS = 60;

    /** What {@code echo} gives back. */
    public record Echo(String text) {
    }

    /** One call scenario: workers, concurrent callers, params size. */
    record Segment(String kind, int workers, int callers, int size) {
        String label() {
            return switch (kind) {
                case "seq" -> "sequential, 100 B";
                case "pipe" -> String.format(Locale.ROOT, "pipelined 100 B, %d caller%s, %d worker%s", callers,
                        callers == 1 ? "" : "s", workers, workers == 1 ? "" : "s");
                default -> String.format(Locale.ROOT, "%s params, %d callers, %d worker", sizeLabel(size), callers,
                        workers);
            };
        }
    }

    /** A result of one segment for one implementation in one pass. */
    record Measure(long calls, double seconds, double p50Micros, double p99Micros, int size) {
        double rate() {
            return calls / seconds;
        }

        @Override
        public String toString() {
            return Double.isNaN(p50Micros)
                    ? String.format(Locale.ROOT, "%,.0f calls/s", rate())
                    : String.format(Locale.ROOT, "%,.0f calls/s, p50 %.1f µs, p99 %.1f µs", rate(), p50Micros, p99Micros);
        }
    }

    private static final Segment SEQUENTIAL = new Segment("seq", 1, 1, 100);
    /** The pipelined scenario of the targets against the bare echo loop. */
    private static final Segment PIPELINED_64 = new Segment("pipe", 2, 64, 100);
    private static final Segment PARAMS_1_MIB = new Segment("size", 1, 4, 1024 * 1024);

    private static final List<Segment> SEGMENTS = List.of(
            SEQUENTIAL,
            new Segment("pipe", 1, 1, 100), new Segment("pipe", 1, 16, 100), new Segment("pipe", 1, 256, 100),
            new Segment("pipe", 2, 1, 100), new Segment("pipe", 2, 16, 100), PIPELINED_64,
            new Segment("pipe", 2, 256, 100),
            new Segment("size", 1, 4, 64 * 1024), PARAMS_1_MIB);

    /** The scenarios that the baselines on the bare echo loop serve: those the issue compares with them. */
    private static final List<Segment> BARE_SEGMENTS = List.of(SEQUENTIAL, PIPELINED_64, PARAMS_1_MIB);

    /** The implementations called from this JVM. */
    interface Impl extends AutoCloseable {
        Echo echo(Map<String, String> params);

        CompletableFuture<?> delayAsync(int millis);

        @Override
        void close();
    }

    /**
     * An implementation in the call scenarios: its pool for the 1-worker scenarios and the one for the
     * others (in a smoke run the same), the scenarios it serves and what it measured in them.
     */
    private record Contender(String name, Impl oneWorker, Impl twoWorkers, List<Segment> segments,
            Map<Segment, List<Measure>> results) {
        Impl pool(Segment seg) {
            return seg.workers() == 1 ? oneWorker : twoWorkers;
        }
    }


    private final PrintStream out;
    private final boolean smoke;
    private final int runs;
    private final double seconds;
    private final double warmupSeconds;
    private final Path dir;
    private final String node;
    private final List<String> failures = new CopyOnWriteArrayList<>();

    private BenchRun(PrintStream out, boolean smoke, int runs, double seconds, Path dir) {
        this.out = out;
        this.smoke = smoke;
        this.runs = runs;
        this.seconds = seconds;
        this.warmupSeconds = smoke ? 0 : Math.max(1, seconds);
        this.dir = dir;
        this.node = nodeExecutable();
    }

    /** {@code $PROCESSIO_TEST_NODE}, or {@code node} on the PATH. */
    static String nodeExecutable() {
        String env = System.getenv("PROCESSIO_TEST_NODE");
        return env == null || env.isBlank() ? "node" : env;
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs everything; returns 0 when every call succeeded and nothing was left behind, else 1. */
    public static int run(String[] args, PrintStream out) throws Exception {
        Options options = Options.parse(args);
        boolean smoke = options.smoke();
        int runs = options.runs();
        double seconds = options.seconds();
        Path dir = Files.createTempDirectory("processio-bench");
        try {
            extract(WORKER_RESOURCE, dir.resolve("processio-worker.mjs"));
            extract("/dev/processio/bench/echo.mjs", dir.resolve("echo.mjs"));
            extract("/dev/processio/bench/node-parent.mjs", dir.resolve("node-parent.mjs"));
            extract(BARE_ECHO_RESOURCE, dir.resolve("bare-echo.mjs"));
            return new BenchRun(out, smoke, runs, seconds, dir).all();
        } finally {
            deleteTree(dir);
        }
    }

    private int all() throws Exception {
        long began = System.nanoTime();
        if (smoke) {
            out.printf(Locale.ROOT, "processio benchmarks: SMOKE (figures mean nothing): every scenario once, on one"
                    + " %d-worker pool per implementation whose start is its cold start, %d sequential calls, %d call(s)"
                    + " per caller; java %s, node %s, %d CPUs, %s%n", SMOKE_WORKERS, SMOKE_SEQUENTIAL_CALLS,
                    SMOKE_CALLS_PER_CALLER, Runtime.version(), nodeVersion(node), Runtime.getRuntime().availableProcessors(),
                    Instant.now());
        } else {
            out.printf(Locale.ROOT, "processio benchmarks: full; %d pass%s of %.2f s per scenario after a %.2f s warm-up"
                    + " pass; java %s, node %s, %d CPUs, %s%n", runs, runs == 1 ? "" : "es", seconds, warmupSeconds,
                    Runtime.version(), nodeVersion(node), Runtime.getRuntime().availableProcessors(), Instant.now());
        }

        Map<Segment, List<Measure>> pio = new LinkedHashMap<>();
        Map<Segment, List<Measure>> jc = new LinkedHashMap<>();
        Map<Segment, List<Measure>> np = new LinkedHashMap<>();
        Map<Segment, List<Measure>> jcBare = new LinkedHashMap<>();
        Map<Segment, List<Measure>> npBare = new LinkedHashMap<>();
        Map<Integer, Double> pioCold = new LinkedHashMap<>();
        Map<Integer, Double> jcCold = new LinkedHashMap<>();
        Map<Integer, Double> nodeCold = new LinkedHashMap<>();
        Map<Integer, Double> bare = new LinkedHashMap<>();
        int pending = smoke ? 100 : 10_000;
        Measure raw;
        PipePingPong.Result pingPong;
        double[] memory;
        if (smoke) {
            // Node start-up is most of a smoke run's cost, so each implementation starts its workers once.
            // Nothing is measured, so the Node parent and cc run alongside the Java side, on the CPU time
            // that the Java side spends waiting.
            int workers = SMOKE_WORKERS;
            Process compile = PipePingPong.compile(dir);
            Process parent = startNodeParent(1);
            // Not waited for: its Node starts while processio's pool does.
            try (Impl b = bareJavaClient(SMOKE_BARE_WORKERS)) {
                long start = System.nanoTime();
                try (Impl p = processio(workers, 256)) {
                    p.echo(params(100));
                    pioCold.put(workers, (System.nanoTime() - start) / 1e6);
                    start = System.nanoTime();
                    try (Impl j = javaClient(workers)) {
                        j.echo(params(100));
                        jcCold.put(workers, (System.nanoTime() - start) / 1e6);
                        callScenarios(List.of(new Contender("processio", p, p, SEGMENTS, pio),
                                new Contender("java client", j, j, SEGMENTS, jc),
                                new Contender("java client on bare echo", b, b, BARE_SEGMENTS, jcBare)));
                        memory = memory(p, j, pending);
                    }
                }
                bare.put(workers, bareNode(workers));
                log("cold start %d worker(s): processio %.1f ms, java client %.1f ms, bare node %.1f ms", workers,
                        pioCold.get(workers), jcCold.get(workers), bare.get(workers));
                raw = rawPipe(SMOKE_TIMEOUT_SECONDS, SMOKE_SEQUENTIAL_CALLS);
                log("raw pipe (cat): %s", raw);
                pingPong = pingPong(compile);
            } catch (Throwable e) {
                parent.destroyForcibly();
                parent.waitFor(10, TimeUnit.SECONDS);
                if (compile != null) {
                    compile.destroyForcibly();
                    compile.waitFor(10, TimeUnit.SECONDS);
                }
                throw e;
            }
            nodeParentResults(parent, np, npBare, nodeCold);
        } else {
            try (Impl p1 = processio(1, 256); Impl p2 = processio(2, 256); Impl j1 = javaClient(1);
                    Impl j2 = javaClient(2); Impl b1 = bareJavaClient(1); Impl b2 = bareJavaClient(2)) {
                callScenarios(List.of(new Contender("processio", p1, p2, SEGMENTS, pio),
                        new Contender("java client", j1, j2, SEGMENTS, jc),
                        new Contender("java client on bare echo", b1, b2, BARE_SEGMENTS, jcBare)));
            }
            int coldRepeat = Math.max(5, runs * 3);
            nodeParentResults(startNodeParent(coldRepeat), np, npBare, nodeCold);
            for (int workers : coldWorkers()) {
                double[] a = new double[coldRepeat];
                double[] b = new double[coldRepeat];
                double[] c = new double[coldRepeat];
                for (int i = 0; i < coldRepeat; i++) {
                    a[i] = coldProcessio(workers);
                    b[i] = coldJavaClient(workers);
                    c[i] = bareNode(workers);
                }
                pioCold.put(workers, median(a));
                jcCold.put(workers, median(b));
                bare.put(workers, median(c));
                log("cold start %d worker(s): processio %s ms, java client %s ms, bare node %s ms", workers,
                        Arrays.toString(a), Arrays.toString(b), Arrays.toString(c));
            }
            raw = rawPipe(seconds, Long.MAX_VALUE);
            log("raw pipe (cat): %s", raw);
            pingPong = pingPong(PipePingPong.compile(dir));
            try (Impl p = processio(1, pending); Impl j = javaClient(1)) {
                memory = memory(p, j, pending);
            }
        }
        double pioAlloc = memory[0];
        double jcAlloc = memory[1];
        double pioHeap = memory[2];
        double jcHeap = memory[3];

        List<String> rows = new ArrayList<>();
        Segment seq = SEQUENTIAL;
        double pSeq = med(pio.get(seq), Measure::p50Micros);
        double jSeq = med(jc.get(seq), Measure::p50Micros);
        double nSeq = med(np.get(seq), Measure::p50Micros);
        rows.add(row("sequential 100 B, median latency", us(pSeq), us(jSeq), pSeq / jSeq, us(nSeq), nSeq / pSeq,
                "≤ 1.1x Java", pSeq / jSeq <= 1.1));
        double pP99 = med(pio.get(seq), Measure::p99Micros);
        double jP99 = med(jc.get(seq), Measure::p99Micros);
        double nP99 = med(np.get(seq), Measure::p99Micros);
        rows.add(row("sequential 100 B, p99 latency", us(pP99), us(jP99), pP99 / jP99, us(nP99), nP99 / pP99, "–",
                true));
        rows.add(row("raw pipe round trip, 100 B, median (Java column: `cat`, no JSON)", us(pSeq), us(raw.p50Micros),
                pSeq / raw.p50Micros, "–", Double.NaN, "info", true));
        for (Segment seg : SEGMENTS.subList(1, SEGMENTS.size())) {
            double p = med(pio.get(seg), Measure::rate);
            double j = med(jc.get(seg), Measure::rate);
            double n = med(np.get(seg), Measure::rate);
            boolean targeted = seg.workers == 2 && seg.kind.equals("pipe") || seg.size == 1024 * 1024;
            rows.add(row(seg.label() + ", calls/s", rate(p, seg.size), rate(j, seg.size), p / j, rate(n, seg.size),
                    p / n, targeted ? "≥ 0.9x Java" : "–", !targeted || p / j >= 0.9));
        }
        for (int workers : pioCold.keySet()) {
            double p = pioCold.get(workers);
            double j = jcCold.get(workers);
            double n = nodeCold.get(workers);
            double b = bare.get(workers);
            rows.add(row(String.format(Locale.ROOT, "cold start to first reply, %d worker%s (bare `node -e 0`: %.1f ms)",
                    workers, workers == 1 ? "" : "s", b), ms(p), ms(j), p / j, ms(n), n / p,
                    String.format(Locale.ROOT, "≤ 1.3x bare node (%.2fx)", p / b), p / b <= 1.3));
        }
        rows.add(row("Java-side allocation per 100 B call", bytes(pioAlloc), bytes(jcAlloc), pioAlloc / jcAlloc, "–",
                Double.NaN, "≤ 2 KB", pioAlloc <= 2048));
        rows.add(row(String.format(Locale.ROOT, "heap per pending call (%,d pending)", pending), bytes(pioHeap),
                bytes(jcHeap), pioHeap / jcHeap, "–", Double.NaN, "info", true));

        out.println();
        out.println("| scenario | processio | Java client | processio / Java | Node parent | processio better than Node by"
                + " | target | met? |");
        out.println("|---|---:|---:|---:|---:|---:|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("Ratios: \"processio / Java\" is processio's figure over the hand-written Java client's (for latency,"
                + " time and bytes lower is better; for calls/s higher is better). \"better than Node by\" is how many"
                + " times better processio's figure is than the hand-written Node parent's; the issue asks ≥ 1.5x on every"
                + " row (a \"met?\" of \"no (Node)\" means only that part was missed).");

        out.println();
        out.println("Against baselines without processio's runtime: the Java client and the Node parent on the bare"
                + " echo loop (`bare-echo.mjs`), and a C pipe ping-pong as the floor.");
        out.println();
        out.println("| scenario | measured | baseline | measured / baseline | target | met? |");
        out.println("|---|---:|---:|---:|---|---|");
        bareRows(pio, jcBare, np, npBare, pingPong).forEach(out::println);
        out.println();
        out.println("\"measured / baseline\" is the first-named figure over the second: for latency lower is better, for"
                + " calls/s higher is better. \"on bare echo\" means the hand-written client drives `node bare-echo.mjs`"
                + " instead of `node processio-worker.mjs echo.mjs`; \"runtime alone\" compares the same Node parent on"
                + " the two workers.");

        new MarkdownScaling(out, smoke, runs, dir, node, failures).report();
        new Alternatives(out, dir, node, smoke, runs, seconds, warmupSeconds, failures).run();

        return summary(out, failures, began);
    }

    /** What {@code bench/run} and {@code bench/run alternatives} take: {@code [--smoke] [--runs N] [--seconds S]}. */
    record Options(boolean smoke, int runs, double seconds) {

        static Options parse(String[] args) {
            boolean smoke = false;
            int runs = 3;
            double seconds = 2;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--smoke" -> smoke = true;
                    case "--runs" -> runs = Integer.parseInt(args[++i]);
                    case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]
                            + "; use [--smoke] [--runs N] [--seconds S]");
                }
            }
            if (smoke) {
                runs = 1;
                seconds = 0.04;
            }
            if (runs < 1 || seconds <= 0) {
                throw new IllegalArgumentException("--runs must be at least 1 and --seconds positive");
            }
            return new Options(smoke, runs, seconds);
        }
    }

    /**
     * The end of a run: what was left behind, the failures and the time it took. Returns the exit
     * status, 0 when nothing was left behind and nothing failed, else 1.
     */
    static int summary(PrintStream out, List<String> failures, long began) throws InterruptedException {
        String leaks = leftBehind();
        out.println();
        out.println(leaks.isEmpty() ? "left behind: nothing" : "left behind: " + leaks);
        out.println(failures.isEmpty() ? "failed calls: none" : "FAILED: " + failures.size() + " failures, first: "
                + String.join(" | ", failures.subList(0, Math.min(5, failures.size()))));
        out.printf(Locale.ROOT, "took %.1f s%n", (System.nanoTime() - began) / 1e9);
        return leaks.isEmpty() && failures.isEmpty() ? 0 : 1;
    }

    /**
     * Every call scenario, for each contender that serves it, rotating which goes first from pass to
     * pass.
     */
    private void callScenarios(List<Contender> contenders) throws InterruptedException {
        ExecutorService callers = callerThreads();
        try {
            callScenarios(callers, contenders);
        } finally {
            callers.shutdown();
            if (!callers.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add("caller threads did not end");
            }
        }
    }

    private void callScenarios(ExecutorService callers, List<Contender> contenders) throws InterruptedException {
        for (int pass = warmupSeconds > 0 ? -1 : 0; pass < runs; pass++) {
            double s = smoke ? SMOKE_TIMEOUT_SECONDS : pass < 0 ? warmupSeconds : seconds;
            for (Segment seg : SEGMENTS) {
                List<Contender> serving = contenders.stream().filter(c -> c.segments().contains(seg)).toList();
                Measure[] ms = new Measure[serving.size()];
                int first = Math.floorMod(pass, serving.size());
                for (int k = 0; k < serving.size(); k++) {
                    int i = (first + k) % serving.size();
                    ms[i] = measure(callers, serving.get(i).pool(seg), seg, s);
                }
                if (pass >= 0) {
                    List<String> figures = new ArrayList<>();
                    for (int i = 0; i < ms.length; i++) {
                        serving.get(i).results().computeIfAbsent(seg, k -> new ArrayList<>()).add(ms[i]);
                        figures.add(serving.get(i).name() + " " + ms[i]);
                    }
                    log("pass %d %-40s %s", pass + 1, seg.label(), String.join(" | ", figures));
                }
            }
        }
    }

    /**
     * One daemon thread per caller of the largest scenario, started once and reused by every scenario:
     * starting hundreds of threads per scenario costs a smoke run much of its time on a small machine.
     * A scenario waits for all its callers to return before the next starts, so each of its callers
     * gets a thread of its own at once.
     */
    private static ExecutorService callerThreads() {
        int most = SEGMENTS.stream().mapToInt(Segment::callers).max().orElse(1);
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(most, r -> {
            Thread t = new Thread(r, CALLER_THREAD + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The rows against the baselines on the bare echo loop and the C ping-pong: {@code pio} processio's
     * results, {@code jcBare} the Java client's on the bare loop, {@code np} and {@code npBare} the Node
     * parent's on processio-worker.mjs and on the bare loop.
     */
    private static List<String> bareRows(Map<Segment, List<Measure>> pio, Map<Segment, List<Measure>> jcBare,
            Map<Segment, List<Measure>> np, Map<Segment, List<Measure>> npBare, PipePingPong.Result pingPong) {
        double pSeq = med(pio.get(SEQUENTIAL), Measure::p50Micros);
        double pP99 = med(pio.get(SEQUENTIAL), Measure::p99Micros);
        double jbSeq = med(jcBare.get(SEQUENTIAL), Measure::p50Micros);
        double jbP99 = med(jcBare.get(SEQUENTIAL), Measure::p99Micros);
        double nSeq = med(np.get(SEQUENTIAL), Measure::p50Micros);
        double nbSeq = med(npBare.get(SEQUENTIAL), Measure::p50Micros);
        double nbP99 = med(npBare.get(SEQUENTIAL), Measure::p99Micros);
        double pPipe = med(pio.get(PIPELINED_64), Measure::rate);
        double jbPipe = med(jcBare.get(PIPELINED_64), Measure::rate);
        double nPipe = med(np.get(PIPELINED_64), Measure::rate);
        double nbPipe = med(npBare.get(PIPELINED_64), Measure::rate);
        int mib = PARAMS_1_MIB.size();
        double pMib = med(pio.get(PARAMS_1_MIB), Measure::rate);
        double jbMib = med(jcBare.get(PARAMS_1_MIB), Measure::rate);
        double nbMib = med(npBare.get(PARAMS_1_MIB), Measure::rate);
        String pipe = PIPELINED_64.label() + ", calls/s";
        String mibLabel = PARAMS_1_MIB.label() + ", calls/s";

        List<String> rows = new ArrayList<>();
        rows.add(ratioRow("sequential 100 B, median latency: processio / Java client on bare echo", us(pSeq), us(jbSeq),
                pSeq / jbSeq, "≤ 1.05x", pSeq / jbSeq <= 1.05));
        rows.add(ratioRow("sequential 100 B, p99 latency: processio / Java client on bare echo", us(pP99), us(jbP99),
                pP99 / jbP99, "≤ 1.3x", pP99 / jbP99 <= 1.3));
        rows.add(ratioRow("sequential 100 B, median latency: processio / Node parent on bare echo", us(pSeq), us(nbSeq),
                pSeq / nbSeq, "≤ 1.1x", pSeq / nbSeq <= 1.1));
        rows.add(infoRow("sequential 100 B, p99 latency: processio / Node parent on bare echo", us(pP99), us(nbP99),
                pP99 / nbP99, "info"));
        rows.add(ratioRow(pipe + ": processio / Java client on bare echo (round robin)", rate(pPipe, 100),
                rate(jbPipe, 100), pPipe / jbPipe, "≥ 1.1x", pPipe / jbPipe >= 1.1));
        rows.add(infoRow(pipe + ": processio / Node parent on bare echo", rate(pPipe, 100), rate(nbPipe, 100),
                pPipe / nbPipe, "info"));
        rows.add(ratioRow("runtime alone, " + pipe + ": Node parent on processio-worker.mjs / on bare echo",
                rate(nPipe, 100), rate(nbPipe, 100), nPipe / nbPipe, "≥ 1.0x", nPipe / nbPipe >= 1.0));
        rows.add(infoRow("runtime alone, sequential 100 B, median latency: Node parent on processio-worker.mjs / on"
                + " bare echo", us(nSeq), us(nbSeq), nSeq / nbSeq, "info"));
        rows.add(infoRow(mibLabel + ": processio / Java client on bare echo", rate(pMib, mib), rate(jbMib, mib),
                pMib / jbMib, "info"));
        rows.add(infoRow(mibLabel + ": processio / Node parent on bare echo", rate(pMib, mib), rate(nbMib, mib),
                pMib / nbMib, "info"));

        String warm = "C pipe ping-pong, 100 B, warm (back to back)";
        String cold = String.format(Locale.ROOT, "C pipe ping-pong, 100 B, cold (each after %d ms idle)",
                PipePingPong.COLD_IDLE_MILLIS);
        if (pingPong.skipped() != null) {
            String why = "info; skipped: " + pingPong.skipped();
            rows.add(infoRow(warm + ", median latency: processio sequential / C", us(pSeq), "–", Double.NaN, why));
            rows.add(infoRow(warm + ", p99 latency: processio sequential / C", us(pP99), "–", Double.NaN, why));
            rows.add(infoRow(cold + ", median latency: cold / warm", "–", "–", Double.NaN, why));
            rows.add(infoRow(cold + ", p99 latency: cold / warm", "–", "–", Double.NaN, why));
        } else {
            Measure w = pingPong.warm();
            Measure c = pingPong.cold();
            rows.add(infoRow(warm + ", median latency: processio sequential / C", us(pSeq), us(w.p50Micros()),
                    pSeq / w.p50Micros(), "info (floor)"));
            rows.add(infoRow(warm + ", p99 latency: processio sequential / C", us(pP99), us(w.p99Micros()),
                    pP99 / w.p99Micros(), "info (floor)"));
            rows.add(infoRow(cold + ", median latency: cold / warm", us(c.p50Micros()), us(w.p50Micros()),
                    c.p50Micros() / w.p50Micros(), "info (floor)"));
            rows.add(infoRow(cold + ", p99 latency: cold / warm", us(c.p99Micros()), us(w.p99Micros()),
                    c.p99Micros() / w.p99Micros(), "info (floor)"));
        }
        return rows;
    }

    /** Allocation per call and heap per pending call: processio's, the Java client's, in that order. */
    private double[] memory(Impl p, Impl j, int pending) {
        int allocCalls = smoke ? 20 : 50_000;
        double pioAlloc = allocationPerCall(p, allocCalls);
        double jcAlloc = allocationPerCall(j, allocCalls);
        double pioHeap = heapPerPending(p, pending);
        double jcHeap = heapPerPending(j, pending);
        return new double[] {pioAlloc, jcAlloc, pioHeap, jcHeap};
    }

    /** The worker counts of the cold-start rows. */
    private int[] coldWorkers() {
        return smoke ? new int[] {SMOKE_WORKERS} : new int[] {1, 4};
    }

    /** Calls per caller in a smoke run; a full run calls until its time is up. */
    private long callsPerCaller(Segment seg) {
        if (!smoke) {
            return Long.MAX_VALUE;
        }
        return seg.kind.equals("seq") ? SMOKE_SEQUENTIAL_CALLS : SMOKE_CALLS_PER_CALLER;
    }

    // --- implementations ---------------------------------------------------------------------

    private NodeBridgeOptions.Builder options(int workers) {
        return NodeBridgeOptions.builder()
                .name("bench")
                .nodeExecutable(node)
                .module(dir.resolve("echo.mjs"))
                .minWorkers(workers)
                .maxWorkers(workers)
                .maxPending(10_000)
                .gracePeriod(Duration.ofSeconds(5))
                .killTimeout(Duration.ofSeconds(2))
                .shutdownHook(false);
    }

    private Impl processio(int workers, int maxInFlight) {
        NodeBridge bridge = NodeBridge.start(options(workers).maxInFlightPerWorker(maxInFlight).build());
        return new Impl() {
            @Override
            public Echo echo(Map<String, String> params) {
                return bridge.call("echo", params, Echo.class);
            }

            @Override
            public CompletableFuture<?> delayAsync(int millis) {
                return bridge.callAsync("delay", Map.of("ms", millis), Object.class);
            }

            @Override
            public void close() {
                bridge.close();
            }
        };
    }

    private List<String> workerCommand() {
        return List.of(node, dir.resolve("processio-worker.mjs").toString(), dir.resolve("echo.mjs").toString());
    }

    private Impl javaClient(int workers) throws IOException {
        return javaClient(JavaPipeClient.start(workerCommand(), workers, true, JSON), true);
    }

    /** The Java client on {@code workers} bare echo loops, which echo whatever they are sent. */
    private Impl bareJavaClient(int workers) throws IOException {
        List<String> command = List.of(node, dir.resolve("bare-echo.mjs").toString());
        return javaClient(JavaPipeClient.start(command, workers, false, JSON), false);
    }

    private static Impl javaClient(JavaPipeClient client, boolean delays) {
        return new Impl() {
            @Override
            public Echo echo(Map<String, String> params) {
                return client.call("echo", params, Echo.class);
            }

            @Override
            public CompletableFuture<?> delayAsync(int millis) {
                if (!delays) {
                    throw new UnsupportedOperationException("the bare echo loop has no delay");
                }
                return client.callAsync("delay", Map.of("ms", millis));
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    // --- call scenarios ----------------------------------------------------------------------

    static Map<String, String> params(int size) {
        return Map.of("text", "x".repeat(size - "{\"text\":\"\"}".length()));
    }

    private Measure measure(ExecutorService callers, Impl impl, Segment seg, double secs) throws InterruptedException {
        Map<String, String> params = params(seg.size);
        long limit = callsPerCaller(seg);
        if (seg.kind.equals("seq")) {
            return sequential(secs, limit, seg.size, () -> callOnce(impl, params));
        }
        return concurrently(callers, seg.callers, secs, limit, seg.size, () -> callOnce(impl, params), failures, "");
    }

    /**
     * {@code callerCount} callers on {@code callers}, started together, each calling back to back for
     * {@code secs} or {@code limit} calls, whichever ends first; {@code call} says whether a call
     * succeeded. Callers that fail or do not return go to {@code failures}, prefixed with {@code what}.
     */
    static Measure concurrently(ExecutorService callers, int callerCount, double secs, long limit, int size,
            BooleanSupplier call, List<String> failures, String what) throws InterruptedException {
        AtomicLong calls = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        long[] deadline = new long[1];
        List<Future<?>> tasks = new ArrayList<>();
        for (int c = 0; c < callerCount; c++) {
            tasks.add(callers.submit(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long n = 0;
                for (long i = 0; i < limit && System.nanoTime() < deadline[0] && !Thread.currentThread().isInterrupted();
                        i++) {
                    if (call.getAsBoolean()) {
                        n++;
                    }
                }
                calls.addAndGet(n);
            }));
        }
        long start = System.nanoTime();
        deadline[0] = start + (long) (secs * 1e9);
        go.countDown();
        for (Future<?> task : tasks) {
            try {
                task.get((long) secs + 120, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                failures.add(what + "a caller did not return");
            } catch (ExecutionException e) {
                failures.add(what + "a caller failed: " + e.getCause());
            }
        }
        return new Measure(calls.get(), (System.nanoTime() - start) / 1e9, Double.NaN, Double.NaN, size);
    }

    private boolean callOnce(Impl impl, Map<String, String> params) {
        try {
            Echo e = impl.echo(params);
            if (e == null || e.text().length() != params.get("text").length()) {
                failures.add("wrong reply");
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            failures.add(e.toString());
            return false;
        }
    }

    /** Allocated bytes of all live threads of this JVM (the callers' and the implementation's). */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    private double allocationPerCall(Impl impl, int calls) {
        Map<String, String> params = params(100);
        for (int i = 0; i < calls; i++) {
            callOnce(impl, params);
        }
        long before = allocatedBytes();
        for (int i = 0; i < calls; i++) {
            callOnce(impl, params);
        }
        return (allocatedBytes() - before) / (double) calls;
    }

    private double heapPerPending(Impl impl, int n) {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        int delay = smoke ? 50 : 3000;
        int gcs = smoke ? 1 : 3;
        long before = usedAfterGc(mem, gcs);
        List<CompletableFuture<?>> calls = new ArrayList<>(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            calls.add(impl.delayAsync(delay));
        }
        long after = usedAfterGc(mem, gcs);
        long issued = System.nanoTime() - start;
        long done = calls.stream().filter(CompletableFuture::isDone).count();
        try {
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            failures.add("pending calls: " + e);
        }
        log("heap with %,d pending: %,d -> %,d bytes used (%d already done when measured; issued and measured in %d ms)",
                n, before, after, done, TimeUnit.NANOSECONDS.toMillis(issued));
        if (!smoke && TimeUnit.NANOSECONDS.toMillis(issued) >= delay) {
            failures.add("heap measurement took longer than the delay: calls were not all pending");
        }
        return (after - before) / (double) n;
    }

    private static long usedAfterGc(MemoryMXBean mem, int gcs) {
        for (int i = 0; i < gcs; i++) {
            System.gc();
        }
        return mem.getHeapMemoryUsage().getUsed();
    }

    // --- cold start --------------------------------------------------------------------------

    private double coldProcessio(int workers) {
        long start = System.nanoTime();
        try (NodeBridge bridge = NodeBridge.start(options(workers).build())) {
            bridge.call("echo", params(100), Echo.class);
            return (System.nanoTime() - start) / 1e6;
        }
    }

    private double coldJavaClient(int workers) throws IOException {
        long start = System.nanoTime();
        try (JavaPipeClient client = JavaPipeClient.start(workerCommand(), workers, true, JSON)) {
            client.call("echo", params(100), Echo.class);
            return (System.nanoTime() - start) / 1e6;
        }
    }

    private double bareNode(int workers) throws IOException, InterruptedException {
        long start = System.nanoTime();
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            ps.add(new ProcessBuilder(node, "-e", "0").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        for (Process p : ps) {
            p.waitFor();
        }
        return (System.nanoTime() - start) / 1e6;
    }

    /** One round trip of a sequential measurement. */
    @FunctionalInterface
    interface RoundTrip<E extends Exception> {
        void run() throws E;
    }

    /**
     * Runs round trips back to back for {@code secs} seconds or {@code limit} round trips, whichever ends
     * first; the median and p99 of their latencies.
     */
    static <E extends Exception> Measure sequential(double secs, long limit, int size, RoundTrip<E> roundTrip)
            throws E {
        long[] lat = new long[1 << 16];
        int n = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (secs * 1e9);
        long before = start;
        while (n < limit && before < deadline) {
            roundTrip.run();
            long after = System.nanoTime();
            if (n == lat.length) {
                lat = Arrays.copyOf(lat, n * 2);
            }
            lat[n++] = after - before;
            before = after;
        }
        long[] sorted = Arrays.copyOf(lat, n);
        Arrays.sort(sorted);
        return new Measure(n, (before - start) / 1e9, sorted[n / 2] / 1e3,
                sorted[Math.max(0, (int) Math.ceil(n * 0.99) - 1)] / 1e3, size);
    }

    // --- raw pipe ----------------------------------------------------------------------------

    /** {@code cat} as the echo child: 100-byte lines, one at a time, no JSON. */
    private Measure rawPipe(double secs, long limit) throws IOException, InterruptedException {
        byte[] line = (params(100).get("text").substring(1) + "\n").getBytes(StandardCharsets.US_ASCII);
        Process cat = new ProcessBuilder("cat").start();
        try (OutputStream w = cat.getOutputStream(); InputStream r = cat.getInputStream()) {
            byte[] buf = new byte[line.length];
            return sequential(secs, limit, line.length, () -> {
                w.write(line);
                w.flush();
                int got = 0;
                while (got < buf.length) {
                    int k = r.read(buf, got, buf.length - got);
                    if (k < 0) {
                        throw new IOException("cat ended");
                    }
                    got += k;
                }
            });
        } finally {
            cat.destroy();
            cat.waitFor(5, TimeUnit.SECONDS);
        }
    }

    // --- the Node parent ---------------------------------------------------------------------

    /**
     * Starts the Node parent on every scenario, on processio-worker.mjs and, for {@link #BARE_SEGMENTS}, on
     * the bare echo loop; {@link #nodeParentResults} reads what it measured.
     */
    private Process startNodeParent(int coldRepeat) throws IOException {
        List<Map<String, Object>> tasks = new ArrayList<>();
        if (smoke) {
            // As on the Java side: the pool whose start is timed serves every scenario.
            tasks.add(Map.of("kind", "cold", "workers", SMOKE_WORKERS, "repeat", 1, "keep", true));
            for (Segment seg : SEGMENTS) {
                tasks.add(nodeTask(seg, false, SMOKE_TIMEOUT_SECONDS, 0));
                if (BARE_SEGMENTS.contains(seg)) {
                    tasks.add(nodeTask(seg, true, SMOKE_TIMEOUT_SECONDS, 0));
                }
            }
        } else {
            for (int pass = warmupSeconds > 0 ? -1 : 0; pass < runs; pass++) {
                for (Segment seg : SEGMENTS) {
                    tasks.add(nodeTask(seg, false, pass < 0 ? warmupSeconds : seconds, pass));
                    if (BARE_SEGMENTS.contains(seg)) {
                        tasks.add(nodeTask(seg, true, pass < 0 ? warmupSeconds : seconds, pass));
                    }
                }
            }
            for (int workers : coldWorkers()) {
                tasks.add(Map.of("kind", "cold", "workers", workers, "repeat", coldRepeat));
            }
        }
        // In a smoke run the bare loop starts at once, alongside the cold start that comes first.
        List<Map<String, Object>> prestart = smoke ? List.of(Map.of("workers", SMOKE_BARE_WORKERS, "bare", true))
                : List.of();
        Map<String, Object> config = Map.of("node", node, "worker", dir.resolve("processio-worker.mjs").toString(),
                "module", dir.resolve("echo.mjs").toString(), "bare", dir.resolve("bare-echo.mjs").toString(),
                "prestart", prestart, "tasks", tasks);
        Process p = new ProcessBuilder(node, dir.resolve("node-parent.mjs").toString(), JSON.writeValueAsString(config))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        return p;
    }

    /** One call scenario for the Node parent; {@code segment} tells {@link #nodeParentResults} which it was. */
    private Map<String, Object> nodeTask(Segment seg, boolean bare, double secs, int pass) {
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("kind", seg.kind.equals("seq") ? "seq" : "pipe");
        task.put("workers", smoke ? bare ? SMOKE_BARE_WORKERS : SMOKE_WORKERS : seg.workers);
        task.put("callers", seg.callers);
        task.put("size", seg.size);
        task.put("seconds", secs);
        if (smoke) {
            task.put("calls", callsPerCaller(seg));
        }
        task.put("bare", bare);
        task.put("segment", SEGMENTS.indexOf(seg));
        task.put("pass", pass);
        return task;
    }

    /**
     * Reads the Node parent's results: on processio-worker.mjs into {@code results}, on the bare echo loop
     * into {@code bareResults}, cold starts into {@code cold}.
     */
    private void nodeParentResults(Process p, Map<Segment, List<Measure>> results,
            Map<Segment, List<Measure>> bareResults, Map<Integer, Double> cold) throws IOException, InterruptedException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode res = JSON.readTree(line);
                JsonNode task = res.get("task");
                if (task.get("kind").asString().equals("cold")) {
                    cold.put(task.get("workers").asInt(), res.get("millis").asDouble());
                    log("node parent cold start %d worker(s): %s ms", task.get("workers").asInt(), res.get("all"));
                } else {
                    Segment seg = SEGMENTS.get(task.get("segment").asInt());
                    boolean bare = task.get("bare").asBoolean();
                    Measure m = new Measure(res.get("calls").asLong(), res.get("seconds").asDouble(),
                            res.has("p50") ? res.get("p50").asDouble() : Double.NaN,
                            res.has("p99") ? res.get("p99").asDouble() : Double.NaN, seg.size);
                    if (task.get("pass").asInt() >= 0) {
                        (bare ? bareResults : results).computeIfAbsent(seg, k -> new ArrayList<>()).add(m);
                        log("pass %d %-40s node parent%s %s", task.get("pass").asInt() + 1, seg.label(),
                                bare ? " on bare echo" : "", m);
                    }
                }
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            failures.add("node parent failed (exit " + (p.isAlive() ? "?" : p.exitValue()) + ")");
        }
        if (cold.size() != coldWorkers().length || results.size() != SEGMENTS.size()
                || bareResults.size() != BARE_SEGMENTS.size()) {
            failures.add("node parent gave incomplete results");
            for (Segment seg : SEGMENTS) {
                results.putIfAbsent(seg, List.of(new Measure(0, 1, Double.NaN, Double.NaN, seg.size)));
            }
            for (Segment seg : BARE_SEGMENTS) {
                bareResults.putIfAbsent(seg, List.of(new Measure(0, 1, Double.NaN, Double.NaN, seg.size)));
            }
            for (int workers : coldWorkers()) {
                cold.putIfAbsent(workers, Double.NaN);
            }
        }
    }

    /** Runs the C ping-pong that {@code compile} builds; a failure is counted, not thrown. */
    private PipePingPong.Result pingPong(Process compile) throws IOException, InterruptedException {
        PipePingPong.Result result = PipePingPong.run(compile, dir, smoke ? SMOKE_TIMEOUT_SECONDS : seconds, smoke);
        if (result.failure() != null) {
            failures.add(result.failure());
        } else if (result.skipped() == null) {
            log("pipe ping-pong (C): warm %s; cold (%d ms idle before each) %s", result.warm(),
                    PipePingPong.COLD_IDLE_MILLIS, result.cold());
        }
        return result;
    }

    // --- helpers -----------------------------------------------------------------------------

    private void log(String format, Object... args) {
        out.printf(Locale.ROOT, format + "%n", args);
    }

    private static String row(String scenario, String p, String j, double ratio, String n, double nodeAdvantage,
            String target, boolean javaTargetMet) {
        String nodeCell = Double.isNaN(nodeAdvantage) ? "–" : String.format(Locale.ROOT, "%.2fx", nodeAdvantage);
        boolean nodeMet = Double.isNaN(nodeAdvantage) || nodeAdvantage >= 1.5;
        String met;
        if (javaTargetMet && nodeMet) {
            met = "yes";
        } else if (!javaTargetMet && !nodeMet) {
            met = "no (both)";
        } else {
            met = javaTargetMet ? "no (Node)" : "**no**";
        }
        return String.format(Locale.ROOT, "| %s | %s | %s | %.2fx | %s | %s | %s | %s |", scenario, p, j, ratio, n,
                nodeCell, target, met);
    }

    private static String ratioRow(String scenario, String measured, String baseline, double ratio, String target,
            boolean met) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", scenario, measured, baseline, ratio(ratio),
                target, met ? "yes" : "**no**");
    }

    private static String infoRow(String scenario, String measured, String baseline, double ratio, String note) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | – |", scenario, measured, baseline, ratio(ratio),
                note);
    }

    private static String ratio(double r) {
        return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.2fx", r);
    }

    private static double med(List<Measure> ms, java.util.function.ToDoubleFunction<Measure> f) {
        return median(ms.stream().mapToDouble(f).toArray());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String us(double micros) {
        return String.format(Locale.ROOT, "%,.1f µs", micros);
    }

    private static String ms(double millis) {
        return String.format(Locale.ROOT, "%,.1f ms", millis);
    }

    private static String bytes(double b) {
        return String.format(Locale.ROOT, "%,.0f B", b);
    }

    private static String rate(double callsPerSecond, int size) {
        return size <= 100 ? String.format(Locale.ROOT, "%,.0f", callsPerSecond)
                : String.format(Locale.ROOT, "%,.0f (%,.1f MB/s)", callsPerSecond, callsPerSecond * size / 1e6);
    }

    static String sizeLabel(int size) {
        return size >= 1 << 20 ? (size >> 20) + " MiB" : size >= 1 << 10 ? (size >> 10) + " KiB" : size + " B";
    }

    static void extract(String resource, Path target) throws IOException {
        try (InputStream in = BenchRun.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " not on the class path");
            }
            Files.copy(in, target);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** What {@code node --version} prints, or a question mark and why. */
    static String nodeVersion(String node) {
        try {
            Process p = new ProcessBuilder(node, "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return v;
        } catch (IOException e) {
            return "? (" + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** Child processes and processio or benchmark threads still alive, after waiting up to 10 s. */
    static String leftBehind() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String leaks;
        do {
            List<String> ps = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                    .map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).toList();
            List<String> ts = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && (t.getName().startsWith("processio-") || t.getName().startsWith("bench-")))
                    .map(Thread::getName).toList();
            leaks = ps.isEmpty() && ts.isEmpty() ? "" : "processes " + ps + ", threads " + ts;
            if (!leaks.isEmpty()) {
                Thread.sleep(50);
            }
        } while (!leaks.isEmpty() && System.nanoTime() < deadline);
        return leaks;
    }

    @Override
    public String toString() {
        return "BenchRun[" + runs + " x " + seconds + " s]";
    }

    static {
        // processio logs each worker start at INFO; the table is what matters here.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }
}
