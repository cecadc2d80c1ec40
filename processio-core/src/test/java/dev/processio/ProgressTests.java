package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.RuntimeConformanceTests.WorkerRuntime;
import dev.processio.metrics.MicrometerMetricsTracker;
import dev.processio.testing.NoLeaks;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * Progress from handlers of both bundled runtimes ({@code context.progress} in
 * {@code workers/echo.mjs} and {@code workers/echo.py}): to a listener, with its bound, and as a
 * {@link Flow.Publisher}. MCP's {@code notifications/progress} is in {@link McpDialectTests}.
 */
@ExtendWith(NoLeaks.class)
class ProgressTests {

    private static final Duration BOUND = Duration.ofSeconds(20);

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();
    private final List<CountDownLatch> gates = new CopyOnWriteArrayList<>();
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void close() {
        // A listener still blocked would hold its thread past the pool's close.
        gates.forEach(CountDownLatch::countDown);
        bridges.forEach(NodeBridge::close);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void everyValueArrivesInOrderOnAPoolThreadBeforeTheFutureCompletes(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, UnaryOperator.identity());
        List<Integer> seen = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> call = bridge.callAsync("countdown", Map.of("n", 500), Integer.class,
                CallOptions.DEFAULTS.withProgress(Integer.class, v -> {
                    seen.add(v);
                    threads.add(Thread.currentThread().getName());
                }));
        // What a dependent stage sees: every value has been delivered by then.
        assertThat(call.thenApply(sent -> List.of(sent, seen.size())).join()).containsExactly(500, 500);
        assertThat(seen).isEqualTo(countdown(500, 1));
        assertThat(threads).allMatch(t -> t.startsWith("processio-progress-progress-"));
        assertThat(dropped()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aListenerRunsOnTheApplicationsExecutorWhenGivenOne(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, UnaryOperator.identity());
        ExecutorService app = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-listener"));
        try {
            List<String> threads = new CopyOnWriteArrayList<>();
            List<Integer> seen = new CopyOnWriteArrayList<>();
            int sent = bridge.call("countdown", Map.of("n", 50), Integer.class, CallOptions.DEFAULTS
                    .withProgress(Integer.class, v -> {
                        seen.add(v);
                        threads.add(Thread.currentThread().getName());
                    }, app));
            assertThat(sent).isEqualTo(50);
            assertThat(seen).isEqualTo(countdown(50, 1));
            assertThat(threads).containsOnly("app-listener");
        } finally {
            app.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void pastTheBoundTheOldestValuesAreDroppedAndCounted(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, b -> b.maxProgressBuffer(10));
        CountDownLatch release = gate();
        List<Integer> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> call = bridge.callAsync("countdown", Map.of("n", 1000), Integer.class,
                CallOptions.DEFAULTS.withProgress(Integer.class, v -> {
                    seen.add(v);
                    hold(release);
                }));
        // The listener holds its first value; of the 999 others, the buffer keeps the newest 10.
        await().atMost(BOUND).until(() -> dropped() == 989);
        // The reply follows the last value on the wire: the call has ended in the pool, not for its caller.
        await().atMost(BOUND).until(() -> bridge.snapshot().callsServed() == 1);
        assertThat(call).isNotDone();
        assertThat(seen).hasSize(1);
        release.countDown();
        assertThat(call.join()).isEqualTo(1000);
        assertThat(seen.get(0)).isGreaterThan(10);
        assertThat(seen.subList(1, seen.size())).isEqualTo(countdown(10, 1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aBlockedListenerDelaysNoOtherCallOnItsWorker(WorkerRuntime runtime) throws Exception {
        NodeBridge bridge = bridge(runtime, b -> b.minWorkers(1).maxWorkers(1));
        CountDownLatch release = gate();
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<Integer> blocked = bridge.callAsync("countdown", Map.of("n", 5), Integer.class,
                CallOptions.DEFAULTS.withProgress(Integer.class, v -> {
                    entered.countDown();
                    hold(release);
                }));
        assertThat(entered.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(bridge.callAsync("echo", "still served", String.class).get(BOUND.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo("still served");
        List<Integer> other = new CopyOnWriteArrayList<>();
        assertThat(bridge.callAsync("countdown", Map.of("n", 3), Integer.class,
                CallOptions.DEFAULTS.withProgress(Integer.class, other::add)).get(BOUND.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(3);
        assertThat(other).containsExactly(3, 2, 1);
        assertThat(blocked).isNotDone();
        release.countDown();
        assertThat(blocked.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(5);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aValueLargerThanAFrameIsDroppedByTheRuntimeAndTheCallGoesOn(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, b -> b.maxFrameSize(4096));
        List<String> seen = new CopyOnWriteArrayList<>();
        JsonNode sent = bridge.call("progressBig", Map.of("bytes", 10_000), JsonNode.class,
                CallOptions.DEFAULTS.withProgress(String.class, seen::add));
        assertThat(sent.get("big").asBoolean()).isFalse();
        assertThat(sent.get("small").asBoolean()).isTrue();
        assertThat(seen).containsExactly("small");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aStreamHonoursDemandAndCompletesAfterItsLastValue(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, UnaryOperator.identity());
        Recorder<Integer> subscriber = new Recorder<>(1);
        bridge.stream("countdown", Map.of("n", 5), Integer.class).subscribe(subscriber);
        await().atMost(BOUND).until(() -> subscriber.items.size() == 1);
        // The call has been answered: what is left waits for demand.
        await().atMost(BOUND).until(() -> bridge.snapshot().callsServed() == 1);
        assertThat(subscriber.items).containsExactly(5);
        assertThat(subscriber.completed.get()).isZero();
        subscriber.subscription.get().request(1);
        await().atMost(BOUND).until(() -> subscriber.items.size() == 2);
        assertThat(subscriber.completed.get()).isZero();
        subscriber.subscription.get().request(10);
        await().atMost(BOUND).until(() -> subscriber.completed.get() == 1);
        assertThat(subscriber.items).containsExactly(5, 4, 3, 2, 1);
        assertThat(subscriber.error.get()).isNull();
        assertThat(subscriber.threads).allMatch(t -> t.startsWith("processio-progress-progress-"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aStreamFailsWithTheCallsException(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, UnaryOperator.identity());
        Recorder<Integer> subscriber = new Recorder<>(Long.MAX_VALUE);
        bridge.stream("fail", Map.of("message", "no"), Integer.class).subscribe(subscriber);
        await().atMost(BOUND).until(() -> subscriber.error.get() != null);
        assertThat(subscriber.error.get()).isInstanceOf(RemoteExecutionException.class);
        assertThat(subscriber.completed.get()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void cancellingASubscriptionEndsItsSignals(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, UnaryOperator.identity());
        Recorder<JsonNode> subscriber = new Recorder<>(Long.MAX_VALUE);
        bridge.stream("steps", Map.of("steps", 50, "ms", 20), JsonNode.class).subscribe(subscriber);
        await().atMost(BOUND).until(() -> !subscriber.items.isEmpty());
        subscriber.subscription.get().cancel();
        int seen = subscriber.items.size();
        // Whatever the worker still reports goes nowhere, and the end is never signalled.
        assertThat(bridge.call("countdown", Map.of("n", 1), Integer.class)).isEqualTo(1);
        assertThat(subscriber.items.size()).isLessThanOrEqualTo(seen + 1);
        assertThat(subscriber.completed.get()).isZero();
        assertThat(subscriber.error.get()).isNull();
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** A subscriber that asks for {@code initial} values at first, and records every signal. */
    static final class Recorder<T> implements Flow.Subscriber<T> {

        final long initial;
        final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        final List<T> items = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Recorder(long initial) {
            this.initial = initial;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.set(s);
            s.request(initial);
        }

        @Override
        public void onNext(T item) {
            items.add(item);
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public void onError(Throwable throwable) {
            error.set(throwable);
        }

        @Override
        public void onComplete() {
            completed.incrementAndGet();
        }
    }

    private static List<Integer> countdown(int from, int to) {
        List<Integer> values = new ArrayList<>();
        for (int i = from; i >= to; i--) {
            values.add(i);
        }
        return values;
    }

    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    private static void hold(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long dropped() {
        var counter = registry.find("processio.progress.dropped").counter();
        return counter == null ? -1 : (long) counter.count();
    }

    private NodeBridge bridge(WorkerRuntime runtime, UnaryOperator<NodeBridgeOptions.Builder> change) {
        NodeBridgeOptions.Builder builder = runtime.serve(NodeBridgeOptions.builder().name("progress")
                .killTimeout(Duration.ofSeconds(2)).gracePeriod(Duration.ofSeconds(2)).shutdownHook(false)
                .metricsTrackerFactory(MicrometerMetricsTracker.factory(registry)), runtime.fixture("echo"));
        NodeBridge bridge = NodeBridge.start(change.apply(builder).build());
        bridges.add(bridge);
        return bridge;
    }
}
