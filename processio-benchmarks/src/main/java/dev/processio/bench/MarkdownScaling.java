package dev.processio.bench;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real work: does CPU-bound npm code scale over processio's workers? The library is the demo's
 * Markdown renderer (marked, highlight.js and sanitize-html, bundled into {@code render.mjs}, method
 * {@code render}: {@code {markdown}} to {@code {html, worker}}), the documents a fixed corpus of this
 * project's own Markdown ({@code corpus/}: snapshots of README.md and docs/*.md). It renders them
 * through processio with 1 worker and with N (the CPU count, at least 2), and, as the baseline, in one
 * plain Node process ({@code plain-render.mjs}) that imports the same bundle and calls {@code render}
 * in a loop, timing itself and reading its own {@code process.cpuUsage()}.
 *
 * <p>V8 goes on getting faster for some twenty passes over the corpus, so every process does the same
 * work: {@value #WARMUP_PASSES} untimed passes, then {@value #PASSES} timed ones, each pass every
 * document once, in the same order. A pool gets each document N times in a row, N times the plain
 * process's work, with two calls in flight per worker, as a loaded server would keep it: a worker
 * that finishes a render finds its next document waiting, instead of idling while the JVM reads its
 * reply and writes the next request. The pool gives each call to its least busy worker, so the
 * workers share the work evenly; the renders per worker are logged when they end up a few apart.
 * The HTML of the timed passes must add up to N times the plain process's. A pool is timed from its
 * first timed call to its last reply, on the Java side; its start and warm-up are not timed, nor
 * are the plain process's.
 *
 * <p>The issue's target: N workers on N cores against one plain process, at least 0.85 of the ideal,
 * where the ideal is the cores ÷ the cores that the plain process keeps busy (its user + sys time over
 * its wall time: V8's compiler and GC threads run beside its main thread), capped at N. The same
 * rows are then measured again with {@code --single-threaded-gc} for every process, workers and plain
 * process alike, as information. That ideal takes the cores as independent; the fourth contender, N
 * plain processes started together, each doing the plain process's work, shows what this machine
 * allows N processes doing this work without processio (virtual CPUs share caches, memory bandwidth
 * and perhaps a physical core).
 *
 * <p>Each run starts fresh processes for every contender, in an order that rotates from run to run,
 * one contender at a time, after one untimed pool that warms up this JVM; figures are medians over
 * the runs, ratios the medians of each run's own ratio, with their range. A smoke run does one run of one timed pass and no warm-up. The renderer
 * is the file named by the system property {@value #RENDERER_PROPERTY}; without it every row says
 * "–" and the run counts a failure. Failures go to the list it is given; every process it starts
 * is closed or killed and waited for before {@link #report()} returns.
 *
 * <p>Not thread-safe: one thread runs it.
 */
public final class MarkdownScaling {

    /** Where the bundled renderer is: the demo build's {@code demo-app/target/classes/js/render.mjs}. */
    static final String RENDERER_PROPERTY = "processio.bench.renderer";

    /** Passes before the timed ones: by then the per-pass time has stopped falling (about 20 passes). */
    static final int WARMUP_PASSES = 30;
    static final int PASSES = 60;

    /** Calls in flight per worker in a pool: one rendering, the next one waiting. */
    private static final int IN_FLIGHT_PER_WORKER = 2;
    private static final String CORPUS_RESOURCE = "/dev/processio/bench/corpus/";
    private static final List<String> CORPUS = List.of("README.md", "architecture.md", "protocol.md");
    /** A smoke run's corpus: the smallest document, since each process renders it cold. */
    private static final List<String> SMOKE_CORPUS = List.of("protocol.md");
    private static final String SINGLE_THREADED_GC = "--single-threaded-gc";
    private static final double TARGET = 0.85;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What {@code render} gives back. */
    record Rendered(String html, long worker) {
    }

    /**
     * What one contender did in its timed passes: renders by all its processes, the wall time, the
     * CPU time (the plain process only; else NaN), and the length of all the HTML they rendered.
     */
    record Work(long renders, double seconds, double cpuSeconds, long htmlChars) {
        static final Work FAILED = new Work(0, Double.NaN, Double.NaN, -1);

        double rate() {
            return renders / seconds;
        }

        double coresBusy() {
            return cpuSeconds / seconds;
        }
    }

    /**
     * One run for one set of node options: one plain process, 1 worker, N workers, and N plain
     * processes at once (what this machine allows N processes doing this work, without processio).
     */
    private record Run(Work plain, Work one, Work many, Work plainMany) {
        double speedUp(int workers) {
            return (workers == 1 ? one : many).rate() / plain.rate();
        }
    }

    private final PrintStream out;
    private final boolean smoke;
    private final int runs;
    private final int warmupPasses;
    private final int passes;
    private final Path dir;
    private final String node;
    private final List<String> failures;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final int workers = Math.max(2, cores);
    private final Path renderer;
    private final List<String> corpus;
    private List<String> documents = List.of();
    private List<Path> corpusFiles = List.of();

    /**
     * @param dir a temporary directory, which the caller deletes: the corpus and the plain script go there
     */
    MarkdownScaling(PrintStream out, boolean smoke, int runs, Path dir, String node, List<String> failures) {
        this(out, smoke, smoke ? 1 : runs, smoke ? 0 : WARMUP_PASSES, smoke ? 1 : PASSES, dir, node, failures);
    }

    private MarkdownScaling(PrintStream out, boolean smoke, int runs, int warmupPasses, int passes, Path dir,
            String node, List<String> failures) {
        this.out = out;
        this.smoke = smoke;
        this.runs = runs;
        this.warmupPasses = warmupPasses;
        this.passes = passes;
        this.dir = dir;
        this.node = node;
        this.failures = failures;
        String path = System.getProperty(RENDERER_PROPERTY);
        this.renderer = path == null || path.isBlank() ? null : Path.of(path).toAbsolutePath();
        this.corpus = smoke ? SMOKE_CORPUS : CORPUS;
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * This scenario alone ({@code bench/run markdown}): {@code --smoke}, {@code --runs N} (default 3),
     * {@code --warmup-passes N}, {@code --passes N}. Returns 0 when every render checked out and
     * nothing was left behind, else 1.
     */
    public static int run(String[] args, PrintStream out) throws Exception {
        boolean smoke = false;
        int runs = 3;
        int warmupPasses = WARMUP_PASSES;
        int passes = PASSES;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup-passes" -> warmupPasses = Integer.parseInt(args[++i]);
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use [--smoke] [--runs N] [--warmup-passes N] [--passes N]");
            }
        }
        if (smoke) {
            runs = 1;
            warmupPasses = 0;
            passes = 1;
        }
        if (runs < 1 || warmupPasses < 0 || passes < 1) {
            throw new IllegalArgumentException("--runs and --passes must be at least 1, --warmup-passes at least 0");
        }
        long began = System.nanoTime();
        String node = BenchRun.nodeExecutable();
        out.printf(Locale.ROOT, "processio benchmarks: markdown%s; java %s, node %s, %d CPUs, %s%n",
                smoke ? " SMOKE (figures mean nothing)" : "", Runtime.version(), BenchRun.nodeVersion(node),
                Runtime.getRuntime().availableProcessors(), Instant.now());
        List<String> failures = new CopyOnWriteArrayList<>();
        Path dir = Files.createTempDirectory("processio-bench");
        try {
            new MarkdownScaling(out, smoke, runs, warmupPasses, passes, dir, node, failures).report();
        } finally {
            BenchRun.deleteTree(dir);
        }
        return BenchRun.summary(out, failures, began);
    }

    /** Measures every run, then prints the table and how to read it. */
    void report() throws IOException, InterruptedException {
        Map<List<String>, List<Run>> results = new LinkedHashMap<>();
        results.put(List.of(), new ArrayList<>());
        results.put(List.of(SINGLE_THREADED_GC), new ArrayList<>());
        boolean ready = prepare();
        out.println();
        out.printf(Locale.ROOT, "Real work: the demo's Markdown renderer (render.mjs: marked, highlight.js, sanitize-html) on"
                + " a corpus of %s (%,d chars); every process renders %s over it untimed, then %s timed: one plain Node"
                + " process, processio with 1 worker and with %d (each worker about the same renders as the plain"
                + " process, two calls in flight per worker), and %d plain processes at once; %s, without and with %s.%n",
                plural(corpus.size(), "document"), corpusChars(), plural(warmupPasses, "pass"), plural(passes, "pass"),
                workers, workers, plural(runs, "run"), SINGLE_THREADED_GC);
        if (ready) {
            // Nothing is measured in a smoke run, so its plain processes run alongside the pools, on
            // the CPU time that the Java side spends waiting.
            Map<List<String>, Process> early = new HashMap<>();
            try {
                if (smoke) {
                    for (List<String> nodeOptions : results.keySet()) {
                        early.put(nodeOptions, startPlain(nodeOptions));
                    }
                } else {
                    // This JVM's JIT compiles the call path with large strings during the first pool it
                    // serves, on the same CPUs as the workers; one untimed pool keeps that out of run 1.
                    warmUpJvm();
                }
                runs(results, early);
            } finally {
                for (Process p : early.values()) {
                    stop(p);
                }
            }
        } else {
            results.values().forEach(l -> l.add(new Run(Work.FAILED, Work.FAILED, Work.FAILED, Work.FAILED)));
        }

        List<String> rows = new ArrayList<>();
        rows.addAll(rows("", results.get(List.of()), true));
        rows.addAll(rows("with " + SINGLE_THREADED_GC + ": ", results.get(List.of(SINGLE_THREADED_GC)), false));
        List<Run> without = results.get(List.of());
        List<Run> with = results.get(List.of(SINGLE_THREADED_GC));
        double[] flagRatio = new double[with.size()];
        for (int i = 0; i < flagRatio.length; i++) {
            flagRatio[i] = with.get(i).plain.rate() / without.get(i).plain.rate();
        }
        rows.add(row("plain Node, renders/s: with " + SINGLE_THREADED_GC + " / without", rate(med(with, r -> r.plain.rate())),
                rate(med(without, r -> r.plain.rate())), spread(flagRatio, "x"), "info", "–"));

        out.println();
        out.println("| scenario | processio | plain Node | processio / plain Node | target | met? |");
        out.println("|---|---:|---:|---:|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("Renders/s count every render of the timed passes, by all of a contender's processes. The ratios are"
                + " the medians of each run's own ratio, with their range over the runs in parentheses. \"Cores busy\" is the"
                + " plain process's user + sys time over its wall time; the ideal speed-up is the cores over that, at most"
                + " the worker count.");
    }

    /** Every run for each set of node options; a plain process in {@code early} serves its options' (only) run. */
    private void runs(Map<List<String>, List<Run>> results, Map<List<String>, Process> early)
            throws IOException, InterruptedException {
        for (int run = 0; run < runs; run++) {
            for (Map.Entry<List<String>, List<Run>> e : results.entrySet()) {
                Run r = run(e.getKey(), run, early.remove(e.getKey()));
                e.getValue().add(r);
                log("markdown run %d%s: plain Node %.1f renders/s (%.2f cores busy) | 1 worker %.1f | %d workers %.1f",
                        run + 1, e.getKey().isEmpty() ? "" : " " + String.join(" ", e.getKey()), r.plain.rate(),
                        r.plain.coresBusy(), r.one.rate(), workers, r.many.rate());
            }
        }
    }

    /** The rows of one set of node options; only those without options carry the issue's target. */
    private List<String> rows(String prefix, List<Run> results, boolean targeted) {
        int n = results.size();
        double[] one = new double[n];
        double[] many = new double[n];
        double[] busy = new double[n];
        double[] ideal = new double[n];
        double[] ofIdeal = new double[n];
        double[] plainMany = new double[n];
        double[] ofPlainMany = new double[n];
        for (int i = 0; i < n; i++) {
            Run r = results.get(i);
            one[i] = r.speedUp(1);
            many[i] = r.speedUp(workers);
            busy[i] = r.plain.coresBusy();
            ideal[i] = Math.min(workers, cores / busy[i]);
            ofIdeal[i] = many[i] / ideal[i];
            plainMany[i] = r.plainMany.rate() / r.plain.rate();
            ofPlainMany[i] = r.many.rate() / r.plainMany.rate();
        }
        double plainRate = med(results, r -> r.plain.rate());
        double speedUp = BenchRun.median(many);
        double idealSpeedUp = BenchRun.median(ideal);
        double met = BenchRun.median(ofIdeal);
        String label = String.format(Locale.ROOT, "%d workers on %d cores", workers, cores);
        List<String> rows = new ArrayList<>();
        rows.add(row(prefix + "Markdown, 1 worker, renders/s", rate(med(results, r -> r.one.rate())), rate(plainRate),
                spread(one, "x"), "info", "–"));
        rows.add(row(String.format(Locale.ROOT, "%sMarkdown, %s, renders/s (per worker: %s of the plain process)", prefix,
                label, ratio(speedUp / workers)), rate(med(results, r -> r.many.rate())), rate(plainRate),
                spread(many, "x"), "info", "–"));
        rows.add(row(String.format(Locale.ROOT, "%sMarkdown, %s: speed-up / ideal (%d cores ÷ %s cores busy, at most %d)",
                prefix, label, cores, number(BenchRun.median(busy)), workers), ratio(speedUp), ratio(idealSpeedUp),
                spread(ofIdeal, "x"), targeted ? String.format(Locale.ROOT, "≥ %.2fx", TARGET) : "info",
                !targeted ? "–" : met >= TARGET ? "yes" : "**no**"));
        rows.add(row(prefix + "plain Node, cores busy (user + sys ÷ wall)", "–", number(BenchRun.median(busy)),
                spread(busy, ""), "info", "–"));
        double plainManyRate = med(results, r -> r.plainMany.rate());
        rows.add(row(String.format(Locale.ROOT, "%s%d plain Node processes at once, renders/s (no processio: what %d cores"
                + " allow)", prefix, workers, cores), "–", rate(plainManyRate), spread(plainMany, "x"), "info", "–"));
        rows.add(row(String.format(Locale.ROOT, "%sMarkdown, %s / %d plain Node processes at once", prefix, label,
                workers), rate(med(results, r -> r.many.rate())), rate(plainManyRate), spread(ofPlainMany, "x"), "info",
                "–"));
        return rows;
    }

    // --- one run -----------------------------------------------------------------------------

    /**
     * The three contenders with {@code nodeOptions}, starting with the one whose turn it is in this run;
     * the plain process is {@code started} when not null.
     */
    private Run run(List<String> nodeOptions, int run, Process started) throws IOException, InterruptedException {
        Work[] work = new Work[4];
        for (int k = 0; k < 4; k++) {
            int i = (run + k) % 4;
            work[i] = switch (i) {
                case 0 -> plain(started != null ? started : startPlain(nodeOptions));
                case 1 -> pool(1, nodeOptions);
                case 2 -> pool(workers, nodeOptions);
                default -> plainAtOnce(nodeOptions);
            };
        }
        long plainChars = work[0].htmlChars;
        if (plainChars >= 0 && (work[1].htmlChars >= 0 && work[1].htmlChars != plainChars
                || work[2].htmlChars >= 0 && work[2].htmlChars != workers * plainChars)) {
            failures.add(String.format(Locale.ROOT, "markdown%s: the workers rendered other HTML than the plain process:"
                    + " %d chars with 1 worker, %d with %d, %d in plain Node", nodeOptions, work[1].htmlChars,
                    work[2].htmlChars, workers, plainChars));
        }
        return new Run(work[0], work[1], work[2], work[3]);
    }

    /**
     * {@code workers} plain processes started together, each doing the plain process's work: their
     * renders over the wall time of the slowest.
     */
    private Work plainAtOnce(List<String> nodeOptions) throws IOException, InterruptedException {
        List<Process> started = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                started.add(startPlain(nodeOptions));
            }
            long renders = 0;
            double seconds = 0;
            double cpu = 0;
            long chars = 0;
            for (Process p : started) {
                Work w = plain(p);
                if (w == Work.FAILED) {
                    return Work.FAILED;
                }
                renders += w.renders();
                seconds = Math.max(seconds, w.seconds());
                cpu += w.cpuSeconds();
                chars += w.htmlChars();
            }
            return new Work(renders, seconds, cpu, chars);
        } finally {
            for (Process p : started) {
                stop(p);
            }
        }
    }

    /** Starts {@code plain-render.mjs}; {@link #plain} waits for it. */
    private Process startPlain(List<String> nodeOptions) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("module", renderer.toString());
        config.put("corpus", corpusFiles.stream().map(Path::toString).toList());
        config.put("warmupPasses", warmupPasses);
        config.put("passes", passes);
        List<String> command = new ArrayList<>();
        command.add(node);
        command.addAll(nodeOptions);
        command.add(dir.resolve("plain-render.mjs").toString());
        command.add(JSON.writeValueAsString(config));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        return p;
    }

    /** What {@code p}, a plain process, measured; kills it when it does not end in time. */
    private Work plain(Process p) throws IOException, InterruptedException {
        try {
            // One short line: it fits in the pipe, so the process can end before it is read.
            if (!p.waitFor(timeoutSeconds(), TimeUnit.SECONDS)) {
                failures.add("plain-render.mjs did not end within " + timeoutSeconds() + " s");
                return Work.FAILED;
            }
            String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                failures.add("plain-render.mjs failed (exit " + p.exitValue() + "): " + line);
                return Work.FAILED;
            }
            Work work;
            try {
                JsonNode res = JSON.readTree(line);
                work = new Work(res.get("renders").asLong(), res.get("seconds").asDouble(),
                        res.get("cpuSeconds").asDouble(), res.get("htmlChars").asLong());
            } catch (RuntimeException e) {
                failures.add("plain-render.mjs printed " + line + ": " + e);
                return Work.FAILED;
            }
            if (work.renders() != (long) passes * corpus.size()) {
                failures.add("plain-render.mjs rendered " + work.renders() + " documents; expected "
                        + passes * corpus.size());
                return Work.FAILED;
            }
            return work;
        } finally {
            stop(p);
        }
    }

    private static void stop(Process p) throws InterruptedException {
        if (p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A fresh pool of {@code n} workers, two calls in flight per worker, through the warm-up and the
     * timed passes; logs the renders per worker when they differ.
     */
    private Work pool(int n, List<String> nodeOptions) {
        try (NodeBridge bridge = NodeBridge.start(options(n, nodeOptions))) {
            render(bridge, n, warmupPasses, null);
            Map<Long, long[]> perWorker = new HashMap<>();
            long start = System.nanoTime();
            render(bridge, n, passes, perWorker);
            double seconds = (System.nanoTime() - start) / 1e9;
            long expected = (long) passes * corpus.size();
            if (perWorker.size() != n) {
                failures.add(String.format(Locale.ROOT, "markdown, %d worker(s): the timed passes ran on %d workers",
                        n, perWorker.size()));
            } else if (perWorker.values().stream().anyMatch(w -> w[0] != expected)) {
                log("markdown, %d workers%s: renders per worker %s (the plain process: %d)", n,
                        nodeOptions.isEmpty() ? "" : " " + String.join(" ", nodeOptions),
                        String.join(", ", perWorker.values().stream().map(w -> Long.toString(w[0])).toList()), expected);
            }
            return new Work(expected * n, seconds, Double.NaN,
                    perWorker.values().stream().mapToLong(w -> w[1]).sum());
        } catch (RuntimeException e) {
            failures.add("markdown, " + n + " worker(s): " + e);
            return Work.FAILED;
        }
    }

    /** As many passes as a timed pool renders, on N workers, none of them timed. */
    private void warmUpJvm() {
        try (NodeBridge bridge = NodeBridge.start(options(workers, List.of()))) {
            render(bridge, workers, warmupPasses + passes, null);
        } catch (RuntimeException e) {
            failures.add("markdown, warm-up of " + workers + " workers: " + e);
        }
    }

    /** Two calls in flight per worker: one rendering, the next one waiting in its stdin. */
    private NodeBridgeOptions options(int n, List<String> nodeOptions) {
        return NodeBridgeOptions.builder()
                .name("markdown")
                .nodeExecutable(node)
                .nodeOptions(nodeOptions)
                .module(renderer)
                .minWorkers(n)
                .maxWorkers(n)
                .maxInFlightPerWorker(IN_FLIGHT_PER_WORKER)
                .gracePeriod(Duration.ofSeconds(5))
                .killTimeout(Duration.ofSeconds(2))
                .shutdownHook(false)
                .build();
    }

    /**
     * {@code count} passes, each document in turn sent {@code n} times, with {@value #IN_FLIGHT_PER_WORKER}
     * calls in flight per worker; counts renders and HTML chars per worker pid into {@code perWorker}
     * when it is not null.
     */
    private void render(NodeBridge bridge, int n, int count, Map<Long, long[]> perWorker) {
        ArrayDeque<CompletableFuture<Rendered>> inFlight = new ArrayDeque<>();
        for (int pass = 0; pass < count; pass++) {
            for (String markdown : documents) {
                Map<String, String> params = Map.of("markdown", markdown);
                for (int i = 0; i < n; i++) {
                    if (inFlight.size() == IN_FLIGHT_PER_WORKER * n) {
                        tally(inFlight.removeFirst().join(), perWorker);
                    }
                    inFlight.addLast(bridge.callAsync("render", params, Rendered.class));
                }
            }
        }
        while (!inFlight.isEmpty()) {
            tally(inFlight.removeFirst().join(), perWorker);
        }
    }

    private static void tally(Rendered r, Map<Long, long[]> perWorker) {
        if (perWorker != null) {
            long[] w = perWorker.computeIfAbsent(r.worker(), k -> new long[2]);
            w[0]++;
            w[1] += r.html().length();
        }
    }

    // --- set-up ------------------------------------------------------------------------------

    /** Extracts the corpus and the plain script; false (with a failure counted) when there is no renderer. */
    private boolean prepare() throws IOException {
        Path corpusDir = Files.createDirectories(dir.resolve("corpus"));
        List<String> docs = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (String name : corpus) {
            Path file = corpusDir.resolve(name);
            BenchRun.extract(CORPUS_RESOURCE + name, file);
            files.add(file);
            docs.add(Files.readString(file));
        }
        documents = List.copyOf(docs);
        corpusFiles = List.copyOf(files);
        BenchRun.extract("/dev/processio/bench/plain-render.mjs", dir.resolve("plain-render.mjs"));
        if (renderer == null || !Files.isRegularFile(renderer)) {
            failures.add("markdown: no renderer bundle " + (renderer == null ? "(-D" + RENDERER_PROPERTY + " is not set)"
                    : "at " + renderer) + "; the demo-app build makes it: demo-app/target/classes/js/render.mjs");
            return false;
        }
        return true;
    }

    private long corpusChars() {
        return documents.stream().mapToLong(String::length).sum();
    }

    private long timeoutSeconds() {
        return 120 + 2L * (warmupPasses + passes);
    }

    // --- formatting --------------------------------------------------------------------------

    private void log(String format, Object... args) {
        out.printf(Locale.ROOT, format + "%n", args);
    }

    private static String row(String scenario, String processio, String plain, String ratio, String target, String met) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", scenario, processio, plain, ratio, target, met);
    }

    private static double med(List<Run> runs, ToDoubleFunction<Run> f) {
        return BenchRun.median(runs.stream().mapToDouble(f).toArray());
    }

    /** The median, and the range in brackets when there is more than one value. */
    private static String spread(double[] values, String unit) {
        if (Arrays.stream(values).anyMatch(Double::isNaN)) {
            return "–";
        }
        String median = String.format(Locale.ROOT, "%.2f%s", BenchRun.median(values), unit);
        if (values.length == 1) {
            return median;
        }
        return String.format(Locale.ROOT, "%s (%.2f – %.2f)", median, Arrays.stream(values).min().getAsDouble(),
                Arrays.stream(values).max().getAsDouble());
    }

    private static String plural(int n, String word) {
        return n + " " + word + (n == 1 ? "" : word.endsWith("s") ? "es" : "s");
    }

    private static String ratio(double r) {
        return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.2fx", r);
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String rate(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,.1f", v);
    }
}
