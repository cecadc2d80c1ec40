package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.JsonParser;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/** The pool, end to end, against real Node workers. */
@ExtendWith(NoLeaks.class)
class NodeBridgeTests {

    @TempDir
    Path temp;

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    // ---- calls -------------------------------------------------------------------------------

    @Test
    void mapsParamsAndResultsToTypes() throws Exception {
        NodeBridge bridge = bridge("echo.mjs", b -> b);
        assertThat(bridge.call("add", Map.of("a", 2, "b", 40), Integer.class)).isEqualTo(42);
        assertThat(bridge.call("text.slugify", "Hello World", String.class)).isEqualTo("hello-world");
        Point p = bridge.call("echo", new Point(3, 4), Point.class);
        assertThat(p).isEqualTo(new Point(3, 4));
        List<Point> points = bridge.call("echo", List.of(new Point(1, 2)), new TypeReference<List<Point>>() {
        });
        assertThat(points).containsExactly(new Point(1, 2));
        assertThat(bridge.callAsync("add", Map.of("a", 1, "b", 1), Integer.class).get(10, TimeUnit.SECONDS))
                .isEqualTo(2);
        assertThat(bridge.call("echo", null, Object.class)).isNull();
    }

    record Point(int x, int y) {
    }

    /** Results are read on the worker's stdout thread: a result that does not fit must fail only its own call. */
    @Test
    void aResultThatDoesNotFitTheTypeFailsTheCallAndNotTheWorker() throws Exception {
        NodeBridge bridge = bridge("echo.mjs", b -> b);
        assertThatThrownBy(() -> bridge.call("echo", Map.of("x", "three", "y", List.of(1, 2)), Point.class))
                .isInstanceOfSatisfying(BridgeProtocolException.class, e -> assertThat(e.getMessage())
                        .startsWith("test: the result of 'echo' does not map to " + Point.class.getName()));
        assertThat(bridge.callAsync("echo", "text", Point.class))
                .failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeProtocolException.class);
        assertThat(bridge.call("echo", new Point(5, 6), Point.class)).isEqualTo(new Point(5, 6));
        PoolSnapshot snapshot = bridge.snapshot();
        assertThat(snapshot.protocolErrors()).isZero();
        assertThat(snapshot.workers()).singleElement().satisfies(w -> {
            assertThat(w.state()).isEqualTo(WorkerState.READY);
            assertThat(w.totalRestarts()).isZero();
        });
    }

    @Test
    void remoteErrorsAreTypedAndDoNotHurtTheWorker() {
        NodeBridge bridge = bridge("echo.mjs", b -> b);
        assertThatThrownBy(() -> bridge.call("fail", Map.of("message", "bad input"), String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> {
                    assertThat(e.remoteType()).isEqualTo("TypeError");
                    assertThat(e.remoteMessage()).isEqualTo("bad input");
                    assertThat(e.remoteStack()).contains("echo.mjs");
                    assertThat(e.getMessage()).startsWith("test: call 'fail' failed remotely");
                });
        assertThatThrownBy(() -> bridge.call("missing", null, String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> assertThat(e.code()).isEqualTo(-32601));
        PoolSnapshot snapshot = bridge.snapshot();
        assertThat(snapshot.workers()).singleElement().satisfies(w -> {
            assertThat(w.state()).isEqualTo(WorkerState.READY);
            assertThat(w.breakerState()).isEqualTo("CLOSED");
            assertThat(w.totalRestarts()).isZero();
        });
    }

    @Test
    void sixteenCallersAgainstTwoWorkersRunEveryCallExactlyOnce() throws Exception {
        Path ledger = temp.resolve("ledger.txt");
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(2).maxWorkers(2).maxInFlightPerWorker(4)
                .environment("LEDGER", ledger.toString()));
        Map<String, Integer> done = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        runCallers(16, Duration.ofSeconds(3), (caller, n) -> {
            String key = caller + "-" + n;
            try {
                assertThat(bridge.call("ledger", Map.of("key", key, "ms", n % 3), String.class)).isEqualTo(key);
                done.merge(key, 1, Integer::sum);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        });
        assertThat(failures).isEmpty();
        Map<String, List<String>> ledgerByKey = readLedger(ledger);
        assertThat(ledgerByKey.keySet()).isEqualTo(done.keySet());
        assertThat(ledgerByKey.values()).allMatch(pids -> pids.size() == 1);
        assertThat(done.size()).isGreaterThan(100);
        // Both workers took calls.
        assertThat(ledgerByKey.values().stream().map(p -> p.get(0)).distinct()).hasSize(2);
    }

    // ---- faults ------------------------------------------------------------------------------

    @Test
    void aWorkerKilledUnderLoadLosesNoCall() throws Exception {
        Path ledger = temp.resolve("ledger.txt");
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(2).maxWorkers(2).maxInFlightPerWorker(2)
                .waitDuration(Duration.ofMillis(200)).environment("LEDGER", ledger.toString()));
        long victim = bridge.snapshot().workers().get(0).pid();
        List<CompletableFuture<String>> calls = new ArrayList<>();
        Map<CompletableFuture<String>, String> keys = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            String key = "k" + i;
            CompletableFuture<String> call = bridge.callAsync("ledger", Map.of("key", key, "ms", 20), String.class);
            calls.add(call);
            keys.put(call, key);
        }
        // Kill a worker while calls are in flight and many more wait.
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(ledger) && Files.size(ledger) > 0);
        long killedAt = System.nanoTime();
        ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);

        List<WorkerLostException> lost = new ArrayList<>();
        List<Long> lostAfterMillis = new CopyOnWriteArrayList<>();
        for (CompletableFuture<String> call : calls) {
            call.whenComplete((v, e) -> {
                if (e != null) {
                    lostAfterMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
                }
            });
        }
        int succeeded = 0;
        for (CompletableFuture<String> call : calls) {
            try {
                assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(keys.get(call));
                succeeded++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(WorkerLostException.class);
                WorkerLostException wl = (WorkerLostException) e.getCause();
                assertThat(wl.pid()).isEqualTo(victim);
                assertThat(wl.signal()).isEqualTo(9);
                assertThat(wl.requestWritten()).isTrue();
                lost.add(wl);
            }
        }
        // Only what the killed worker held can fail; everything else, pending calls included, succeeds.
        assertThat(lost.size()).isLessThanOrEqualTo(2);
        assertThat(succeeded + lost.size()).isEqualTo(200);
        assertThat(lostAfterMillis).allMatch(ms -> ms < 3000);
        Map<String, List<String>> ledgerByKey = readLedger(ledger);
        assertThat(ledgerByKey.values()).allMatch(pids -> pids.size() == 1);
        for (CompletableFuture<String> call : calls) {
            if (!call.isCompletedExceptionally()) {
                assertThat(ledgerByKey).containsKey(keys.get(call));
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().readyWorkers() == 2);
        assertThat(bridge.snapshot().restarts()).containsEntry(RestartCause.CRASH, 1L);
    }

    @Test
    void anIdempotentCallIsRetriedOnceWhenItsWorkerDiesAndOthersAreNot() throws Exception {
        Path ledger = temp.resolve("ledger.txt");
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(2).maxWorkers(2)
                .waitDuration(Duration.ofMillis(100)).environment("LEDGER", ledger.toString()));
        assertThat(bridge.call("dieOnce", Map.of("key", "a"), String.class, CallOptions.idempotentCall()))
                .isEqualTo("survived");
        assertThat(readLedger(ledger).get("a")).hasSize(2).doesNotHaveDuplicates();

        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().readyWorkers() == 2);
        assertThatThrownBy(() -> bridge.call("dieOnce", Map.of("key", "b"), String.class))
                .isInstanceOfSatisfying(WorkerLostException.class, e -> {
                    assertThat(e.requestWritten()).isTrue();
                    assertThat(e.signal()).isEqualTo(9);
                });
        assertThat(readLedger(ledger).get("b")).hasSize(1);
    }

    @Test
    void aWorkerThatIgnoresSigtermIsKilledWithinTheKillTimeout() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.gracePeriod(Duration.ofMillis(200))
                .killTimeout(Duration.ofMillis(500)));
        assertThat(bridge.call("ignoreSigterm", null, String.class)).isEqualTo("ok");
        CompletableFuture<String> hung = bridge.callAsync("hang", null, String.class,
                CallOptions.timeout(Duration.ofMinutes(1)));
        await().atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().workers().get(0).inFlight() == 1);
        long start = System.nanoTime();
        bridge.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // grace 200 ms, then end of input (500 ms), then SIGTERM (500 ms), then SIGKILL.
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1100)).isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> hung.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(WorkerLostException.class, e -> assertThat(e.signal()).isEqualTo(9));
        assertThat(bridge.snapshot().workers()).allMatch(w -> w.state() == WorkerState.STOPPED);
    }

    /** The pool does not listen to breaker events; the housekeeper notices a breaker an operator opened. */
    @Test
    void aBreakerForcedOpenFromOutsideQuarantinesItsSlot() {
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1).circuitBreakerRegistry(registry));
        assertThat(bridge.call("echo", "a", String.class)).isEqualTo("a");

        registry.circuitBreaker("test-worker-1").transitionToForcedOpenState();

        await().atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().workers().get(0).state()
                == WorkerState.QUARANTINED);
        assertThatThrownBy(() -> bridge.call("echo", "b", String.class)).isInstanceOf(BridgeUnavailableException.class);
    }

    @Test
    void aFullStdinQueueRejectsTheCallAndFreesItsPlace() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1).maxInFlightPerWorker(8).writeQueueFrames(1)
                .backpressure(Backpressure.FAIL));
        // A large frame keeps the writer busy while the next ones arrive.
        String big = "x".repeat(2_000_000);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(bridge.callAsync("echo", big, String.class));
        }
        int rejected = 0;
        for (CompletableFuture<String> call : calls) {
            try {
                assertThat(call.get(10, TimeUnit.SECONDS)).hasSize(big.length());
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(BridgeRejectedException.class)
                        .hasMessageContaining("processio.io.write-queue-frames");
                rejected++;
            }
        }
        assertThat(rejected).isPositive();
        // Nothing is left counted against the worker: it serves as many calls as before.
        await().atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().workers().get(0).inFlight() == 0);
        List<CompletableFuture<String>> next = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            // One at a time, so that the one-frame queue is never full: a leaked place would leave
            // the last calls waiting for a worker instead of in flight.
            next.add(bridge.callAsync("sleep", Map.of("ms", 2000), String.class));
            int expected = i + 1;
            await().atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().workers().get(0).inFlight() == expected);
        }
        assertThat(bridge.snapshot().pendingCalls()).isZero();
        for (CompletableFuture<String> call : next) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("slept");
        }
    }

    @Test
    void aWorkerThatClosesItsStdinUnderLoadLosesNoCall() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(2).maxWorkers(2).waitDuration(Duration.ofMillis(200)));
        assertThat(bridge.call("closeStdin", null, String.class)).isEqualTo("closed");
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicInteger lost = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        runCallers(8, Duration.ofSeconds(2), (caller, n) -> {
            try {
                assertThat(bridge.call("echo", caller + "-" + n, String.class)).isEqualTo(caller + "-" + n);
                ok.incrementAndGet();
            } catch (WorkerLostException e) {
                lost.incrementAndGet();
            } catch (RuntimeException | Error e) {
                unexpected.add(e);
            }
        });
        assertThat(unexpected).isEmpty();
        assertThat(ok.get()).isGreaterThan(100);
        // Only calls written in the broken write can be lost; the rest went to the other worker.
        assertThat(lost.get()).isLessThanOrEqualTo(16);
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().readyWorkers() == 2);
        assertThat(bridge.snapshot().restarts()).containsEntry(RestartCause.EPIPE, 1L);
    }

    // ---- recycling ---------------------------------------------------------------------------

    @Test
    void recyclingUnderLoadFailsNoCall() throws Exception {
        Path ledger = temp.resolve("ledger.txt");
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(2).maxWorkers(2).maxInFlightPerWorker(4)
                .recycleMaxRequests(60).recycleMaxRequestsJitter(20).environment("LEDGER", ledger.toString()));
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicInteger done = new AtomicInteger();
        AtomicBoolean restarted = new AtomicBoolean();
        runCallers(8, Duration.ofSeconds(4), (caller, n) -> {
            try {
                String key = caller + "-" + n;
                assertThat(bridge.call("ledger", Map.of("key", key, "ms", 2), String.class)).isEqualTo(key);
                if (done.incrementAndGet() == 200 && restarted.compareAndSet(false, true)) {
                    bridge.restart();
                }
            } catch (RuntimeException e) {
                failures.add(e);
            }
        });
        assertThat(failures).isEmpty();
        assertThat(done.get()).isGreaterThan(200);
        PoolSnapshot snapshot = bridge.snapshot();
        assertThat(snapshot.restarts().getOrDefault(RestartCause.RECYCLE, 0L)).isGreaterThanOrEqualTo(2);
        assertThat(readLedger(ledger).values()).allMatch(pids -> pids.size() == 1);
        assertThat(readLedger(ledger)).hasSize(done.get());
    }

    @Test
    void recycleReplacesOneWorkerGracefully() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1));
        long before = bridge.call("pid", null, Long.class);
        CompletableFuture<String> inFlight = bridge.callAsync("sleep", Map.of("ms", 800), String.class);
        bridge.recycle(1).get(20, TimeUnit.SECONDS);
        long after = bridge.call("pid", null, Long.class);
        assertThat(after).isNotEqualTo(before);
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo("slept");
        assertThat(bridge.snapshot().restarts()).containsEntry(RestartCause.MANUAL, 1L);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(before).isEmpty()
                || !ProcessHandle.of(before).get().isAlive());
    }

    /**
     * {@code max-requests} is a cap: a worker that has been given its last call takes no more, and
     * calls go to the other worker or wait for the replacement instead of overshooting the limit.
     */
    @Test
    void maxRequestsCapsTheCallsEachWorkerServes() throws Exception {
        Path ledger = temp.resolve("ledger.txt");
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(2).maxWorkers(2).maxInFlightPerWorker(4)
                .recycleMaxRequests(100).environment("LEDGER", ledger.toString()));
        AtomicInteger next = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            Thread t = new Thread(() -> {
                for (int n; (n = next.getAndIncrement()) < 3000; ) {
                    try {
                        bridge.call("ledger", Map.of("key", "k" + n), String.class);
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }, "caller-" + c);
            t.start();
            callers.add(t);
        }
        for (Thread t : callers) {
            t.join(120_000);
            assertThat(t.isAlive()).as("%s ended", t.getName()).isFalse();
        }
        assertThat(failures).isEmpty();
        Map<String, List<String>> byKey = readLedger(ledger);
        assertThat(byKey).hasSize(3000);
        assertThat(byKey.values()).allMatch(pids -> pids.size() == 1);
        Map<String, Long> perWorker = byKey.values().stream()
                .collect(java.util.stream.Collectors.groupingBy(pids -> pids.get(0),
                        java.util.stream.Collectors.counting()));
        assertThat(perWorker.values()).allMatch(n -> n <= 100);
        // 3,000 calls at most 100 per worker: at least 30 workers, the first two and 28 replacements.
        assertThat(perWorker).hasSizeGreaterThanOrEqualTo(30);
        assertThat(bridge.snapshot().restarts().getOrDefault(RestartCause.RECYCLE, 0L)).isGreaterThanOrEqualTo(28);
    }

    /** A worker at its limit whose replacement cannot start serves on, with a fresh allowance; no call fails. */
    @Test
    void aWorkerAtItsLimitServesOnWhenItsReplacementCannotStart() throws Exception {
        Path module = temp.resolve("module.mjs");
        Files.copy(TestWorkers.file("pool.mjs"), module);
        NodeBridge bridge = bridge(module, b -> b.maxWorkers(1).recycleMaxRequests(5));
        long pid = bridge.call("pid", null, Long.class);
        Files.copy(TestWorkers.file("syntax-error.mjs"), module, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // The fifth call is the last one the limit allows; the replacement started then fails to load.
        for (int i = 0; i < 4; i++) {
            assertThat(bridge.call("echo", "c" + i, String.class)).isEqualTo("c" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(bridge.snapshot().workers().get(0)
                .lastError()).startsWith("replacement for recycling failed to start"));
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(pid);
        assertThat(bridge.snapshot().restarts()).isEmpty();

        // With the module fixed, the next time it reaches its limit the replacement takes over.
        Files.copy(TestWorkers.file("pool.mjs"), module, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (int i = 0; i < 5; i++) {
            assertThat(bridge.call("echo", "d" + i, String.class)).isEqualTo("d" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().restarts()
                .getOrDefault(RestartCause.RECYCLE, 0L) == 1);
        assertThat(bridge.call("pid", null, Long.class)).isNotEqualTo(pid);
    }

    /**
     * A replacement that dies because its slot was quarantined meanwhile must not overwrite why the
     * slot was quarantined.
     */
    @Test
    void aCrashDuringARecycleStaysTheReasonTheSlotShows() throws Exception {
        Path slow = temp.resolve("slow-start");
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1).waitDuration(Duration.ofMinutes(1))
                .environment("SLOW_START", slow.toString()));
        long pid = bridge.call("pid", null, Long.class);
        Files.writeString(slow, "");
        CompletableFuture<Void> recycle = bridge.recycle(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().workers().size() == 2);

        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);

        // The quarantine kills the starting replacement too, and that recycle fails.
        assertThat(recycle).failsWithin(Duration.ofSeconds(20));
        WorkerSnapshot slot = bridge.snapshot().workers().get(0);
        assertThat(slot.state()).isEqualTo(WorkerState.QUARANTINED);
        assertThat(slot.lastError()).startsWith("worker 1 (pid " + pid + ") exited with signal 9 (SIGKILL)");
        assertThat(bridge.snapshot().restarts()).containsOnlyKeys(RestartCause.CRASH);
    }

    // ---- start and close ---------------------------------------------------------------------

    @Test
    void startFailsClearlyWhenTheModuleOrProgramIsMissing() {
        assertThatThrownBy(() -> NodeBridge.start(options(temp.resolve("nope.mjs"), b -> b)))
                .isInstanceOfSatisfying(BridgeStartupException.class,
                        e -> assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.MODULE_NOT_FOUND))
                .hasMessageContaining("processio.node.module");
        assertThatThrownBy(() -> NodeBridge.start(options(TestWorkers.file("echo.mjs"),
                b -> b.nodeExecutable("/nonexistent/node"))))
                .isInstanceOfSatisfying(BridgeStartupException.class,
                        e -> assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.COMMAND_NOT_FOUND));
        assertThatThrownBy(() -> NodeBridge.start(options(TestWorkers.file("syntax-error.mjs"), b -> b)))
                .isInstanceOfSatisfying(BridgeStartupException.class,
                        e -> assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.MODULE_LOAD_FAILED));
    }

    @Test
    void closeFailsNewCallsAndLetsCallsInFlightFinish() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.gracePeriod(Duration.ofSeconds(5)));
        CompletableFuture<String> inFlight = bridge.callAsync("sleep", Map.of("ms", 500), String.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().activeCalls() == 1);
        bridge.close();
        assertThat(inFlight).isCompletedWithValue("slept");
        assertThatThrownBy(() -> bridge.call("echo", "x", String.class)).isInstanceOf(BridgeDisposedException.class);
        bridge.close();
    }

    @Test
    void commandWorkersSpeakTheSameProtocol() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("raw")
                .command(TestWorkers.rawNode("raw-replies.mjs")).build());
        assertThat(bridge.call("anything", Map.of("id", 1), Map.class)).isEqualTo(Map.of("id", 1));
    }

    /** A custom deserializer that reads its value as a tree, the usual way to write one. */
    @JsonDeserialize(using = Labelled.Reader.class)
    record Labelled(String label) {

        static final class Reader extends ValueDeserializer<Labelled> {
            @Override
            public Labelled deserialize(JsonParser p, DeserializationContext ctxt) {
                JsonNode tree = p.readValueAsTree();
                return new Labelled(tree.get("x").asString() + "/" + tree.get("y").asString());
            }
        }
    }

    @Test
    void aCustomDeserializerThatReadsATreeStillWorks() {
        NodeBridge bridge = bridge("echo.mjs", b -> b);
        assertThat(bridge.call("echo", Map.of("x", "a", "y", "b"), Labelled.class)).isEqualTo(new Labelled("a/b"));
    }

    /** A recursive type. */
    record Chain(Chain c) {
    }

    @Test
    void aResultTooDeepForTheCallersTypeFailsTheCallAndNotTheWorker() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("raw")
                .command(TestWorkers.rawNode("raw-replies.mjs")).build());
        long pid = bridge.snapshot().workers().get(0).pid();
        assertThat(bridge.callAsync("deep", Map.of("depth", 9000), Chain.class))
                .failsWithin(Duration.ofSeconds(10));
        assertThat(bridge.call("other", "still here", String.class)).isEqualTo("still here");
        assertThat(bridge.snapshot().workers()).singleElement().satisfies(w -> {
            assertThat(w.pid()).isEqualTo(pid);
            assertThat(w.totalRestarts()).isZero();
        });
    }

    /** Valid JSON that the caller's type cannot hold is the call's problem, whatever Jackson throws for it. */
    @Test
    void aNumberTooLargeForTheCallersTypeFailsTheCallAndNotTheWorker() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("raw")
                .command(TestWorkers.rawNode("raw-replies.mjs")).build());
        long pid = bridge.snapshot().workers().get(0).pid();
        assertThatThrownBy(() -> bridge.call("literal", Map.of("json", "1e1000000"), java.math.BigInteger.class))
                .isInstanceOf(BridgeProtocolException.class).hasMessageContaining("does not map to");
        assertThat(bridge.call("other", "still here", String.class)).isEqualTo("still here");
        assertThat(bridge.snapshot().workers()).singleElement().satisfies(w -> {
            assertThat(w.pid()).isEqualTo(pid);
            assertThat(w.totalRestarts()).isZero();
        });
    }

    // ---- helpers -------------------------------------------------------------------------------

    private NodeBridge bridge(String module, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return bridge(TestWorkers.file(module), change);
    }

    private NodeBridge bridge(Path module, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return start(options(module, change));
    }

    private NodeBridge start(NodeBridgeOptions options) {
        NodeBridge bridge = NodeBridge.start(options);
        bridges.add(bridge);
        return bridge;
    }

    private static NodeBridgeOptions options(Path module, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return change.apply(NodeBridgeOptions.builder().name("test").nodeExecutable(TestWorkers.node())
                .module(module).killTimeout(Duration.ofSeconds(2)).gracePeriod(Duration.ofSeconds(2))).build();
    }

    interface Caller {
        void call(int caller, int n) throws Exception;
    }

    /** Runs {@code callers} threads that call in a loop for {@code duration}, then joins them. */
    private static void runCallers(int callers, Duration duration, Caller body) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            Thread t = new Thread(() -> {
                try {
                    for (int n = 0; System.nanoTime() < end; n++) {
                        body.call(caller, n);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "caller-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(TimeUnit.NANOSECONDS.toMillis(duration.toNanos()) + 60_000);
            assertThat(t.isAlive()).as("caller %s ended", t.getName()).isFalse();
        }
        assertThat(errors).isEmpty();
    }

    /** key -> pids of the workers that ran it. */
    private static Map<String, List<String>> readLedger(Path ledger) throws Exception {
        Map<String, List<String>> byKey = new HashMap<>();
        if (!Files.exists(ledger)) {
            return byKey;
        }
        for (String line : Files.readAllLines(ledger)) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split(" ");
            byKey.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(parts[1]);
        }
        return byKey;
    }
}
