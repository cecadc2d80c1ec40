package dev.processio.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stopping a worker ends every process it started, through a wrapper or after its own end: recycle,
 * idle retirement and close step through end of input, SIGTERM and SIGKILL; a fault or a crash
 * kills what is left at once. Each test records the worker's tree while it runs and checks that
 * none of those processes runs afterwards, wherever their parent went.
 */
@ExtendWith(NoLeaks.class)
class ProcessTreeTests {

    /** Longer than any wait here: a tree that ends in time was not ended by a stop's later step. */
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Duration BOUND = Duration.ofSeconds(15);

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    // ---- graceful stops ------------------------------------------------------------------------

    @Test
    void recycleEndsTheOldWrapperItsWorkerAndTheWorkersChild() throws Exception {
        NodeBridge bridge = bridge(wrapped("--spawn", "plain"), b -> b.gracePeriod(Duration.ofMillis(200))
                .killTimeout(Duration.ofMillis(500)));
        long oldPid = readyWorker(bridge).pid();
        List<ProcessHandle> tree = recordTree(bridge);
        assertThat(tree).as("sh, node and its sleep").hasSize(3);

        bridge.recycle(1).get(20, TimeUnit.SECONDS);

        // End of input ends node and sh; the sleep, which does not read it, gets SIGTERM.
        awaitNoneRunning(tree);
        assertThat(readyWorker(bridge).pid()).isNotEqualTo(oldPid);
    }

    @Test
    void closeKillsADescendantThatIgnoresSigtermAndReturnsWhenItHasEnded() {
        Duration kill = Duration.ofMillis(500);
        NodeBridge bridge = bridge(wrapped("--spawn", "ignore-term"), b -> b.gracePeriod(Duration.ofMillis(200))
                .killTimeout(kill));
        readyWorker(bridge);
        List<ProcessHandle> tree = recordTree(bridge);
        assertThat(tree).hasSize(3);

        long start = System.nanoTime();
        bridge.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(tree).noneMatch(ProcessTree::running);
        // End of input, a kill timeout, SIGTERM, another, and only then SIGKILL.
        assertThat(took).isGreaterThanOrEqualTo(kill.multipliedBy(2)).isLessThan(BOUND);
    }

    @Test
    void idleRetirementEndsTheTreeOfTheRetiredWorker() {
        NodeBridge bridge = bridge(wrapped("--spawn", "ignore-term"), b -> b.minWorkers(0).maxWorkers(1)
                .idleTimeout(Duration.ofSeconds(1)).gracePeriod(Duration.ofMillis(200))
                .killTimeout(Duration.ofMillis(500)));
        assertThat(bridge.call("pid", null, Long.class)).isPositive();
        // Recorded at once: the worker is retired no sooner than a second after that call.
        List<ProcessHandle> tree = recordTree(bridge);
        assertThat(tree).hasSize(3);

        awaitNoneRunning(tree);
        assertThat(bridge.snapshot().workers()).noneMatch(w -> w.state() == WorkerState.READY);
    }

    // ---- broken workers ------------------------------------------------------------------------

    @Test
    void aFaultKillsTheWrapperAndEverythingItStartedAtOnce() {
        NodeBridge bridge = bridge(wrapped(), b -> b.gracePeriod(LONG).killTimeout(LONG).waitDuration(LONG));
        readyWorker(bridge);
        assertThat(bridge.call("spawn", Map.of("kind", "ignore-term"), Long.class)).isPositive();
        List<ProcessHandle> tree = recordTree(bridge);
        assertThat(tree).hasSize(3);

        assertThat(bridge.callAsync("corrupt", null, Object.class)).failsWithin(BOUND);

        awaitNoneRunning(tree);
        assertThat(bridge.snapshot().workers().get(0).state()).isEqualTo(WorkerState.QUARANTINED);
    }

