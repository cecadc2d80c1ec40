package dev.processio;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;

/**
 * Measures {@link NodeBridge} calls against a real Node worker. Not a test: a {@code main} program
 * in the test sources, run by hand.
 *
 * <p>Every call is {@code echo} of {@code workers/echo.mjs}, served by the bundled runtime, with a
 * 100-byte request payload ({@code {"text":"xx...x"}}, {@value #PAYLOAD_BYTES} bytes of JSON) mapped
 * back to a record; a call counts only when the echoed text is the one sent. Two measurements:
 * <ul>
 * <li><b>sequential</b>: one caller thread calls back to back for {@code --seconds} against one
 *     worker; each call is timed with {@link System#nanoTime()}, and a run reports the median and
 *     99th percentile of its call latencies, and its calls per second.
 * <li><b>pipelined</b>: N caller threads (1, 16, 256) each call synchronously in a loop for
 *     {@code --seconds}, against 1 and against 2 workers (min = max workers,
 *     max-in-flight-per-worker {@value #MAX_IN_FLIGHT}, max-pending {@value #MAX_PENDING}); a run
 *     reports calls per second, from the moment every caller is released until the last one
 *     returns.
 * </ul>
 * <p>Warm-up. The call path takes far longer than a couple of seconds to compile: on a 2-CPU machine
 * one caller went from about 5,000 to 13,000 calls/s over its first 10 s of calls. So the program
 * first calls on one bridge in rounds of {@value #JIT_ROUND_MILLIS} ms, alternating one and 16
 * callers, for at least {@code --jit-warmup-seconds} and until a round compiles for less than
 * {@value #JIT_QUIET_MILLIS} ms ({@link java.lang.management.CompilationMXBean}) and keeps within 10%
 * of the previous round of its kind (at most {@value #JIT_MAX_SECONDS} s; it says so when it gives
 * up). Then, for each configuration, one unmeasured run of {@code --warmup-seconds}, and
 * {@code --runs} measured runs. Each run starts a fresh bridge and closes it at the end (try-with-resources), so runs share no
 * worker; since a fresh node process starts with a cold V8 JIT, each run first calls for
 * {@value #RUN_WARMUP_MILLIS} ms without measuring. The tables show the median and the min–max
 * spread of the runs. A call that fails is counted and its first messages printed; a run with
 * failures is marked in the table.
 *
 * <p>Run from the repository root:
 * <pre>
 * ./mvnw -B -q -pl processio-core test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *   &amp;&amp; java -cp processio-core/target/classes:processio-core/target/test-classes:$(cat processio-core/target/cp.txt) \
 *      dev.processio.NodeBridgeBenchmark --runs 5 --seconds 3
 * </pre>
 * Options: {@code --runs N} (default 5), {@code --seconds S} (default 3), {@code --warmup-seconds S}
 * (default 2), {@code --jit-warmup-seconds S} (default 10; 0 skips it), {@code --only
 * sequential|pipelined} (default: both). The node executable is
 * {@code $PROCESSIO_TEST_NODE} or {@code node} on the PATH.
 *
 * <p>Every bridge is closed, which waits for its node processes and threads to end, and every
 * caller thread is joined, before the program ends; it exits with status 1 when a call fails or
 * something is left behind.
 */
public final class NodeBridgeBenchmark {

    private static final int PAYLOAD_BYTES = 100;
    private static final int[] CALLERS = {1, 16, 256};
    private static final int[] WORKERS = {1, 2};
    private static final int MAX_IN_FLIGHT = 256;
    private static final int MAX_PENDING = 10_000;
    private static final int RUN_WARMUP_MILLIS = 500;
    private static final int JIT_ROUND_MILLIS = 2000;
    private static final int JIT_QUIET_MILLIS = 50;
    private static final int JIT_MAX_SECONDS = 90;
    private static final int FAILURES_SHOWN = 5;
    private static final String CALLER_THREAD = "benchmark-caller-";

    /** {@code {"text":"xx...x"}}, exactly {@value #PAYLOAD_BYTES} bytes as JSON. */
    private static final Map<String, String> PARAMS = Map.of("text", "x".repeat(PAYLOAD_BYTES - "{\"text\":\"\"}".length()));
    private static final String TEXT = PARAMS.get("text");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private NodeBridgeBenchmark() {
    }

    /** What {@code echo} gives back. */
    record Echo(String text) {
    }

