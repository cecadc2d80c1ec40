package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.core.type.TypeReference;

/**
 * {@code processio.worker.limits.*} on real workers: a worker over its memory, CPU-time, open-file
 * or process limit is stopped by it and replaced, the call it held fails naming the limit, and the
 * other workers and the JVM carry on. Linux only, with prlimit on the PATH.
 */
@ExtendWith(NoLeaks.class)
class WorkerLimitsTests {

    private static final long MIB = 1024 * 1024;
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final Pattern USED = Pattern.compile("used [0-9.]+ MiB \\((\\d+) bytes\\)");

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void linuxWithPrlimit() {
        assumeTrue(System.getProperty("os.name").toLowerCase().startsWith("linux"), "Linux only");
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
    }

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    // ---- memory -----------------------------------------------------------------------------------

    @Test
    void anAllocatorIsKilledAtItsMemoryLimitAndReplacedWhileTheOtherWorkerServes() throws Exception {
        long limit = 200 * MIB;
        NodeBridge bridge = bridge(b -> b.minWorkers(2).maxWorkers(2).limitsMemory(limit)
                .waitDuration(Duration.ofMillis(200)));
        List<Long> before = pids(bridge);

        CompletableFuture<Object> allocating = bridge.callAsync("allocate", Map.of("chunkMib", 8), Object.class,
                CallOptions.timeout(BOUND));
        await().atMost(BOUND).until(() -> bridge.snapshot().workers().stream().anyMatch(w -> w.inFlight() > 0));
        long victim = bridge.snapshot().workers().stream().filter(w -> w.inFlight() > 0).findFirst().orElseThrow()
                .pid();

        // The other worker answers throughout.
        AtomicInteger answered = new AtomicInteger();
        while (!allocating.isDone()) {
            assertThat(bridge.call("pid", null, Long.class)).isNotEqualTo(victim);
            answered.incrementAndGet();
        }
        assertThat(answered).hasPositiveValue();

        Throwable failure = failureOf(allocating);
        assertThat(failure).isInstanceOf(WorkerLostException.class);
        assertThat(failure.getMessage())
                .contains("processio.worker.limits.memory (200 MiB")
                .contains("resident memory")
                .contains("killed with SIGKILL");
        assertThat(((WorkerLostException) failure).signal()).isEqualTo(9);
        Matcher used = USED.matcher(failure.getMessage());
        assertThat(used.find()).as(failure.getMessage()).isTrue();
        long measured = Long.parseLong(used.group(1));
        System.out.printf("memory limit %d MiB: killed at %.1f MiB, %.1f MiB over%n", limit / MIB,
                measured / (double) MIB, (measured - limit) / (double) MIB);
        assertThat(measured).isGreaterThan(limit).isLessThan(limit + 200 * MIB);

        // Replaced by the pool's respawn path, the other worker untouched.
        await().atMost(BOUND).untilAsserted(() -> {
            List<Long> now = readyPids(bridge);
            assertThat(now).hasSize(2).doesNotContain(victim);
            assertThat(now).containsAnyElementsOf(before);
        });
        assertThat(bridge.snapshot().workers()).anySatisfy(w -> {
            assertThat(w.restarts()).containsEntry(RestartCause.CRASH, 1L);
            assertThat(w.lastError()).contains("processio.worker.limits.memory");
        });
        assertThat(bridge.call("pid", null, Long.class)).isPositive();
    }

    @Test
    void anAllocatorThatNeverYieldsIsKilledSoonAfterItPassesTheLimit() throws Exception {
        long limit = 200 * MIB;
        NodeBridge bridge = bridge(b -> b.limitsMemory(limit).waitDuration(Duration.ofMillis(200)));
        long victim = pids(bridge).get(0);

        Throwable failure = failureOf(bridge.callAsync("allocate", Map.of("chunkMib", 8, "sync", true), Object.class,
                CallOptions.timeout(BOUND)));

        assertThat(failure).isInstanceOf(WorkerLostException.class);
        Matcher used = USED.matcher(failure.getMessage());
        assertThat(used.find()).as(failure.getMessage()).isTrue();
        long measured = Long.parseLong(used.group(1));
        System.out.printf("memory limit %d MiB, allocator that never yields: killed at %.1f MiB, %.1f MiB over%n",
                limit / MIB, measured / (double) MIB, (measured - limit) / (double) MIB);
        // One check interval of a fast allocator; generous, for a busy machine.
        assertThat(measured).isGreaterThan(limit).isLessThan(limit + 200 * MIB);
        await().atMost(BOUND).untilAsserted(() -> assertThat(readyPids(bridge)).hasSize(1).doesNotContain(victim));
    }

