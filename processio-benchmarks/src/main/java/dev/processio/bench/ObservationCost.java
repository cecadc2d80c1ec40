package dev.processio.bench;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an Observation per call costs: sequential 100 B {@code echo} calls through one worker of
 * the bundled Node runtime, for three pools measured in turn, in an order that rotates from run to
 * run: no registry; a registry without handlers (observations made, then dropped); and a registry
 * with Micrometer's {@link DefaultMeterObservationHandler}, which times each call as the Spring Boot
 * starter does when the application has metrics but no tracing. Figures are medians over the runs
 * with their range; ratios are the medians of each run's own ratio against no registry.
 *
 * <p>Not thread-safe: one thread runs it.
 */
public final class ObservationCost {

    private static final List<String> CONTENDERS = List.of("no registry", "registry, no handler",
            "registry, timer handler");

    private final BenchRun.Options options;
    private final PrintStream out;
    private final List<String> failures = new ArrayList<>();

    private ObservationCost(BenchRun.Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) throws Exception {
        return new ObservationCost(BenchRun.Options.parse(args), out).report();
    }

    private int report() throws Exception {
        long began = System.nanoTime();
        Path dir = Files.createTempDirectory("processio-bench-observation-");
        Map<String, List<BenchRun.Measure>> results = new LinkedHashMap<>();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        CONTENDERS.forEach(c -> {
            results.put(c, new ArrayList<>());
            ratios.put(c, new ArrayList<>());
        });
        out.printf(Locale.ROOT, "processio benchmarks: observation, %d runs of %.2f s per contender; java %s, node %s,"
                + " %d CPUs, %s%n", options.runs(), options.seconds(), System.getProperty("java.version"),
                BenchRun.nodeVersion(BenchRun.nodeExecutable()), Runtime.getRuntime().availableProcessors(),
                Instant.now());
        List<NodeBridge> bridges = new ArrayList<>();
        try {
            BenchRun.extract("/dev/processio/bench/echo.mjs", dir.resolve("echo.mjs"));
            bridges.add(start(dir, null));
            bridges.add(start(dir, ObservationRegistry.create()));
            ObservationRegistry timed = ObservationRegistry.create();
            timed.observationConfig().observationHandler(new DefaultMeterObservationHandler(new SimpleMeterRegistry()));
            bridges.add(start(dir, timed));
            Map<String, String> params = BenchRun.params(100);
            for (NodeBridge bridge : bridges) {
                BenchRun.sequential(options.smoke() ? 0.02 : 1, Long.MAX_VALUE, 100, () -> echo(bridge, params));
            }
            for (int run = 0; run < options.runs(); run++) {
                BenchRun.Measure[] ms = new BenchRun.Measure[bridges.size()];
                for (int k = 0; k < bridges.size(); k++) {
                    int i = (run + k) % bridges.size();
                    NodeBridge bridge = bridges.get(i);
                    ms[i] = BenchRun.sequential(options.seconds(), options.smoke() ? 20 : Long.MAX_VALUE, 100,
                            () -> echo(bridge, params));
                }
                for (int i = 0; i < ms.length; i++) {
                    results.get(CONTENDERS.get(i)).add(ms[i]);
                    ratios.get(CONTENDERS.get(i)).add(ms[i].p50Micros() / ms[0].p50Micros());
                    out.printf(Locale.ROOT, "run %d, %s: %s%n", run + 1, CONTENDERS.get(i), ms[i]);
                }
            }
        } finally {
            bridges.forEach(NodeBridge::close);
            BenchRun.deleteTree(dir);
        }
        out.println();
        out.println("| scenario | median | range (min – max) |");
        out.println("|---|---:|---:|");
        for (String c : CONTENDERS) {
            double[] p50 = results.get(c).stream().mapToDouble(BenchRun.Measure::p50Micros).sorted().toArray();
            out.printf(Locale.ROOT, "| sequential 100 B, %s: median latency | %.1f µs | %.1f – %.1f µs |%n", c,
                    BenchRun.median(p50), p50[0], p50[p50.length - 1]);
        }
        for (String c : CONTENDERS.subList(1, CONTENDERS.size())) {
            double[] r = ratios.get(c).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            out.printf(Locale.ROOT, "| %s / no registry: median latency | %.2fx | %.2f – %.2fx |%n", c,
                    BenchRun.median(r), r[0], r[r.length - 1]);
        }
        return BenchRun.summary(out, failures, began);
    }

    private NodeBridge start(Path dir, ObservationRegistry registry) {
        return NodeBridge.start(NodeBridgeOptions.builder().name("observation").module(dir.resolve("echo.mjs"))
                .nodeExecutable(BenchRun.nodeExecutable()).minWorkers(1).maxWorkers(1).shutdownHook(false)
                .observationRegistry(registry).build());
    }

    private void echo(NodeBridge bridge, Map<String, String> params) {
        Object result = bridge.call("echo", params, Map.class);
        if (!params.equals(result)) {
            failures.add("echo answered " + result);
        }
    }
}
