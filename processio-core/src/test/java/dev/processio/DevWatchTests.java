package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code processio.dev.watch} with real Node workers: a saved module is served without a failed
 * call, a module that does not load leaves the old workers serving, and nothing outlives close().
 */
@ExtendWith(NoLeaks.class)
class DevWatchTests {

    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeBridges() {
        bridges.forEach(NodeBridge::close);
    }

    @Test
    void aSavedModuleIsServedWithoutAFailedCall() throws Exception {
        Path module = write("version.mjs", version(1));
        NodeBridge bridge = start(module, true);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        seen.add(bridge.call("version", null, Integer.class));
                        calls.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }, "caller-" + i);
            t.start();
            callers.add(t);
        }
        try {
            await().atMost(BOUND).until(() -> calls.get() > 50);
            write("version.mjs", version(2));
            await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().reloads() == 1);
            int before = calls.get();
            await().atMost(BOUND).until(() -> calls.get() > before + 50);
        } finally {
            stop.set(true);
            for (Thread t : callers) {
                t.join();
            }
        }
        assertThat(failures).isEmpty();
        assertThat(seen).containsExactlyInAnyOrder(1, 2);
        // Every worker was replaced: from now on only the new module answers.
        for (int i = 0; i < 20; i++) {
            assertThat(bridge.call("version", null, Integer.class)).isEqualTo(2);
        }
        DevWatchSnapshot watch = bridge.snapshot().devWatch();
        assertThat(watch.lastChanged()).containsExactly("version.mjs");
        assertThat(watch.lastError()).isNull();
        assertThat(watch.directory()).isEqualTo(temp.toAbsolutePath());
        assertThat(bridge.snapshot().restarts()).containsEntry(RestartCause.MANUAL, 2L);
    }

    @Test
    void aSlotWhoseRecycleIsUnderWayIsReplacedAgainWithTheChangedModule() throws Exception {
        // Beside the module, made before the watch starts: what the workers write in it is no change.
        Path side = Files.createDirectories(temp.resolve("side"));
        Path module = write("version.mjs", slowVersion(1));
        NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("devwatch")
                .nodeExecutable(TestWorkers.node()).module(module).minWorkers(1).maxWorkers(1)
                .environment("SIDE", side.toString()).killTimeout(Duration.ofSeconds(2))
                .gracePeriod(Duration.ofSeconds(2)).devWatch(true).build());
        bridges.add(bridge);
        long first = pids(bridge).iterator().next();
        Files.createFile(side.resolve("slow"));
        // A recycle whose replacement has read the module as it was, and is still starting ...
        var recycled = bridge.recycle(1);
        await().atMost(BOUND).until(() -> loaded(side).size() == 2);
        // ... when the module changes: the reload waits for it, then replaces that worker too.
        write("version.mjs", slowVersion(2));
        await().atMost(BOUND).until(() -> bridge.call("version", null, Integer.class) == 2);
        recycled.get();
        assertThat(loaded(side)).hasSize(3);
        assertThat(pids(bridge)).doesNotContain(first);
        assertThat(bridge.snapshot().devWatch().failedReloads()).isZero();
    }

    @Test
    void aLaterWorkerThatCannotTakeTheChangeIsNamedAndTheOthersGoOn() throws Exception {
        Path side = Files.createDirectories(temp.resolve("side"));
        Path module = write("version.mjs", version(1));
        NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("devwatch")
                .nodeExecutable(TestWorkers.node()).module(module).minWorkers(2).maxWorkers(2)
                .environment("SIDE", side.toString()).killTimeout(Duration.ofSeconds(2))
                .gracePeriod(Duration.ofSeconds(2)).devWatch(true).build());
        bridges.add(bridge);
        // The probe loads this version; every process after it refuses to.
        write("version.mjs", "import { writeFileSync } from 'node:fs';\n"
                + "writeFileSync(`${process.env.SIDE}/once`, '', { flag: 'wx' });\n" + version(2));
        await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().failedReloads() == 1);
        DevWatchSnapshot watch = bridge.snapshot().devWatch();
        assertThat(watch.lastError()).startsWith("the module loads, but not every worker took it: worker 2: ")
                .contains("EEXIST");
        Set<Integer> served = ConcurrentHashMap.newKeySet();
        await().atMost(BOUND).until(() -> {
            // Two at once: the second goes to the other worker.
            var one = bridge.callAsync("version", null, Integer.class);
            var two = bridge.callAsync("version", null, Integer.class);
            served.add(one.get());
            served.add(two.get());
            return served.size() == 2;
        });
        assertThat(served).containsExactlyInAnyOrder(1, 2);

        write("version.mjs", version(3));
        await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().reloads() == 1);
        for (int i = 0; i < 10; i++) {
            assertThat(bridge.call("version", null, Integer.class)).isEqualTo(3);
        }
        assertThat(bridge.snapshot().devWatch().lastError()).isNull();
    }

    /** A module that says which process loaded it, then starts slowly while {@code $SIDE/slow} exists. */
    private static String slowVersion(int n) {
        return "import { existsSync, writeFileSync } from 'node:fs';\n"
                + "writeFileSync(`${process.env.SIDE}/loaded-${process.pid}`, '');\n"
                + "if (existsSync(`${process.env.SIDE}/slow`)) await new Promise((r) => setTimeout(r, 1500));\n"
                + "export function version() {\n  return " + n + ";\n}\n";
    }

    private static List<Path> loaded(Path side) throws IOException {
        try (var files = Files.list(side)) {
            return files.filter(f -> f.getFileName().toString().startsWith("loaded-")).toList();
        }
    }

    @Test
    void aModuleThatNoLongerLoadsLeavesTheOldWorkersServingUntilItIsFixed() throws Exception {
        Path module = write("version.mjs", version(1));
        NodeBridge bridge = start(module, true);
        Set<Long> pids = pids(bridge);
        String log = capturingStderr(() -> {
            write("version.mjs", "export function version() {\n  return 2 )\n}\n");
            await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().failedReloads() == 1);
        });
        DevWatchSnapshot watch = bridge.snapshot().devWatch();
        assertThat(watch.lastError()).startsWith(module.toAbsolutePath() + ":2: SyntaxError");
        assertThat(log).contains("version.mjs changed, and the module does not load now: " + watch.lastError());
        assertThat(bridge.call("version", null, Integer.class)).isEqualTo(1);
        assertThat(pids(bridge)).isEqualTo(pids);
        assertThat(bridge.snapshot().workers()).allSatisfy(w -> assertThat(w.state()).isEqualTo(WorkerState.READY));
        assertThat(bridge.snapshot().workers().get(0).lastError()).contains("version.mjs:2");

        write("version.mjs", version(3));
        await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().reloads() == 1);
        assertThat(bridge.call("version", null, Integer.class)).isEqualTo(3);
        assertThat(bridge.snapshot().devWatch().lastError()).isNull();
        assertThat(pids(bridge)).doesNotContainAnyElementsOf(pids);
    }

    @Test
    void aPythonModuleIsReloadedAndItsErrorNamesTheFileAndLine() throws Exception {
        Path module = write("handlers.py", "def version():\n    return 1\n");
        NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("devwatch")
                .pythonExecutable(RuntimeConformanceTests.python()).pythonModule(module).minWorkers(1).maxWorkers(1)
                .killTimeout(Duration.ofSeconds(2)).gracePeriod(Duration.ofSeconds(2)).devWatch(true).build());
        bridges.add(bridge);
        assertThat(bridge.call("version", null, Integer.class)).isEqualTo(1);
        write("handlers.py", "def version(:\n    return 2\n");
        await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().failedReloads() == 1);
        assertThat(bridge.snapshot().devWatch().lastError())
                .startsWith(module.toAbsolutePath() + ":1: SyntaxError");
        assertThat(bridge.call("version", null, Integer.class)).isEqualTo(1);
        write("handlers.py", "def version():\n    return 3\n");
        await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().reloads() == 1);
        assertThat(bridge.call("version", null, Integer.class)).isEqualTo(3);
    }

    @Test
    void aDirectoryThatIsDeletedAndMadeAgainIsWatchedAgain() throws Exception {
        Path directory = Files.createDirectories(temp.resolve("classes/js"));
        Path module = Files.writeString(directory.resolve("version.mjs"), version(1));
        NodeBridge bridge = start(module, true);
        // A clean build: the directory goes, the old workers serve on, then the build writes it again.
        Files.delete(module);
        Files.delete(directory);
        assertThat(bridge.call("version", null, Integer.class)).isEqualTo(1);
        Files.createDirectories(directory);
        Files.writeString(module, version(2));
        await().atMost(BOUND).until(() -> bridge.call("version", null, Integer.class) == 2);
        await().atMost(BOUND).until(() -> bridge.snapshot().devWatch().reloads() >= 1);
        assertThat(bridge.snapshot().devWatch().failedReloads()).isZero();
    }

    @Test
    void withoutTheOptionNothingIsWatched() throws Exception {
        Path module = write("version.mjs", version(1));
        NodeBridge bridge = start(module, false);
        assertThat(watchThreads()).isEmpty();
        assertThat(bridge.snapshot().devWatch()).isNull();
    }

    @Test
    void closeStopsTheWatchThread() throws Exception {
        NodeBridge bridge = start(write("version.mjs", version(1)), true);
        assertThat(watchThreads()).containsExactly("processio-devwatch-watch");
        bridge.close();
        assertThat(watchThreads()).isEmpty();
    }

    /**
     * Save to serving: how long after a module is written a call returns what the new module
     * returns, and how long until every worker runs it. Printed, for the README.
     */
    @Test
    void saveToServingTime() throws Exception {
        Path module = write("version.mjs", version(0));
        NodeBridge bridge = start(module, true);
        int runs = 9;
        List<Long> firstServed = new ArrayList<>();
        List<Long> allServed = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            int expected = run;
            long written = System.nanoTime();
            write("version.mjs", version(run));
            long served = 0;
            while (served == 0) {
                if (bridge.call("version", null, Integer.class) == expected) {
                    served = System.nanoTime();
                }
                assertThat(Duration.ofNanos(System.nanoTime() - written)).isLessThan(BOUND);
            }
            firstServed.add((served - written) / 1_000_000);
            await().atMost(BOUND).pollInterval(Duration.ofMillis(5))
                    .until(() -> bridge.snapshot().devWatch().reloads() == expected);
            allServed.add((System.nanoTime() - written) / 1_000_000);
        }
        System.out.println("dev watch, save to first call served by the new module (ms, " + runs + " runs, 2 workers): "
                + summary(firstServed));
        System.out.println("dev watch, save to every worker replaced (ms): " + summary(allServed));
        assertThat(firstServed).allSatisfy(ms -> assertThat(ms).isGreaterThanOrEqualTo(300));
    }

    private static String summary(List<Long> millis) {
        List<Long> sorted = millis.stream().sorted().toList();
        return "median " + sorted.get(sorted.size() / 2) + ", range " + sorted.get(0) + "-"
                + sorted.get(sorted.size() - 1) + ", all " + millis;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static String version(int n) {
        return "export async function version() {\n"
                + "  await new Promise((resolve) => setTimeout(resolve, 2));\n"
                + "  return " + n + ";\n"
                + "}\n";
    }

    /** As editors save: the whole text to a hidden file beside it, then one rename over the module. */
    private Path write(String name, String text) throws IOException {
        Path target = temp.resolve(name);
        Path partial = Files.writeString(temp.resolve("." + name + ".partial"), text);
        return Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private NodeBridge start(Path module, boolean watch) {
        NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("devwatch")
                .nodeExecutable(TestWorkers.node()).module(module).minWorkers(2).maxWorkers(2)
                .killTimeout(Duration.ofSeconds(2)).gracePeriod(Duration.ofSeconds(2)).devWatch(watch).build());
        bridges.add(bridge);
        return bridge;
    }

    private static Set<Long> pids(NodeBridge bridge) {
        return bridge.snapshot().workers().stream().map(WorkerSnapshot::pid).collect(Collectors.toSet());
    }

    private static List<String> watchThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("processio-") && n.endsWith("-watch")).toList();
    }

    interface Action {
        void run() throws Exception;
    }

    /** What the log (slf4j-simple writes to System.err) says while {@code action} runs; still shown. */
    private static String capturingStderr(Action action) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public synchronized void write(int b) {
                copy.write(b);
                original.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                copy.write(b, off, len);
                original.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }
}
