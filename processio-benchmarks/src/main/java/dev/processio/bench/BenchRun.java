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
 * <p>Options: {@code --runs N} (default 3) measured passes over the call scenarios after one
 * warm-up pass; {@code --seconds S} (default 2) per scenario, implementation and pass;
 * {@code --smoke}: checks only that every scenario completes and that nothing is left behind, at
 * the least cost: each implementation starts one 2-worker pool, whose start is its one cold start and
 * which then serves every scenario (the 1-worker ones too) with one call per caller (ten sequential
 * ones), and the Node parent runs alongside the Java side. Returns (as exit status) 1 when a call
 * failed or a process or thread was left behind.
 *
 * <p>In a full run the two Java implementations run in this JVM one after the other, alternating which
 * goes first from pass to pass; the Node parent runs afterwards in its own process, so no two
 * implementations share the two CPUs at the same time. Each implementation keeps one 1-worker and one
 * 2-worker pool for all passes. Figures are medians over the passes. MB is 10^6 bytes of params sent.
 */
public final class BenchRun {

    static final String WORKER_RESOURCE = "/dev/processio/runtime/node/processio-worker.mjs";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CALLER_THREAD = "bench-caller-";

    /** Workers of the one pool per implementation that serves every scenario of a smoke run. */
    private static final int SMOKE_WORKERS = 2;
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

    private static final List<Segment> SEGMENTS = List.of(
            new Segment("seq", 1, 1, 100),
            new Segment("pipe", 1, 1, 100), new Segment("pipe", 1, 16, 100), new Segment("pipe", 1, 256, 100),
            new Segment("pipe", 2, 1, 100), new Segment("pipe", 2, 16, 100), new Segment("pipe", 2, 256, 100),
            new Segment("size", 1, 4, 64 * 1024), new Segment("size", 1, 4, 1024 * 1024));

    /** The implementations called from this JVM. */
    interface Impl extends AutoCloseable {
        Echo echo(Map<String, String> params);

        CompletableFuture<?> delayAsync(int millis);

        @Override
        void close();
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
        Path dir = Files.createTempDirectory("processio-bench");
        try {
            extract(WORKER_RESOURCE, dir.resolve("processio-worker.mjs"));
            extract("/dev/processio/bench/echo.mjs", dir.resolve("echo.mjs"));
            extract("/dev/processio/bench/node-parent.mjs", dir.resolve("node-parent.mjs"));
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
                    SMOKE_CALLS_PER_CALLER, Runtime.version(), nodeVersion(), Runtime.getRuntime().availableProcessors(),
                    Instant.now());
        } else {
            out.printf(Locale.ROOT, "processio benchmarks: full; %d pass%s of %.2f s per scenario after a %.2f s warm-up"
                    + " pass; java %s, node %s, %d CPUs, %s%n", runs, runs == 1 ? "" : "es", seconds, warmupSeconds,
                    Runtime.version(), nodeVersion(), Runtime.getRuntime().availableProcessors(), Instant.now());
        }