    @Test
    void nodeWorkersGetAHeapOfHalfTheLimitAndAGrowingHeapEndsNamingTheLimit() throws Exception {
        NodeBridge bridge = bridge(b -> b.limitsMemory(200 * MIB).waitDuration(Duration.ofMillis(200)));
        List<String> argv = bridge.call("argv", null, new TypeReference<List<String>>() { });
        assertThat(argv).contains("--max-old-space-size=100");
        long victim = pids(bridge).get(0);

        Throwable failure = failureOf(bridge.callAsync("growHeap", null, Object.class, CallOptions.timeout(BOUND)));

        // V8's own heap limit, or the watch if the tree gets there first: either names the key.
        assertThat(failure).isInstanceOf(WorkerLostException.class);
        assertThat(failure.getMessage()).contains("processio.worker.limits.memory");
        await().atMost(BOUND).untilAsserted(() -> assertThat(readyPids(bridge)).hasSize(1).doesNotContain(victim));
    }

    @Test
    void aHeapSizeInTheNodeOptionsIsKept() {
        NodeBridge bridge = bridge(b -> b.limitsMemory(200 * MIB).nodeOptions(List.of("--max-old-space-size=64")));
        List<String> argv = bridge.call("argv", null, new TypeReference<List<String>>() { });
        assertThat(argv).contains("--max-old-space-size=64").doesNotContain("--max-old-space-size=100");
    }

    // ---- rlimits through prlimit ---------------------------------------------------------------------

    @Test
    void aSpinningWorkerIsEndedByItsCpuTimeLimitAndKeepsItsPidUnderPrlimit() throws Exception {
        NodeBridge bridge = bridge(b -> b.limitsCpuTime(Duration.ofSeconds(1)).waitDuration(Duration.ofMillis(200)));
        long pid = pids(bridge).get(0);
        // prlimit execs the worker: the process processio started is the one that serves.
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(pid);

        Throwable failure = failureOf(bridge.callAsync("spin", null, Object.class, CallOptions.timeout(BOUND)));

        assertThat(failure).isInstanceOf(WorkerLostException.class);
        assertThat(((WorkerLostException) failure).signal()).isEqualTo(24);
        assertThat(failure.getMessage()).contains("signal 24 (SIGXCPU)").contains("processio.worker.limits.cpu-time");
        await().atMost(BOUND).untilAsserted(() -> assertThat(readyPids(bridge)).hasSize(1).doesNotContain(pid));
    }

    @Test
    void anOpenPastTheOpenFilesLimitFailsWithEmfileInTheWorker() {
        NodeBridge bridge = bridge(b -> b.limitsOpenFiles(64));
        Map<String, Object> result = bridge.call("openFiles", null, new TypeReference<Map<String, Object>>() { });
        assertThat(result.get("code")).isEqualTo("EMFILE");
        assertThat(((Number) result.get("opened")).intValue()).isPositive().isLessThan(64);
        // The worker lives on.
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(pids(bridge).get(0));
    }

    @Test
    void aTreeThatForksPastTheProcessLimitIsKilledAndReplaced() {
        // The worker and its 4 children are 5: only the last child takes the tree past 4, so a look at
        // the tree while the children are still being started cannot see it over the limit earlier.
        NodeBridge bridge = bridge(b -> b.limitsProcesses(4).waitDuration(Duration.ofMillis(200)));
        long pid = pids(bridge).get(0);

        List<Long> children = bridge.call("spawnChildren", Map.of("count", 4), new TypeReference<List<Long>>() { });
        NoLeaks.watch(children.stream().map(ProcessHandle::of).flatMap(java.util.Optional::stream).toList());

        await().atMost(BOUND).untilAsserted(() -> {
            assertThat(readyPids(bridge)).hasSize(1).doesNotContain(pid);
            assertThat(children).noneMatch(c -> ProcessHandle.of(c).filter(NoLeaks::running).isPresent());
        });
        WorkerSnapshot w = bridge.snapshot().workers().get(0);
        assertThat(w.lastError()).contains("processio.worker.limits.processes (4)").contains("5 processes");
        assertThat(w.restarts()).containsEntry(RestartCause.CRASH, 1L);
    }

    // ---- start-up --------------------------------------------------------------------------------------

