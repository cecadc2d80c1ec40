package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.metrics.MicrometerMetricsTracker;
import dev.processio.testing.FakeClock;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/** Cancellation from the caller: {@code cancel} on a call's future, or an interrupted {@code call}. */
@ExtendWith(NoLeaks.class)
class CancellationTests {

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    @Test
    void aCallCancelledWhileItWaitsForAWorkerIsNeverWritten() throws Exception {
        NodeBridge bridge = bridge(b -> b.maxInFlightPerWorker(1));
        CompletableFuture<String> busy = bridge.callAsync("delay", Map.of("ms", 800, "value", "done"), String.class);
        CompletableFuture<Integer> waiting = bridge.callAsync("record", Map.of("key", "never"), Integer.class);
        await().until(() -> bridge.snapshot().pendingCalls() == 1);
        assertThat(waiting.cancel(false)).isTrue();
        assertThat(waiting).isCancelled();
        assertThat(bridge.snapshot().pendingCalls()).isZero();
        assertThat(busy.get(30, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(bridge.call("counts", null, JsonNode.class).has("never")).isFalse();
        assertThat(cancelled()).isEqualTo(1);
    }

    @Test
    void aCallCancelledOnItsWorkerAbortsTheHandlerAndTheWorkerStays() throws Exception {
        NodeBridge bridge = bridge(UnaryOperator.identity());
        long pid = bridge.call("pid", null, Long.class);
        CompletableFuture<String> call = bridge.callAsync("delay", Map.of("ms", 30_000), String.class);
        await().until(() -> bridge.snapshot().workers().get(0).inFlight() == 1);
        assertThat(call.cancel(true)).isTrue();
        assertThatThrownBy(call::join).isInstanceOf(CancellationException.class);
        // The handler's AbortSignal fired; its rejection is the late reply.
        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.call("lastAbort", null, JsonNode.class)
                .get("count").asInt() == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.snapshot().lateReplies() == 1);
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(pid);
        assertThat(bridge.snapshot().restarts().values().stream().mapToLong(Long::longValue).sum()).isZero();
        assertThat(bridge.snapshot().workers().get(0).breakerState()).isEqualTo("CLOSED");
        assertThat(cancelled()).isEqualTo(1);
        assertThat(call.cancel(true)).as("a second cancel changes nothing").isTrue();
        assertThat(cancelled()).isEqualTo(1);
    }

    @Test
    void anInterruptedCallThrowsWithTheFlagSetAndCancelsTheCall() throws Exception {
        NodeBridge bridge = bridge(UnaryOperator.identity());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                bridge.call("delay", Map.of("ms", 30_000), String.class);
            } catch (Throwable t) {
                thrown.set(t);
                flag.set(Thread.currentThread().isInterrupted());
            }
        }, "caller");
        caller.start();
        await().until(() -> bridge.snapshot().workers().get(0).inFlight() == 1);
        caller.interrupt();
        caller.join(20_000);
        assertThat(thrown.get()).isInstanceOf(BridgeException.class).hasMessageContaining("cancelled");
        assertThat(flag.get()).isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.call("lastAbort", null, JsonNode.class)
                .get("count").asInt() == 1);
        assertThat(cancelled()).isEqualTo(1);
    }

    /**
     * A worker whose handler ignores the cancel keeps the call's place until the grace has passed,
     * on the pool's clock: a third call waits meanwhile, and goes to the same worker after it.
     */
    @Test
    void aWorkerThatIgnoresCancelsKeepsTheirPlacesForTheGraceAndNoLonger() throws Exception {
        FakeClock clock = new FakeClock();
        NodeBridge bridge = bridge(b -> b.maxInFlightPerWorker(2).callCancelGrace(Duration.ofSeconds(5))
                .acquireTimeout(Duration.ofHours(1)).callTimeout(Duration.ofHours(1))
                .killTimeout(Duration.ofMillis(500)), clock);
        long pid = bridge.call("pid", null, Long.class);
        List<CompletableFuture<JsonNode>> ignoring = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ignoring.add(bridge.callAsync("readSignalLater", Map.of("ms", 600_000), JsonNode.class));
        }
        await().until(() -> bridge.snapshot().workers().get(0).inFlight() == 2);
        ignoring.forEach(f -> f.cancel(true));
        CompletableFuture<Long> third = bridge.callAsync("pid", null, Long.class);
        clock.advance(Duration.ofMillis(4_999));
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5)).until(() -> !third.isDone()
                && bridge.snapshot().pendingCalls() == 1 && bridge.snapshot().workers().get(0).inFlight() == 2);
        clock.advance(Duration.ofMillis(1));
        assertThat(third.get(20, TimeUnit.SECONDS)).isEqualTo(pid);
        assertThat(bridge.snapshot().workers().get(0).inFlight()).isZero();
        assertThat(bridge.snapshot().restarts().values().stream().mapToLong(Long::longValue).sum()).isZero();
        assertThat(cancelled()).isEqualTo(2);
    }

    /**
     * Ten thousand calls, a third cancelled at once, a third after a moment (often while on the
     * worker, sometimes as its reply arrives), a third not at all. Each key is recorded by the
     * worker when its call runs: no call runs twice, every completed call ran, every future ends
     * once, and the metrics count what the futures show.
     */
    @Test
    void cancelsRacingRepliesEndEveryCallExactlyOnce() throws Exception {
        NodeBridge bridge = bridge(b -> b.maxInFlightPerWorker(16).maxPending(20_000));
        long pid = bridge.call("pid", null, Long.class);
        int calls = 10_000;
        List<CompletableFuture<Integer>> futures = new ArrayList<>(calls);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < calls; i++) {
            CompletableFuture<Integer> f = bridge.callAsync("record", Map.of("key", "k" + i), Integer.class);
            futures.add(f);
            switch (i % 3) {
                case 0 -> f.cancel(true);
                case 1 -> {
                    for (int spin = random.nextInt(20_000); spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                    f.cancel(false);
                }
                default -> { }
            }
            if (i % 256 == 255) {
                // Keep the queue short: wait for the oldest of this batch.
                try {
                    futures.get(i - 128).get(30, TimeUnit.SECONDS);
                } catch (CancellationException | java.util.concurrent.ExecutionException ignored) {
                    // checked below
                }
            }
        }
        int cancelledFutures = 0;
        int completed = 0;
        for (CompletableFuture<Integer> f : futures) {
            try {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(1);
                completed++;
            } catch (CancellationException e) {
                cancelledFutures++;
            }
        }
        assertThat(cancelledFutures + completed).isEqualTo(calls);
        assertThat(cancelledFutures).isPositive();
        JsonNode counts = bridge.call("counts", null, JsonNode.class);
        for (int i = 0; i < calls; i++) {
            JsonNode n = counts.get("k" + i);
            if (!futures.get(i).isCancelled()) {
                assertThat(n).as("k%d ran", i).isNotNull();
            }
            assertThat(n == null ? 0 : n.asInt()).as("k%d ran at most once", i).isLessThanOrEqualTo(1);
        }
        assertThat(cancelled()).isEqualTo(cancelledFutures);
        assertThat((long) registry.get("processio.calls").tag("outcome", "success").timer().count())
                .isEqualTo(completed + 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> bridge.snapshot().workers().get(0).inFlight() == 0);
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(pid);
        assertThat(bridge.snapshot().restarts().values().stream().mapToLong(Long::longValue).sum()).isZero();
        assertThat(bridge.snapshot().activeCalls()).isZero();
        // Some cancels reached calls on the worker (about a quarter of all calls, here), whose answers came late.
        assertThat(bridge.snapshot().lateReplies()).isPositive().isLessThanOrEqualTo(cancelledFutures);
    }

    private long cancelled() {
        return registry.get("processio.calls").tag("outcome", "cancelled").timer().count();
    }

    private NodeBridge bridge(UnaryOperator<NodeBridgeOptions.Builder> options) {
        return bridge(options, System::nanoTime);
    }

    private NodeBridge bridge(UnaryOperator<NodeBridgeOptions.Builder> options, LongSupplier clock) {
        NodeBridgeOptions.Builder b = NodeBridgeOptions.builder().name("test").module(TestWorkers.file("echo.mjs"))
                .nodeExecutable(TestWorkers.node()).minWorkers(1).maxWorkers(1).shutdownHook(false)
                .metricsTrackerFactory(MicrometerMetricsTracker.factory(registry));
        NodeBridge bridge = NodeBridge.start(options.apply(b).build(), clock);
        bridges.add(bridge);
        return bridge;
    }
}