        Map<Segment, List<Measure>> pio = new LinkedHashMap<>();
        Map<Segment, List<Measure>> jc = new LinkedHashMap<>();
        Map<Segment, List<Measure>> np = new LinkedHashMap<>();
        Map<Integer, Double> pioCold = new LinkedHashMap<>();
        Map<Integer, Double> jcCold = new LinkedHashMap<>();
        Map<Integer, Double> nodeCold = new LinkedHashMap<>();
        Map<Integer, Double> bare = new LinkedHashMap<>();
        int pending = smoke ? 100 : 10_000;
        Measure raw;
        double[] memory;
        if (smoke) {
            // Node start-up is most of a smoke run's cost, so each implementation starts its workers once.
            // Nothing is measured, so the Node parent runs alongside the Java side, on the CPU time that
            // the Java side spends waiting.
            int workers = SMOKE_WORKERS;
            Process parent = startNodeParent(1);
            try {
                long start = System.nanoTime();
                try (Impl p = processio(workers, 256)) {
                    p.echo(params(100));
                    pioCold.put(workers, (System.nanoTime() - start) / 1e6);
                    start = System.nanoTime();
                    try (Impl j = javaClient(workers)) {
                        j.echo(params(100));
                        jcCold.put(workers, (System.nanoTime() - start) / 1e6);
                        callScenarios(p, p, j, j, pio, jc);
                        memory = memory(p, j, pending);
                    }
                }
                bare.put(workers, bareNode(workers));
                log("cold start %d worker(s): processio %.1f ms, java client %.1f ms, bare node %.1f ms", workers,
                        pioCold.get(workers), jcCold.get(workers), bare.get(workers));
                raw = rawPipe(SMOKE_TIMEOUT_SECONDS, SMOKE_SEQUENTIAL_CALLS);
                log("raw pipe (cat): %s", raw);
            } catch (Throwable e) {
                parent.destroyForcibly();
                parent.waitFor(10, TimeUnit.SECONDS);
                throw e;
            }
            nodeParentResults(parent, np, nodeCold);
        } else {
            try (Impl p1 = processio(1, 256); Impl p2 = processio(2, 256); Impl j1 = javaClient(1);
                    Impl j2 = javaClient(2)) {
                callScenarios(p1, p2, j1, j2, pio, jc);
            }
            int coldRepeat = Math.max(5, runs * 3);
            nodeParentResults(startNodeParent(coldRepeat), np, nodeCold);
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
            try (Impl p = processio(1, pending); Impl j = javaClient(1)) {
                memory = memory(p, j, pending);
            }
        }
        double pioAlloc = memory[0];
        double jcAlloc = memory[1];
        double pioHeap = memory[2];
        double jcHeap = memory[3];

        List<String> rows = new ArrayList<>();
        Segment seq = SEGMENTS.get(0);
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

