package dev.processio.bench;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * What a cancelled call costs the worker: the CPU time (user + system) the worker spends per call
 * when every call is cancelled while it runs, against the same calls answered normally.
 *
 * <p>The worker serves two methods of {@code cancel-cost.mjs}: {@code quick}, answered at once,
 * and {@code wait}, which waits on a timer and its {@code AbortSignal}. A cancelled {@code wait}
 * costs the worker what it costs to read the request, start the timer, read the cancel
 * notification, abort, and write the rejection (a reply the host drops as late). One thread issues
 * the calls, {@value #IN_FLIGHT} in flight; a {@code wait} is cancelled as soon as the worker holds
 * it, so that its place on the worker is freed by the worker's answer, not by the grace.
 *
 * <p>Each run measures both contenders, in an order that rotates from run to run; figures are
 * medians over the runs, with their range. Not thread-safe: one thread runs it.
 */
public final class CancelCost {

    private static final int IN_FLIGHT = 16;
    private static final String MODULE = """
            // quick: answered at once. wait: a timer the caller's cancel ends through the AbortSignal.
            export function quick() {
              return 1;
            }
            export function wait({ ms }, { signal }) {
              return new Promise((resolve, reject) => {
                const timer = setTimeout(() => resolve(1), ms);
                signal.addEventListener('abort', () => {
                  clearTimeout(timer);
                  reject(signal.reason);
                }, { once: true });
              });
            }
            """;

    private final BenchRun.Options options;
    private final PrintStream out;
    private final List<String> failures = new ArrayList<>();

    private CancelCost(BenchRun.Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) throws Exception {
        return new CancelCost(BenchRun.Options.parse(args), out).report();
    }

    /** One measurement: calls per second, and the worker's CPU µs per call. */
    private record Figures(double callsPerSecond, double workerCpuMicros) {
    }

    private int report() throws Exception {
        long began = System.nanoTime();
        Path dir = Files.createTempDirectory("processio-bench-cancel-");
        List<Figures> answered = new ArrayList<>();
        List<Figures> cancelled = new ArrayList<>();
        try {
            Path module = dir.resolve("cancel-cost.mjs");
            Files.writeString(module, MODULE, StandardCharsets.UTF_8);
            NodeBridgeOptions pool = NodeBridgeOptions.builder().name("cancel").module(module)
                    .nodeExecutable(BenchRun.nodeExecutable()).minWorkers(1).maxWorkers(1)
                    .maxInFlightPerWorker(IN_FLIGHT).shutdownHook(false).build();
            out.printf(Locale.ROOT, "processio benchmarks: cancel, %d runs of %.2f s per contender; java %s, node %s,"
                    + " %d CPUs, %s%n", options.runs(), options.seconds(), System.getProperty("java.version"),
                    BenchRun.nodeVersion(BenchRun.nodeExecutable()), Runtime.getRuntime().availableProcessors(),
                    Instant.now());
            try (NodeBridge bridge = NodeBridge.start(pool)) {
                ProcessHandle worker = ProcessHandle.of(bridge.snapshot().workers().get(0).pid()).orElseThrow();
                // Warm-up of both paths, on this JVM and in the worker.
                measure(bridge, worker, false, options.smoke() ? 0.02 : 1);
                measure(bridge, worker, true, options.smoke() ? 0.02 : 1);
                for (int run = 0; run < options.runs(); run++) {
                    boolean cancelFirst = run % 2 == 1;
                    for (int k = 0; k < 2; k++) {
                        boolean cancel = (k == 0) == cancelFirst;
                        Figures f = measure(bridge, worker, cancel, options.seconds());
                        (cancel ? cancelled : answered).add(f);
                        out.printf(Locale.ROOT, "run %d, %s: %.0f calls/s, worker CPU %.1f µs per call%n", run + 1,
                                cancel ? "cancelled while running" : "answered", f.callsPerSecond(),
                                f.workerCpuMicros());
                    }
                }
                if (worker.pid() != bridge.snapshot().workers().get(0).pid()) {
                    failures.add("the worker was replaced during the run");
                }
            }
        } finally {
            BenchRun.deleteTree(dir);
        }
        out.println();
        out.println("| scenario | median | range (min – max) |");
        out.println("|---|---:|---:|");
        row("answered, " + IN_FLIGHT + " in flight: calls/s", answered, Figures::callsPerSecond, "%,.0f");
        row("cancelled while running, " + IN_FLIGHT + " in flight: calls/s", cancelled, Figures::callsPerSecond,
                "%,.0f");
        row("answered: worker CPU per call", answered, Figures::workerCpuMicros, "%.1f µs");
        row("cancelled while running: worker CPU per call", cancelled, Figures::workerCpuMicros, "%.1f µs");
        return BenchRun.summary(out, failures, began);
    }

    private void row(String label, List<Figures> figures, java.util.function.ToDoubleFunction<Figures> f,
            String format) {
        double[] values = figures.stream().mapToDouble(f).sorted().toArray();
        out.printf(Locale.ROOT, "| %s | " + format + " | " + format + " – " + format + " |%n", label,
                BenchRun.median(values), values[0], values[values.length - 1]);
    }

    /**
     * Calls for {@code seconds}, {@value #IN_FLIGHT} in flight: {@code quick}, or {@code wait}
     * cancelled once its worker holds it. Every call must end as it should: a result of 1, or
     * cancelled.
     */
    private Figures measure(NodeBridge bridge, ProcessHandle worker, boolean cancel, double seconds)
            throws InterruptedException {
        Semaphore room = new Semaphore(IN_FLIGHT);
        double cpuBefore = cpuMicros(worker);
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long calls = 0;
        while (System.nanoTime() - end < 0) {
            room.acquire();
            calls++;
            CompletableFuture<Integer> call = cancel
                    ? bridge.callAsync("wait", Map.of("ms", 60_000), Integer.class)
                    : bridge.callAsync("quick", null, Integer.class);
            if (cancel) {
                call.cancel(true);
            }
            call.whenComplete((value, error) -> {
                boolean ok = cancel ? error instanceof CancellationException : Integer.valueOf(1).equals(value);
                if (!ok) {
                    synchronized (failures) {
                        failures.add((cancel ? "wait" : "quick") + " ended with " + (error != null ? error : value));
                    }
                }
                if (!cancel) {
                    room.release();
                }
            });
            if (cancel) {
                // Its place on the worker is free again once the worker has answered the cancel.
                awaitFree(bridge, IN_FLIGHT);
                room.release();
            }
        }
        // Every call has ended, and the worker has answered every cancelled one.
        room.acquire(IN_FLIGHT);
        awaitFree(bridge, 1);
        long nanos = System.nanoTime() - start;
        return new Figures(calls / (nanos / 1e9), (cpuMicros(worker) - cpuBefore) / calls);
    }

    /** Waits until the worker holds fewer than {@code limit} requests. */
    private static void awaitFree(NodeBridge bridge, int limit) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (bridge.snapshot().workers().get(0).inFlight() >= limit) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the worker did not answer its cancelled calls within 30 s");
            }
            // Parked, not spinning: on a small machine a spinning thread takes the worker's CPU.
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    /** The process's user + system CPU time so far, in µs. */
    private static double cpuMicros(ProcessHandle p) {
        Optional<Duration> cpu = p.info().totalCpuDuration();
        return cpu.map(d -> d.toNanos() / 1e3).orElse(Double.NaN);
    }
}