    public static void main(String[] args) throws Exception {
        int runs = 5;
        double seconds = 3;
        double warmupSeconds = 2;
        double jitWarmupSeconds = 10;
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(args[++i]);
                case "--jit-warmup-seconds" -> jitWarmupSeconds = Double.parseDouble(args[++i]);
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use --runs N --seconds S [--warmup-seconds S] [--jit-warmup-seconds S]"
                        + " [--only sequential|pipelined]");
            }
        }
        if (runs < 1 || seconds <= 0 || warmupSeconds < 0 || jitWarmupSeconds < 0) {
            throw new IllegalArgumentException("--runs must be at least 1, --seconds positive, --warmup-seconds and"
                    + " --jit-warmup-seconds not negative");
        }
        if (only != null && !only.equals("sequential") && !only.equals("pipelined")) {
            throw new IllegalArgumentException("--only must be 'sequential' or 'pipelined', was '" + only + "'");
        }
        byte[] json = JSON.writeValueAsBytes(PARAMS);
        if (json.length != PAYLOAD_BYTES) {
            throw new IllegalStateException("payload of " + json.length + " bytes, wanted " + PAYLOAD_BYTES);
        }

        System.out.printf(Locale.ROOT, "NodeBridge echo.mjs benchmark: %d runs of %.1f s per configuration, warm-up %.1f s"
                + " per configuration (+ %d ms per run), payload %d B; java %s, %d CPUs, node %s%n", runs, seconds,
                warmupSeconds, RUN_WARMUP_MILLIS, PAYLOAD_BYTES, Runtime.version(),
                Runtime.getRuntime().availableProcessors(), nodeVersion());
        boolean ok = warmUpJit(jitWarmupSeconds);
        List<String> sequentialTable = new ArrayList<>();
        List<String> pipelinedTable = new ArrayList<>();

        if (only == null || only.equals("sequential")) {
            String label = "sequential, 1 worker";
            if (warmupSeconds > 0) {
                Result warmup = sequential(warmupSeconds);
                System.out.printf(Locale.ROOT, "%-30s warm-up: %s%n", label, warmup);
                ok &= warmup.failures == 0;
            }
            double[] p50 = new double[runs];
            double[] p99 = new double[runs];
            double[] rate = new double[runs];
            long failures = 0;
            for (int r = 0; r < runs; r++) {
                Result result = sequential(seconds);
                System.out.printf(Locale.ROOT, "%-30s run %d: %s%n", label, r + 1, result);
                failures += result.failures;
                p50[r] = result.p50Micros;
                p99[r] = result.p99Micros;
                rate[r] = result.rate();
            }
            ok &= failures == 0;
            sequentialTable.add(String.format(Locale.ROOT, "| %7d | %12s | %18s | %12s | %18s | %13s | %21s | %8s |", 1,
                    decimal(median(p50)), decimal(min(p50)) + " – " + decimal(max(p50)),
                    decimal(median(p99)), decimal(min(p99)) + " – " + decimal(max(p99)),
                    integer(median(rate)), integer(min(rate)) + " – " + integer(max(rate)), failuresCell(failures)));
        }

        if (only == null || only.equals("pipelined")) {
            for (int workers : WORKERS) {
                for (int callers : CALLERS) {
                    String label = String.format(Locale.ROOT, "pipelined, %d worker%s, %d callers", workers,
                            workers == 1 ? "" : "s", callers);
                    if (warmupSeconds > 0) {
                        Result warmup = pipelined(workers, callers, warmupSeconds);
                        System.out.printf(Locale.ROOT, "%-36s warm-up: %s%n", label, warmup);
                        ok &= warmup.failures == 0;
                    }
                    double[] rate = new double[runs];
                    long failures = 0;
                    for (int r = 0; r < runs; r++) {
                        Result result = pipelined(workers, callers, seconds);
                        System.out.printf(Locale.ROOT, "%-36s run %d: %s%n", label, r + 1, result);
                        failures += result.failures;
                        rate[r] = result.rate();
                    }
                    ok &= failures == 0;
                    pipelinedTable.add(String.format(Locale.ROOT, "| %7d | %7d | %13s | %21s | %8s |", workers, callers,
                            integer(median(rate)), integer(min(rate)) + " – " + integer(max(rate)),
                            failuresCell(failures)));
                }
            }
        }

        if (!sequentialTable.isEmpty()) {
            System.out.println();
            System.out.println("sequential latency (1 caller thread), µs per call; median and min – max of the runs:");
            System.out.printf(Locale.ROOT, "| %7s | %12s | %18s | %12s | %18s | %13s | %21s | %8s |%n", "workers",
                    "p50 µs (med)", "p50 µs (min – max)", "p99 µs (med)", "p99 µs (min – max)", "calls/s (med)",
                    "calls/s (min – max)", "failures");
            System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%s|%s|%s|%n", "-".repeat(9), "-".repeat(14), "-".repeat(20),
                    "-".repeat(14), "-".repeat(20), "-".repeat(15), "-".repeat(23), "-".repeat(10));
            sequentialTable.forEach(System.out::println);
        }
        if (!pipelinedTable.isEmpty()) {
            System.out.println();
            System.out.println("pipelined throughput (N caller threads, synchronous calls); median and min – max of the runs:");
            System.out.printf(Locale.ROOT, "| %7s | %7s | %13s | %21s | %8s |%n", "workers", "callers", "calls/s (med)",
                    "calls/s (min – max)", "failures");
            System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%n", "-".repeat(9), "-".repeat(9), "-".repeat(15),
                    "-".repeat(23), "-".repeat(10));
            pipelinedTable.forEach(System.out::println);
        }

        String leaks = leftBehind();
        System.out.println();
        System.out.println(leaks.isEmpty() ? "left behind: nothing" : "left behind: " + leaks);
        ok &= leaks.isEmpty();
        if (!ok) {
            System.out.println("FAILED: see the lines above");
            System.exit(1);
        }
    }

    /**
     * Calls in rounds of {@value #JIT_ROUND_MILLIS} ms, alternating one caller and 16 callers, on one
     * two-worker bridge, until at least {@code minSeconds} have passed and a round compiles for less
     * than {@value #JIT_QUIET_MILLIS} ms and runs within 10% of the rate of the previous round of the
     * same kind; at most {@value #JIT_MAX_SECONDS} s. Returns whether no call failed.
     */
    private static boolean warmUpJit(double minSeconds) throws InterruptedException {
        if (minSeconds <= 0) {
            return true;
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        boolean ok = true;
        double[] previous = {Double.NaN, Double.NaN};
        try (NodeBridge bridge = NodeBridge.start(options(2))) {
            for (int round = 0; ; round++) {
                int callers = round % 2 == 0 ? 1 : 16;
                long compiledBefore = timed ? jit.getTotalCompilationTime() : 0;
                Result result = callers(bridge, 2, callers, JIT_ROUND_MILLIS / 1e3);
                long compiledMillis = timed ? jit.getTotalCompilationTime() - compiledBefore : -1;
                ok &= result.failures == 0;
                double last = previous[round % 2];
                previous[round % 2] = result.rate();
                double took = (System.nanoTime() - start) / 1e9;
                boolean steady = Math.abs(result.rate() - last) <= 0.1 * last
                        && (!timed || compiledMillis < JIT_QUIET_MILLIS);
                System.out.printf(Locale.ROOT, "JIT warm-up round %d, %d caller%s: %s; JIT compiled for %d ms%s%n",
                        round + 1, callers, callers == 1 ? "" : "s", result, compiledMillis, steady ? " (steady)" : "");
                if ((steady && took >= minSeconds) || took >= JIT_MAX_SECONDS) {
                    if (!steady) {
                        System.out.printf(Locale.ROOT, "JIT warm-up: not steady after %.0f s; measuring anyway%n", took);
                    }
                    return ok;
                }
            }
        }
    }

    private static NodeBridgeOptions options(int workers) {
        return NodeBridgeOptions.builder()
                .name("benchmark")
                .nodeExecutable(TestWorkers.node())
                .module(TestWorkers.file("echo.mjs"))
                .minWorkers(workers)
                .maxWorkers(workers)
                .maxInFlightPerWorker(MAX_IN_FLIGHT)
                .maxPending(MAX_PENDING)
                .gracePeriod(Duration.ofSeconds(5))
                .killTimeout(Duration.ofSeconds(2))
                .build();
    }

    /** One sequential run: a fresh one-worker bridge, one thread, every call timed. */
    private static Result sequential(double seconds) {
        Failures failures = new Failures();
        long[] latencies = new long[1 << 16];
        int n = 0;
        long elapsed;
        try (NodeBridge bridge = NodeBridge.start(options(1))) {
            callFor(bridge, TimeUnit.MILLISECONDS.toNanos(RUN_WARMUP_MILLIS), failures);
            long start = System.nanoTime();
            long deadline = start + (long) (seconds * 1e9);
            long before = start;
            while (before < deadline) {
                callOnce(bridge, failures);
                long after = System.nanoTime();
                if (n == latencies.length) {
                    latencies = Arrays.copyOf(latencies, n * 2);
                }
                latencies[n++] = after - before;
                before = after;
            }
            elapsed = before - start;
        }
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        double p50 = (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e3;
        double p99 = sorted[Math.max(0, (int) Math.ceil(n * 0.99) - 1)] / 1e3;
        return new Result(1, 1, n, elapsed / 1e9, failures, p50, p99);
    }

    /** One pipelined run: a fresh bridge of {@code workers}, {@code callers} threads calling in a loop. */
    private static Result pipelined(int workers, int callers, double seconds) throws InterruptedException {
        try (NodeBridge bridge = NodeBridge.start(options(workers))) {
            // The same load, unmeasured, for the fresh node processes' JIT.
            Result warmup = callers(bridge, workers, callers, RUN_WARMUP_MILLIS / 1e3);
            Result result = callers(bridge, workers, callers, seconds);
            return warmup.failures == 0 ? result
                    : new Result(workers, callers, result.calls, result.seconds, result.failures + warmup.failures,
                            "run warm-up: " + warmup.failureText + "; run: " + result.failureText, Double.NaN, Double.NaN);
        }
    }

    /**
     * {@code callers} threads call back to back on {@code bridge} for {@code seconds}; the clock runs
     * from the moment all of them are released until the last one returns.
     */
    private static Result callers(NodeBridge bridge, int workers, int callers, double seconds)
            throws InterruptedException {
        Failures failures = new Failures();
        AtomicLong calls = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        long[] deadline = new long[1];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                calls.addAndGet(callUntil(bridge, deadline[0], failures));
            }, CALLER_THREAD + c);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        ready.await();
        long start = System.nanoTime();
        deadline[0] = start + (long) (seconds * 1e9);
        go.countDown();
        long joinMillis = TimeUnit.SECONDS.toMillis((long) seconds + 120);
        for (Thread t : threads) {
            t.join(joinMillis);
            if (t.isAlive()) {
                failures.add(t.getName() + " did not return within " + joinMillis + " ms");
            }
        }
        long elapsed = System.nanoTime() - start;
        return new Result(workers, callers, calls.get(), elapsed / 1e9, failures, Double.NaN, Double.NaN);
    }

    /** Calls for {@code nanos} without measuring. */
    private static void callFor(NodeBridge bridge, long nanos, Failures failures) {
        callUntil(bridge, System.nanoTime() + nanos, failures);
    }

    /** Calls back to back until {@code deadline}; returns the number of calls that succeeded. */
    private static long callUntil(NodeBridge bridge, long deadline, Failures failures) {
        long n = 0;
        while (System.nanoTime() < deadline) {
            if (callOnce(bridge, failures)) {
                n++;
            }
        }
        return n;
    }

    private static boolean callOnce(NodeBridge bridge, Failures failures) {
        try {
            Echo echo = bridge.call("echo", PARAMS, Echo.class);
            if (echo == null || !TEXT.equals(echo.text())) {
                failures.add("wrong reply: " + echo);
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            failures.add(e.toString());
            return false;
        }
    }

    /** Counts failed calls and keeps the first few messages. Thread-safe. */
    private static final class Failures {
        private final AtomicLong count = new AtomicLong();
        private final List<String> first = new CopyOnWriteArrayList<>();

        void add(String message) {
            if (count.incrementAndGet() <= FAILURES_SHOWN) {
                first.add(message);
            }
        }

        long count() {
            return count.get();
        }

        @Override
        public String toString() {
            return count() == 0 ? "no failures" : "FAILED: " + count() + " failures, first: " + String.join(" | ", first);
        }
    }

    private record Result(int workers, int callers, long calls, double seconds, long failures, String failureText,
            double p50Micros, double p99Micros) {

        Result(int workers, int callers, long calls, double seconds, Failures failures, double p50Micros,
                double p99Micros) {
            this(workers, callers, calls, seconds, failures.count(), failures.toString(), p50Micros, p99Micros);
        }

        double rate() {
            return calls / seconds;
        }

        @Override
        public String toString() {
            String latency = Double.isNaN(p50Micros) ? ""
                    : String.format(Locale.ROOT, ", p50 %.1f µs, p99 %.1f µs", p50Micros, p99Micros);
            return String.format(Locale.ROOT, "%,d calls in %.3f s = %,.0f calls/s%s; %s", calls, seconds, rate(),
                    latency, failureText);
        }
    }

    private static String nodeVersion() {
        try {
            Process node = new ProcessBuilder(TestWorkers.node(), "--version").redirectErrorStream(true).start();
            String version;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(),
                    StandardCharsets.UTF_8))) {
                version = out.readLine();
            }
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                node.waitFor(10, TimeUnit.SECONDS);
            }
            return version == null ? "?" : version;
        } catch (Exception e) {
            return "? (" + e + ")";
        }
    }

    private static String leftBehind() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String leaks = NoLeaks.describeLeaks();
        while (!leaks.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            leaks = NoLeaks.describeLeaks();
        }
        List<String> callers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(CALLER_THREAD))
                .map(Thread::getName)
                .toList();
        return callers.isEmpty() ? leaks : (leaks.isEmpty() ? "" : leaks + ", ") + "caller threads " + callers;
    }

    private static String failuresCell(long failures) {
        return failures == 0 ? "0" : failures + " FAIL";
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static String integer(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String decimal(double value) {
        return String.format(Locale.ROOT, "%,.1f", value);
    }
}