        String leaks = leftBehind();
        out.println();
        out.println(leaks.isEmpty() ? "left behind: nothing" : "left behind: " + leaks);
        out.println(failures.isEmpty() ? "failed calls: none" : "FAILED: " + failures.size() + " failures, first: "
                + String.join(" | ", failures.subList(0, Math.min(5, failures.size()))));
        out.printf(Locale.ROOT, "took %.1f s%n", (System.nanoTime() - began) / 1e9);
        return leaks.isEmpty() && failures.isEmpty() ? 0 : 1;
    }

    /**
     * Every call scenario, for processio and the Java client, alternating which goes first from pass to
     * pass; {@code p1} and {@code j1} serve the 1-worker scenarios, {@code p2} and {@code j2} the others.
     */
    private void callScenarios(Impl p1, Impl p2, Impl j1, Impl j2, Map<Segment, List<Measure>> pio,
            Map<Segment, List<Measure>> jc) throws InterruptedException {
        ExecutorService callers = callerThreads();
        try {
            callScenarios(callers, p1, p2, j1, j2, pio, jc);
        } finally {
            callers.shutdown();
            if (!callers.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add("caller threads did not end");
            }
        }
    }

    private void callScenarios(ExecutorService callers, Impl p1, Impl p2, Impl j1, Impl j2,
            Map<Segment, List<Measure>> pio, Map<Segment, List<Measure>> jc) throws InterruptedException {
        for (int pass = warmupSeconds > 0 ? -1 : 0; pass < runs; pass++) {
            double s = smoke ? SMOKE_TIMEOUT_SECONDS : pass < 0 ? warmupSeconds : seconds;
            for (Segment seg : SEGMENTS) {
                Impl p = seg.workers == 1 ? p1 : p2;
                Impl j = seg.workers == 1 ? j1 : j2;
                Measure a;
                Measure b;
                if ((pass & 1) == 0) {
                    a = measure(callers, p, seg, s);
                    b = measure(callers, j, seg, s);
                } else {
                    b = measure(callers, j, seg, s);
                    a = measure(callers, p, seg, s);
                }
                if (pass >= 0) {
                    pio.computeIfAbsent(seg, k -> new ArrayList<>()).add(a);
                    jc.computeIfAbsent(seg, k -> new ArrayList<>()).add(b);
                    log("pass %d %-40s processio %s | java client %s", pass + 1, seg.label(), a, b);
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
        JavaPipeClient client = JavaPipeClient.start(workerCommand(), workers, true, JSON);
        return new Impl() {
            @Override
            public Echo echo(Map<String, String> params) {
                return client.call("echo", params, Echo.class);
            }

            @Override
            public CompletableFuture<?> delayAsync(int millis) {
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
        AtomicLong calls = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        long[] deadline = new long[1];
        List<Future<?>> tasks = new ArrayList<>();
        for (int c = 0; c < seg.callers; c++) {
            tasks.add(callers.submit(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long n = 0;
                for (long i = 0; i < limit && System.nanoTime() < deadline[0]; i++) {
                    if (callOnce(impl, params)) {
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
                failures.add("a caller did not return");
            } catch (ExecutionException e) {
                failures.add("a caller failed: " + e.getCause());
            }
        }
        return new Measure(calls.get(), (System.nanoTime() - start) / 1e9, Double.NaN, Double.NaN, seg.size);
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
    private static <E extends Exception> Measure sequential(double secs, long limit, int size, RoundTrip<E> roundTrip)
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

    /** Starts the Node parent on every scenario; {@link #nodeParentResults} reads what it measured. */
    private Process startNodeParent(int coldRepeat) throws IOException {
        List<Map<String, Object>> tasks = new ArrayList<>();
        if (smoke) {
            // As on the Java side: the pool whose start is timed serves every scenario.
            tasks.add(Map.of("kind", "cold", "workers", SMOKE_WORKERS, "repeat", 1, "keep", true));
            for (Segment seg : SEGMENTS) {
                tasks.add(Map.of("kind", seg.kind.equals("seq") ? "seq" : "pipe", "workers", SMOKE_WORKERS,
                        "callers", seg.callers, "size", seg.size, "seconds", SMOKE_TIMEOUT_SECONDS,
                        "calls", callsPerCaller(seg), "pass", 0));
            }
        } else {
            for (int pass = warmupSeconds > 0 ? -1 : 0; pass < runs; pass++) {
                for (Segment seg : SEGMENTS) {
                    tasks.add(Map.of("kind", seg.kind.equals("seq") ? "seq" : "pipe", "workers", seg.workers,
                            "callers", seg.callers, "size", seg.size, "seconds", pass < 0 ? warmupSeconds : seconds,
                            "pass", pass));
                }
            }
            for (int workers : coldWorkers()) {
                tasks.add(Map.of("kind", "cold", "workers", workers, "repeat", coldRepeat));
            }
        }
        Map<String, Object> config = Map.of("node", node, "worker", dir.resolve("processio-worker.mjs").toString(),
                "module", dir.resolve("echo.mjs").toString(), "tasks", tasks);
        Process p = new ProcessBuilder(node, dir.resolve("node-parent.mjs").toString(), JSON.writeValueAsString(config))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        return p;
    }

    private void nodeParentResults(Process p, Map<Segment, List<Measure>> results, Map<Integer, Double> cold)
            throws IOException, InterruptedException {
        int i = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode res = JSON.readTree(line);
                JsonNode task = res.get("task");
                if (task.get("kind").asString().equals("cold")) {
                    cold.put(task.get("workers").asInt(), res.get("millis").asDouble());
                    log("node parent cold start %d worker(s): %s ms", task.get("workers").asInt(), res.get("all"));
                } else {
                    Segment seg = SEGMENTS.get(i % SEGMENTS.size());
                    i++;
                    Measure m = new Measure(res.get("calls").asLong(), res.get("seconds").asDouble(),
                            res.has("p50") ? res.get("p50").asDouble() : Double.NaN,
                            res.has("p99") ? res.get("p99").asDouble() : Double.NaN, seg.size);
                    if (task.get("pass").asInt() >= 0) {
                        results.computeIfAbsent(seg, k -> new ArrayList<>()).add(m);
                        log("pass %d %-40s node parent %s", task.get("pass").asInt() + 1, seg.label(), m);
                    }
                }
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            failures.add("node parent failed (exit " + (p.isAlive() ? "?" : p.exitValue()) + ")");
        }
        if (cold.size() != coldWorkers().length || results.size() != SEGMENTS.size()) {
            failures.add("node parent gave incomplete results");
            for (Segment seg : SEGMENTS) {
                results.putIfAbsent(seg, List.of(new Measure(0, 1, Double.NaN, Double.NaN, seg.size)));
            }
            for (int workers : coldWorkers()) {
                cold.putIfAbsent(workers, Double.NaN);
            }
        }
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

    private String nodeVersion() {
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
