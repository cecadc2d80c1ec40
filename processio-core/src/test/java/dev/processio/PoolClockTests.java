package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.FakeClock;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timeouts, heartbeats, idle shrinking, recycling by age and the quarantine back-off, on a clock
 * the test moves. Real workers still do the work; only the pool's sense of time is the test's, so
 * no assertion here depends on how busy the machine is. Where a test shows that something does
 * not happen before its time, it holds the clock still and checks for longer than the real-time
 * setting would have needed.
 */
@ExtendWith(NoLeaks.class)
class PoolClockTests {

    /** Longer than any real-time setting below: what must not happen, does not within it. */
    private static final Duration STILL = Duration.ofMillis(800);

    @TempDir
    Path temp;

    private final FakeClock clock = new FakeClock();
    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    // ---- call timeouts -------------------------------------------------------------------------

    @Test
    void aLongerPerCallTimeoutIsHonouredOverAShortDefault() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.callTimeout(Duration.ofSeconds(2)));
        CompletableFuture<String> call = bridge.callAsync("sleep", Map.of("ms", 1500), String.class,
                CallOptions.timeout(Duration.ofSeconds(10)));
        await().until(() -> bridge.snapshot().activeCalls() == 1);
        clock.advance(Duration.ofSeconds(5));
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("slept");
    }

    @Test
    void aShorterPerCallTimeoutIsHonouredAndTheLateReplyIsCountedAndDropped() {
        NodeBridge bridge = bridge("pool.mjs", b -> b.callTimeout(Duration.ofSeconds(30)));
        CompletableFuture<String> call = bridge.callAsync("sleep", Map.of("ms", 1000), String.class,
                CallOptions.timeout(Duration.ofMillis(300)));
        await().until(() -> bridge.snapshot().activeCalls() == 1);
        clock.advance(Duration.ofMillis(299));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !call.isDone());
        clock.advance(Duration.ofMillis(1));
        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeTimeoutException.class)
                .withMessageContaining("timed out after 300 ms")
                .withMessageContaining("processio.call.timeout");
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().lateReplies() == 1);
        // The worker is still healthy and serves the next call.
        assertThat(bridge.call("echo", "still here", String.class)).isEqualTo("still here");
        assertThat(bridge.snapshot().workers().get(0).breakerState()).isEqualTo("CLOSED");
    }

    @Test
    void aCallWhoseOwnTimeoutEndsFirstWhileWaitingForAWorkerNamesThatTimeout() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1).maxInFlightPerWorker(1)
                .acquireTimeout(Duration.ofSeconds(10)));
        CompletableFuture<String> busy = bridge.callAsync("sleep", Map.of("ms", 1500), String.class);
        CompletableFuture<String> waiting = bridge.callAsync("echo", "w", String.class,
                CallOptions.timeout(Duration.ofMillis(300)));
        await().until(() -> bridge.snapshot().pendingCalls() == 1);
        clock.advance(Duration.ofMillis(300));
        assertThat(waiting).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeTimeoutException.class)
                .withMessageContaining("waiting for a worker (call timeout 300 ms");
        assertThat(busy.get(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(bridge.snapshot().pendingCalls()).isZero();
    }

    /** A setting too long to count in nanoseconds means "never"; it must not stop the other timeouts. */
    @Test
    void anEndlessAcquireTimeoutLeavesCallTimeoutsWorking() {
        NodeBridge bridge = bridge("pool.mjs", b -> b.acquireTimeout(Duration.ofSeconds(Long.MAX_VALUE)));
        CompletableFuture<String> call = bridge.callAsync("sleep", Map.of("ms", 5000), String.class,
                CallOptions.timeout(Duration.ofMillis(300)));
        await().until(() -> bridge.snapshot().activeCalls() == 1);
        clock.advance(Duration.ofMillis(300));
        assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeTimeoutException.class)
                .withMessageContaining("timed out after");
    }

    @Test
    void aFullPendingQueueRejectsAndAWaitLongerThanTheAcquireTimeoutTimesOut() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1).maxInFlightPerWorker(1).maxPending(1)
                .acquireTimeout(Duration.ofSeconds(10)));
        CompletableFuture<String> busy = bridge.callAsync("sleep", Map.of("ms", 1500), String.class);
        CompletableFuture<String> waiting = bridge.callAsync("echo", "w", String.class);
        assertThatThrownBy(() -> bridge.call("echo", "x", String.class))
                .isInstanceOf(BridgeRejectedException.class)
                .hasMessageContaining("processio.pool.max-pending");
        clock.advance(Duration.ofSeconds(10));
        assertThat(waiting).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeTimeoutException.class)
                .withMessageContaining("processio.pool.acquire-timeout (10000 ms)");
        assertThat(busy.get(10, TimeUnit.SECONDS)).isEqualTo("slept");
    }

    // ---- heartbeats, idle workers, recycling by age --------------------------------------------

    @Test
    void aHungWorkerMissesHeartbeatsAndIsReplaced() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.healthCheckInterval(Duration.ofSeconds(10))
                .healthCheckTimeout(Duration.ofSeconds(5)).minimumNumberOfCalls(2).slidingWindowSize(2)
                .waitDuration(Duration.ofSeconds(1)).callTimeout(Duration.ofSeconds(30)));
        long pid = bridge.call("pid", null, Long.class);
        CompletableFuture<String> hung = bridge.callAsync("hang", null, String.class);
        await().until(() -> bridge.snapshot().activeCalls() == 1);
        clock.advance(Duration.ofSeconds(30));
        assertThat(hung).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeTimeoutException.class);
        // One success and one timeout fill the window of two at 50 %: the slot is quarantined.
        await().until(() -> bridge.snapshot().workers().get(0).state() == WorkerState.QUARANTINED);
        clock.advance(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            PoolSnapshot s = bridge.snapshot();
            return s.readyWorkers() == 1 && s.workers().get(0).pid() != pid;
        });
        Map<RestartCause, Long> restarts = bridge.snapshot().restarts();
        assertThat(restarts.getOrDefault(RestartCause.HEARTBEAT, 0L) + restarts.getOrDefault(RestartCause.TIMEOUT, 0L))
                .isEqualTo(1);
        await().until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void anIdleWorkerThatAnswersNoPingIsReplaced() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.healthCheckInterval(Duration.ofSeconds(10))
                .healthCheckTimeout(Duration.ofSeconds(5)).minimumNumberOfCalls(3).slidingWindowSize(3)
                .waitDuration(Duration.ofSeconds(1)));
        long pid = bridge.call("pid", null, Long.class);
        // The handler blocks the event loop: once its call has timed out the worker is idle, and
        // answers no ping.
        CompletableFuture<String> hung = bridge.callAsync("hang", null, String.class,
                CallOptions.timeout(Duration.ofSeconds(1)));
        await().until(() -> bridge.snapshot().activeCalls() == 1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(hung).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(BridgeTimeoutException.class);
        // One failure in two calls: below the breaker's minimum of three, the worker serves on.
        await().during(STILL).atMost(Duration.ofSeconds(5))
                .until(() -> bridge.snapshot().workers().get(0).state() == WorkerState.READY);
        // Time moves on, a second per look: a ping is sent and goes unanswered.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            clock.advance(Duration.ofSeconds(1));
            return restarts(bridge, RestartCause.HEARTBEAT) == 1;
        });
        assertThat(bridge.snapshot().workers().get(0).lastError())
                .contains("no answer to processio/ping within 5000 ms (processio.health-check.timeout)");
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            clock.advance(Duration.ofMillis(200));
            PoolSnapshot s = bridge.snapshot();
            return s.readyWorkers() == 1 && s.workers().get(0).pid() != pid;
        });
        assertThat(bridge.snapshot().restarts()).containsOnlyKeys(RestartCause.HEARTBEAT);
        await().until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void thePoolGrowsWhileCallsWaitAndShrinksWhenIdle() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.minWorkers(1).maxWorkers(3).maxInFlightPerWorker(1)
                .idleTimeout(Duration.ofMinutes(10)));
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(bridge.callAsync("sleep", Map.of("ms", 400), String.class));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().readyWorkers() == 3);
        for (CompletableFuture<String> call : calls) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("slept");
        }
        clock.advance(Duration.ofMinutes(9));
        await().during(STILL).atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().readyWorkers() == 3);
        clock.advance(Duration.ofMinutes(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().workers().size() == 1);
        assertThat(bridge.snapshot().readyWorkers()).isEqualTo(1);
    }

    @Test
    void aWorkerOlderThanMaxAgeIsReplacedWithoutFailingACall() throws Exception {
        NodeBridge bridge = bridge("pool.mjs", b -> b.maxWorkers(1).recycleMaxAge(Duration.ofHours(1))
                .callTimeout(Duration.ofDays(1)).healthCheckInterval(Duration.ZERO));
        long before = bridge.call("pid", null, Long.class);
        CompletableFuture<String> inFlight = bridge.callAsync("sleep", Map.of("ms", 1000), String.class);
        clock.advance(Duration.ofMinutes(59));
        await().during(STILL).atMost(Duration.ofSeconds(5))
                .until(() -> bridge.snapshot().restarts().isEmpty());
        clock.advance(Duration.ofMinutes(1));
        await().atMost(Duration.ofSeconds(15)).until(() -> bridge.snapshot().restarts()
                .getOrDefault(RestartCause.RECYCLE, 0L) == 1);
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo("slept");
        assertThat(bridge.call("pid", null, Long.class)).isNotEqualTo(before);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(before).isEmpty()
                || !ProcessHandle.of(before).get().isAlive());
    }

    // ---- quarantine back-off -------------------------------------------------------------------

    @Test
    void aModuleThatStopsLoadingBacksOffInsteadOfSpinning() throws Exception {
        Path module = temp.resolve("module.mjs");
        Files.copy(TestWorkers.file("pool.mjs"), module);
        NodeBridge bridge = bridge(module, b -> b.maxWorkers(1).waitDuration(Duration.ofMillis(100)).backoffMultiplier(2)
                .maxWaitDuration(Duration.ofSeconds(5)).acquireTimeout(Duration.ofSeconds(3)));
        long pid = bridge.call("pid", null, Long.class);

        Files.copy(TestWorkers.file("syntax-error.mjs"), module, StandardCopyOption.REPLACE_EXISTING);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        await().until(() -> restarts(bridge, RestartCause.CRASH) == 1);
        // Each replacement waits for its back-off on the pool's clock: 100, 200, 400 ms; with the
        // clock held still, none starts, however long the real wait.
        long[] waits = {100, 200, 400};
        for (int attempt = 0; attempt < waits.length; attempt++) {
            int failures = attempt;
            clock.advance(Duration.ofMillis(waits[attempt] - 1));
            await().during(STILL).atMost(Duration.ofSeconds(5))
                    .until(() -> restarts(bridge, RestartCause.STARTUP) == failures);
            clock.advance(Duration.ofMillis(1));
            await().atMost(Duration.ofSeconds(15)).until(() -> restarts(bridge, RestartCause.STARTUP) == failures + 1);
        }
        AtomicReference<WorkerSnapshot> quarantined = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            WorkerSnapshot w = bridge.snapshot().workers().get(0);
            quarantined.set(w);
            return w.state() == WorkerState.QUARANTINED;
        });
        WorkerSnapshot slot = quarantined.get();
        assertThat(slot.breakerState()).isEqualTo("OPEN");
        assertThat(slot.lastError()).contains("could not load its Node module").contains("module.mjs:3");
        assertThatThrownBy(() -> bridge.call("pid", null, Long.class))
                .isInstanceOf(BridgeUnavailableException.class)
                .hasMessageContaining("quarantined")
                .hasMessageContaining("the next replacement starts in 800 ms");

        // Once the module is fixed, the next replacement serves again.
        Files.copy(TestWorkers.file("pool.mjs"), module, StandardCopyOption.REPLACE_EXISTING);
        clock.advance(Duration.ofMillis(800));
        await().atMost(Duration.ofSeconds(15)).until(() -> bridge.snapshot().readyWorkers() == 1);
        // Its first calls are the half-open probes; when they succeed the breaker closes.
        assertThat(bridge.call("echo", "back", String.class)).isEqualTo("back");
        assertThat(bridge.call("echo", "again", String.class)).isEqualTo("again");
        await().atMost(Duration.ofSeconds(5)).until(() -> bridge.snapshot().workers().get(0).breakerState()
                .equals("CLOSED"));
    }

    private static long restarts(NodeBridge bridge, RestartCause cause) {
        return bridge.snapshot().restarts().getOrDefault(cause, 0L);
    }

    private NodeBridge bridge(String worker, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return bridge(TestWorkers.file(worker), change);
    }

    private NodeBridge bridge(Path module, UnaryOperator<NodeBridgeOptions.Builder> change) {
        NodeBridge bridge = NodeBridge.start(change.apply(NodeBridgeOptions.builder().name("test")
                .nodeExecutable(TestWorkers.node()).module(module).killTimeout(Duration.ofSeconds(2))
                .gracePeriod(Duration.ofSeconds(2))).build(), clock);
        bridges.add(bridge);
        return bridge;
    }
}
