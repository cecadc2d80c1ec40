package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.Seeds;
import dev.processio.testing.TestWorkers;
import java.lang.Thread.UncaughtExceptionHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Whole workers that answer with mutated replies ({@code workers/fuzz-replies.mjs}): every call
 * ends with a result or a {@link BridgeException} subtype, within a bound, the pool serves again
 * within seconds, and no processio thread dies. Each mutation kind's verdict is the one
 * docs/protocol.md gives it. The seed ({@link Seeds}) is in every failure message; the worker logs
 * each mutation it makes to stderr.
 */
@ExtendWith(NoLeaks.class)
class FuzzingWorkerTests {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);

    /** Each call ends within its timeout; this leaves room for a loaded machine and a respawn or two. */
    private static final Duration CALL_BOUND = CALL_TIMEOUT.plusSeconds(20);

    private static final int MAX_FRAME_SIZE = 2 << 20;

    private static final List<Throwable> DEATHS = new CopyOnWriteArrayList<>();

    private static UncaughtExceptionHandler previousHandler;

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    /** The verdict docs/protocol.md gives a mutation kind; {@code ANY} for kinds whose mutations vary. */
    private enum Verdict {
        FINE, REMOTE_ERROR, FAULT, LATE_OR_STRAY, ANY
    }

    @BeforeAll
    static void recordDeaths() {
        previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            if (thread.getName().startsWith("processio-")) {
                DEATHS.add(new AssertionError(thread.getName() + " died", error));
            }
            if (previousHandler != null) {
                previousHandler.uncaughtException(thread, error);
            }
        });
    }

    @AfterAll
    static void restoreHandler() {
        Thread.setDefaultUncaughtExceptionHandler(previousHandler);
    }

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
        assertThat(DEATHS).as("processio threads that died").isEmpty();
    }

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of("none", Verdict.FINE),
                Arguments.of("second-reply", Verdict.FINE),
                Arguments.of("deep-valid", Verdict.FINE),
                Arguments.of("stray", Verdict.FINE),
                Arguments.of("duplicate-other", Verdict.FINE),
                Arguments.of("error-deep", Verdict.REMOTE_ERROR),
                Arguments.of("other-pending", Verdict.LATE_OR_STRAY),
                Arguments.of("id-wrong", Verdict.LATE_OR_STRAY),
                Arguments.of("utf8", Verdict.FAULT),
                Arguments.of("duplicate", Verdict.FAULT),
                Arguments.of("id-huge", Verdict.FAULT),
                Arguments.of("id-float", Verdict.FAULT),
                Arguments.of("id-null", Verdict.FAULT),
                Arguments.of("id-string", Verdict.FAULT),
                Arguments.of("batch", Verdict.FAULT),
                Arguments.of("deep", Verdict.FAULT),
                Arguments.of("digits", Verdict.FAULT),
                Arguments.of("oversize", Verdict.FAULT),
                Arguments.of("bitflip", Verdict.ANY),
                Arguments.of("truncate", Verdict.ANY),
                Arguments.of("nul", Verdict.ANY));
    }

    /**
     * Three concurrent calls of one mutation kind on a pool of one worker, so that other-pending
     * always has another call to answer.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void eachMutationKindEndsEveryCallWithItsVerdict(String kind, Verdict verdict) {
        long seed = Seeds.one();
        NodeBridge bridge = start(seed, 1);
        long firstPid = bridge.snapshot().workers().get(0).pid();

        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(bridge.callAsync("fuzz", Map.of("kind", kind), JsonNode.class));
        }
        List<Throwable> failures = new ArrayList<>();
        List<String> outcomes = outcomes(calls, seed, failures);

        String what = "seed " + seed + ", kind " + kind + ": " + outcomes;
        System.out.println("fuzzing: " + what);
        assertThat(outcomes).as(what).allMatch(o -> o.equals("result") || isBridgeException(o));
        switch (verdict) {
            case FINE -> assertThat(outcomes).as(what).containsOnly("result");
            case REMOTE_ERROR -> assertThat(outcomes).as(what).containsOnly("RemoteExecutionException");
            // The first call's reply ends the worker; a call not yet written goes to its replacement,
            // and fails there the same way, or finds every slot quarantined.
            case FAULT -> {
                assertThat(outcomes).as(what).contains("WorkerLostException")
                        .isSubsetOf("WorkerLostException", "BridgeUnavailableException");
                // The callers learn why, in the fault's own words.
                assertThat(failures).as(what).filteredOn(WorkerLostException.class::isInstance)
                        .allSatisfy(e -> assertThat(e.getMessage()).containsAnyOf("corrupt frame",
                                "longer than the frame size limit"));
            }
            case LATE_OR_STRAY -> assertThat(outcomes).as(what).contains("BridgeTimeoutException")
                    .doesNotContain("WorkerLostException");
            case ANY -> {
            }
        }
        awaitServing(bridge, what);
        if (verdict == Verdict.FAULT) {
            assertThat(bridge.snapshot().workers()).as(what).singleElement()
                    .satisfies(w -> assertThat(w.pid()).isNotEqualTo(firstPid));
        } else if (verdict != Verdict.ANY) {
            assertThat(bridge.snapshot().workers()).as(what).singleElement()
                    .satisfies(w -> assertThat(w.pid()).isEqualTo(firstPid));
        }
        assertReadersAlive(bridge, what);
    }

    /**
     * Kinds drawn by the worker's generator, in waves of calls at a time: a few on two workers, or
     * many on one, so that a fault finds many calls in flight.
     */
    @ParameterizedTest(name = "{0} worker(s), waves of {1} calls")
    @CsvSource({"2, 4", "1, 16"})
    void aMixedRunEndsEveryCallAndThePoolServesAgain(int workers, int perWave) {
        long seed = Seeds.one();
        NodeBridge bridge = start(seed, workers);
        Map<String, Integer> counts = new TreeMap<>();
        int waves = 48 / perWave;
        for (int wave = 0; wave < waves; wave++) {
            List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
            for (int i = 0; i < perWave; i++) {
                calls.add(bridge.callAsync("fuzz", null, JsonNode.class));
            }
            for (String outcome : outcomes(calls, seed, new ArrayList<>())) {
                counts.merge(outcome, 1, Integer::sum);
            }
            // Else, once both slots are quarantined, the rest of the run only meets a closed door.
            awaitServing(bridge, "seed " + seed + ", after wave " + wave);
        }

        String what = "seed " + seed + ", " + workers + " worker(s), waves of " + perWave + ": " + counts;
        System.out.println("fuzzing, mixed run: " + what);
        assertThat(counts.keySet()).as(what).allMatch(o -> o.equals("result") || isBridgeException(o));
        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(48);
        awaitServing(bridge, what);
        assertReadersAlive(bridge, what);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * A pool whose quarantine back-off stays short: a run of faults would otherwise hold its slots
     * back for longer than the test wants to wait.
     */
    private NodeBridge start(long seed, int workers) {
        NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("fuzz")
                .command(TestWorkers.rawNode("fuzz-replies.mjs", Long.toString(seed)))
                .minWorkers(workers)
                .maxWorkers(workers)
                .maxFrameSize(MAX_FRAME_SIZE)
                .callTimeout(CALL_TIMEOUT)
                .callCancelGrace(Duration.ofMillis(500))
                .acquireTimeout(Duration.ofSeconds(10))
                .waitDuration(Duration.ofMillis(100))
                .maxWaitDuration(Duration.ofSeconds(1))
                .shutdownHook(false)
                .build());
        bridges.add(bridge);
        return bridge;
    }

    /**
     * Waits for each call, within a bound: one that does not end in time is a hang, and fails the
     * test. Returns {@code result} or the simple name of the exception of each; adds the exceptions
     * to {@code failures}.
     */
    private static List<String> outcomes(List<CompletableFuture<JsonNode>> calls, long seed, List<Throwable> failures) {
        List<String> outcomes = new ArrayList<>();
        for (CompletableFuture<JsonNode> call : calls) {
            try {
                call.get(CALL_BOUND.toMillis(), TimeUnit.MILLISECONDS);
                outcomes.add("result");
            } catch (ExecutionException e) {
                outcomes.add(e.getCause().getClass().getSimpleName());
                failures.add(e.getCause());
                assertThat(e.getCause()).as("seed %d", seed).isInstanceOf(BridgeException.class);
            } catch (TimeoutException e) {
                throw new AssertionError("seed " + seed + ": a call did not end within " + CALL_BOUND, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return outcomes;
    }

    private static boolean isBridgeException(String simpleName) {
        return Set.of("BridgeTimeoutException", "WorkerLostException", "BridgeProtocolException",
                "BridgeUnavailableException", "RemoteExecutionException", "BridgeRejectedException")
                .contains(simpleName);
    }

    /** A normal call succeeds again within seconds. */
    private static void awaitServing(NodeBridge bridge, String what) {
        await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try {
                return "again".equals(bridge.call("echo", "again", String.class,
                        CallOptions.timeout(Duration.ofSeconds(5))));
            } catch (BridgeException e) {
                return false;
            }
        });
    }

    /** The housekeeper and the live worker's stdout reader still run. */
    private static void assertReadersAlive(NodeBridge bridge, String what) {
        Set<String> names = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive()) {
                names.add(t.getName());
            }
        }
        assertThat(names).as(what).contains("processio-fuzz-housekeeper");
        assertThat(names).as(what).anyMatch(n -> n.startsWith("processio-fuzz-w") && n.endsWith("-stdout"));
        assertThat(bridge.snapshot().workers()).as(what).isNotEmpty();
    }
}
