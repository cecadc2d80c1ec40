package dev.processio.bench;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.databind.json.JsonMapper;

/**
 * Java-side cost of one sequential 100 B {@code echo} call, for processio and the hand-written Java
 * client. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per call by
 * all threads of the benchmark JVM (caller, writer, reader). {@code bench/run} does this after the
 * harness.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AllocationBenchmark {

    @Param({"processio", "java-client"})
    public String impl;

    private Path dir;
    private NodeBridge bridge;
    private JavaPipeClient client;
    private final Map<String, String> params = BenchRun.params(100);

    @Setup(Level.Trial)
    public void start() throws IOException {
        dir = Files.createTempDirectory("processio-jmh");
        copy(BenchRun.WORKER_RESOURCE, dir.resolve("processio-worker.mjs"));
        copy("/dev/processio/bench/echo.mjs", dir.resolve("echo.mjs"));
        String node = BenchRun.nodeExecutable();
        if (impl.equals("processio")) {
            bridge = NodeBridge.start(NodeBridgeOptions.builder().name("jmh").nodeExecutable(node)
                    .module(dir.resolve("echo.mjs")).minWorkers(1).maxWorkers(1)
                    .gracePeriod(Duration.ofSeconds(5)).shutdownHook(false).build());
        } else {
            client = JavaPipeClient.start(List.of(node, dir.resolve("processio-worker.mjs").toString(),
                    dir.resolve("echo.mjs").toString()), 1, true, JsonMapper.builder().build());
        }
    }

    @Benchmark
    public BenchRun.Echo echo() {
        return bridge != null ? bridge.call("echo", params, BenchRun.Echo.class)
                : client.call("echo", params, BenchRun.Echo.class);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        if (bridge != null) {
            bridge.close();
        }
        if (client != null) {
            client.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = AllocationBenchmark.class.getResourceAsStream(resource)) {
            Files.copy(in, target);
        }
    }
}