    @Test
    void theStartUpLogSaysWhichMechanismEnforcesEachLimit() {
        AtomicBoolean started = new AtomicBoolean();
        String log = stderrOf(() -> {
            bridge(b -> b.limitsMemory(256 * MIB).limitsCpuTime(Duration.ofSeconds(30)).limitsOpenFiles(256)
                    .limitsProcesses(50));
            started.set(true);
        });
        assertThat(started).isTrue();
        assertThat(log).containsOnlyOnce("worker limits:");
        assertThat(log).contains("[test] worker limits: processio.worker.limits.memory=256 MiB: resident memory of"
                        + " the whole process tree")
                .contains("Node workers get --max-old-space-size=128")
                .contains("processio.worker.limits.cpu-time=30s: RLIMIT_CPU through ")
                .contains("processio.worker.limits.open-files=256: RLIMIT_NOFILE through ")
                .contains("processio.worker.limits.processes=50: a count of the process tree");
        assertThat(log).contains("per process");
    }

    @Test
    void aMemoryLimitBelowWhatAWorkerNeedsToStartFailsTheStartNamingIt() {
        NodeBridgeOptions options = NodeBridgeOptions.builder().name("test").nodeExecutable(TestWorkers.node())
                .module(TestWorkers.file("limits.mjs")).limitsMemory(8 * MIB).build();
        assertThatThrownBy(() -> bridges.add(NodeBridge.start(options)))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> assertThat(e.reason())
                        .isEqualTo(BridgeStartupException.Reason.EXITED_BEFORE_READY))
                .hasMessageContaining("broke before it was ready")
                .hasMessageContaining("more than processio.worker.limits.memory (8 MiB");
    }

    @Test
    void aLimitAboveWhatTheUserMaySetFailsTheStartNamingTheKeys() {
        // Above the kernel's fs.nr_open, which binds root too.
        NodeBridgeOptions options = NodeBridgeOptions.builder().name("test").nodeExecutable(TestWorkers.node())
                .module(TestWorkers.file("limits.mjs")).limitsOpenFiles(Integer.MAX_VALUE).build();
        assertThatThrownBy(() -> bridges.add(NodeBridge.start(options)))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> assertThat(e.reason())
                        .isEqualTo(BridgeStartupException.Reason.LIMITS_UNAVAILABLE))
                .hasMessageContaining("prlimit could not set a limit (prlimit: failed to set the NOFILE resource limit")
                .hasMessageContaining("processio.worker.limits.open-files");
    }

    @Test
    void aMissingProgramBehindPrlimitIsReportedAsWithoutIt() {
        NodeBridgeOptions options = NodeBridgeOptions.builder().name("test").nodeExecutable("/nonexistent/no-node")
                .module(TestWorkers.file("limits.mjs")).limitsOpenFiles(256).build();
        assertThatThrownBy(() -> bridges.add(NodeBridge.start(options)))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> assertThat(e.reason())
                        .isEqualTo(BridgeStartupException.Reason.COMMAND_NOT_FOUND))
                .hasMessageContaining("program '/nonexistent/no-node' was not found")
                .hasMessageContaining("processio.node.executable");
    }

    @Test
    void unsetLimitsAddNoWrapperAndNoHeapOption() {
        NodeBridge bridge = bridge(b -> b);
        List<String> argv = bridge.call("argv", null, new TypeReference<List<String>>() { });
        assertThat(argv).noneMatch(a -> a.startsWith("--max-old-space-size"));
        long pid = pids(bridge).get(0);
        String command = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("");
        assertThat(command).doesNotContain("prlimit");
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private NodeBridge bridge(UnaryOperator<NodeBridgeOptions.Builder> change) {
        NodeBridge bridge = NodeBridge.start(change.apply(NodeBridgeOptions.builder().name("test")
                .nodeExecutable(TestWorkers.node()).module(TestWorkers.file("limits.mjs"))
                .killTimeout(Duration.ofSeconds(2)).gracePeriod(Duration.ofSeconds(2))).build());
        bridges.add(bridge);
        return bridge;
    }

    private static List<Long> pids(NodeBridge bridge) {
        return bridge.snapshot().workers().stream().map(WorkerSnapshot::pid).filter(p -> p > 0).toList();
    }

    private static List<Long> readyPids(NodeBridge bridge) {
        return bridge.snapshot().workers().stream().filter(w -> w.state() == WorkerState.READY)
                .map(WorkerSnapshot::pid).toList();
    }

    private static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        try {
            future.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("the call succeeded");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** What the test logger (slf4j-simple, which writes to the current {@code System.err}) printed. */
    private static String stderrOf(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        original.print(bytes.toString(StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