    @Test
    void aWrapperKilledFromOutsideTakesWhatItStartedWithIt() {
        NodeBridge bridge = bridge(wrapped(), b -> b.gracePeriod(LONG).killTimeout(LONG).waitDuration(LONG));
        long shPid = readyWorker(bridge).pid();
        // Answered after the pool's look at ready, which saw node under sh; the sleep it starts is
        // found below node, which the pool remembered.
        assertThat(bridge.call("spawn", Map.of("kind", "ignore-term"), Long.class)).isPositive();
        List<ProcessHandle> tree = recordTree(bridge);
        assertThat(tree).hasSize(3);

        ProcessHandle.of(shPid).orElseThrow().destroyForcibly();

        // node and its sleep now belong to init; node still holds the worker's pipes.
        awaitNoneRunning(tree);
        assertThat(bridge.snapshot().workers().get(0).state()).isEqualTo(WorkerState.QUARANTINED);
    }

    @Test
    void aWorkerThatExitsByItselfLeavesNoDetachedChildBehind() {
        NodeBridge bridge = bridge(TestWorkers.rawNode("tree.mjs", "--spawn", "detached"),
                b -> b.gracePeriod(LONG).killTimeout(LONG).waitDuration(LONG));
        readyWorker(bridge);
        // Answered after the pool's look at ready, which saw the daemon.
        assertThat(bridge.call("pid", null, Long.class)).isPositive();
        List<ProcessHandle> tree = recordTree(bridge);
        assertThat(tree).as("node and its daemon").hasSize(2);

        assertThat(bridge.call("exit", Map.of("code", 0), String.class)).isEqualTo("bye");

        awaitNoneRunning(tree);
    }

    // ---- what counts as running ------------------------------------------------------------------

    /** An orphan's zombie stays for good under an init that never reaps, as in many containers. */
    @Test
    void aZombieDoesNotCountAsRunning() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        // The sleep that sh becomes never reaps the child sh started.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 300 & exec sleep 300").start();
        try {
            await().atMost(BOUND).until(() -> parent.descendants().count() == 1
                    && parent.info().command().orElse("").endsWith("sleep"));
            ProcessHandle child = parent.descendants().findFirst().orElseThrow();
            assertThat(ProcessTree.running(child)).isTrue();

            child.destroyForcibly();

            await().atMost(BOUND).until(() -> !ProcessTree.running(child));
            assertThat(Path.of("/proc", Long.toString(child.pid()))).as("still there, as a zombie").exists();
        } finally {
            parent.destroyForcibly();
            parent.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** {@code sh -c 'node tree.mjs ARGS; true'}: the command after node keeps sh from exec'ing it. */
    private static List<String> wrapped(String... args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "\"$@\"; true", "sh"));
        command.addAll(TestWorkers.rawNode("tree.mjs", args));
        return command;
    }

    private NodeBridge bridge(List<String> command, UnaryOperator<NodeBridgeOptions.Builder> change) {
        NodeBridge bridge = NodeBridge.start(change.apply(NodeBridgeOptions.builder().name("tree").command(command)
                .shutdownHook(false)).build());
        bridges.add(bridge);
        return bridge;
    }

    /**
     * The one worker once the pool shows it ready. The pool looks at its tree then, on the thread
     * that reads its replies: once a call to it has been answered, that look is done.
     */
    private static WorkerSnapshot readyWorker(NodeBridge bridge) {
        await().atMost(BOUND).until(() -> bridge.snapshot().workers().stream()
                .anyMatch(w -> w.state() == WorkerState.READY));
        return bridge.snapshot().workers().stream().filter(w -> w.state() == WorkerState.READY).findFirst()
                .orElseThrow();
    }

    /** Every ready worker's process and its descendants now; the leak check watches them too. */
    private static List<ProcessHandle> recordTree(NodeBridge bridge) {
        List<ProcessHandle> tree = new ArrayList<>();
        for (WorkerSnapshot w : bridge.snapshot().workers()) {
            if (w.state() == WorkerState.READY) {
                ProcessHandle root = ProcessHandle.of(w.pid()).orElseThrow();
                tree.add(root);
                root.descendants().forEach(tree::add);
            }
        }
        NoLeaks.watch(tree);
        return tree;
    }

    private static void awaitNoneRunning(List<ProcessHandle> tree) {
        await("none of " + tree.stream().map(ProcessHandle::pid).toList() + " runs").atMost(BOUND)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> tree.stream().noneMatch(ProcessTree::running));
    }
}
