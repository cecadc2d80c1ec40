package dev.processio.bench;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.metrics.MetricsTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a progress value costs: values per second from one Node worker to the Java side, through
 * one call at a time whose handler reports {@value #VALUES_PER_CALL} small values
 * ({@code context.progress(i)}, a number) as fast as it can. {@code bench/run progress} runs it.
 *
 * <p>Contenders, each on a pool of its own with one worker and the default
 * {@code max-progress-buffer}:
 * <ul>
 *   <li><b>listener</b>: {@code CallOptions.withProgress(Integer.class, counter)} on the pool's
 *       progress threads;</li>
 *   <li><b>stream</b>: {@code bridge.stream(...)} with a subscriber that asks for everything;</li>
 *   <li><b>wire only</b>: the same handler in a call without a listener, so the values are read on
 *       the stdout thread and ignored: the cost of the wire and the runtime, without delivery.</li>
 * </ul>
 * Values per second are those delivered (for wire only: sent) over the whole calls' time, each call
 * from its start to its future's completion. Dropped values (past the buffer's bound) are counted
 * and shown; a delivery that drops values is slower than the worker. After one untimed warm-up call
 * per contender, each of {@code --runs N} runs (default 3) makes calls for {@code --seconds S}
 * (default 2) per contender; figures are the median over the runs and their range.
 * {@code --smoke}: one call of 1,000 values per contender.
 *
 * <p>Not thread-safe: one thread runs it. The node executable is {@code $PROCESSIO_TEST_NODE} or
 * {@code node} on the PATH.
 */
public final class ProgressThroughput {

    static final int VALUES_PER_CALL = 100_000;

    private static final String MODULE = """
            // Reports n values, n down to 1, as fast as the handler can, then answers n.
            export function burst({ n }, context) {
              for (let i = n; i >= 1; i--) context.progress(i);
              return n;
            }
            """;

    private ProgressThroughput() {
    }

    /** {@code bench/run progress [--smoke] [--runs N] [--seconds S]}. */
    public static void main(String[] args) throws Exception {
        BenchRun.Options options = BenchRun.Options.parse(args);
        boolean smoke = options.smoke();
        int runs = options.runs();
        double seconds = options.seconds();
        int perCall = smoke ? 1000 : VALUES_PER_CALL;
        Path dir = Files.createTempDirectory("processio-bench-progress");
        Path module = dir.resolve("progress.mjs");
        Files.writeString(module, MODULE);
        List<Contender> contenders = List.of(new Contender("listener", Mode.LISTENER, module),
                new Contender("stream", Mode.STREAM, module), new Contender("wire only", Mode.WIRE, module));
        try {
            for (Contender c : contenders) {
                c.measure(perCall, 0);
            }
            int rounds = smoke ? 1 : runs;
            for (int run = 0; run < rounds; run++) {
                for (int k = 0; k < contenders.size(); k++) {
                    Contender c = contenders.get((run + k) % contenders.size());
                    c.rates.add(c.measure(perCall, smoke ? 0 : seconds));
                }
            }
        } finally {
            contenders.forEach(c -> c.bridge.close());
            deleteQuietly(module, dir);
        }
        System.out.printf(Locale.ROOT, "Progress values through one Node worker, %,d per call, one call at a time"
                + " (%d run(s)%s)%n%n", perCall, smoke ? 1 : runs, smoke ? ", smoke" : String.format(Locale.ROOT,
                " of %.1f s each", seconds));
        System.out.println("| contender | values/s, median | range (min – max) | dropped |");
        System.out.println("|---|---|---|---|");
        for (Contender c : contenders) {
            List<Double> sorted = new ArrayList<>(c.rates);
            sorted.sort(Double::compare);
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f – %,.0f | %,d |%n", c.name,
                    sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1), c.dropped.get());
        }
    }

    private enum Mode { LISTENER, STREAM, WIRE }

    /** One pool, one way of taking the values. */
    private static final class Contender {

        final String name;
        final Mode mode;
        final NodeBridge bridge;
        final AtomicLong dropped = new AtomicLong();
        final List<Double> rates = new ArrayList<>();

        Contender(String name, Mode mode, Path module) {
            this.name = name;
            this.mode = mode;
            String node = System.getenv("PROCESSIO_TEST_NODE");
            this.bridge = NodeBridge.start(NodeBridgeOptions.builder().name("bench-progress-" + mode.name().toLowerCase(
                    Locale.ROOT)).nodeExecutable(node == null || node.isBlank() ? "node" : node).module(module)
                    .minWorkers(1).maxWorkers(1).shutdownHook(false)
                    .metricsTrackerFactory(stats -> new MetricsTracker() {
                        @Override
                        public void progressDropped(int count) {
                            dropped.addAndGet(count);
                        }
                    }).build());
        }

        /** Calls until {@code seconds} have passed (one call when 0); returns values per second. */
        double measure(int perCall, double seconds) throws InterruptedException {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long values = 0;
            long start = System.nanoTime();
            do {
                values += call(perCall);
            } while (System.nanoTime() - end < 0);
            return values / ((System.nanoTime() - start) / 1e9);
        }

        /** One call; returns how many values reached the Java side (sent, for wire only). */
        private long call(int n) throws InterruptedException {
            Map<String, Integer> params = Map.of("n", n);
            switch (mode) {
                case LISTENER -> {
                    AtomicLong seen = new AtomicLong();
                    bridge.call("burst", params, Integer.class,
                            CallOptions.DEFAULTS.withProgress(Integer.class, v -> seen.incrementAndGet()));
                    return seen.get();
                }
                case STREAM -> {
                    CountingSubscriber subscriber = new CountingSubscriber();
                    bridge.stream("burst", params, Integer.class).subscribe(subscriber);
                    if (!subscriber.done.await(60, TimeUnit.SECONDS) || subscriber.error != null) {
                        throw new IllegalStateException("the stream did not complete", subscriber.error);
                    }
                    return subscriber.items;
                }
                default -> {
                    return bridge.call("burst", params, Integer.class);
                }
            }
        }
    }

    /** Asks for everything and counts; its signals come one at a time. */
    private static final class CountingSubscriber implements Flow.Subscriber<Integer> {

        final CountDownLatch done = new CountDownLatch(1);
        volatile long items;
        volatile Throwable error;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Integer item) {
            items++;
        }

        @Override
        public void onError(Throwable throwable) {
            error = throwable;
            done.countDown();
        }

        @Override
        public void onComplete() {
            done.countDown();
        }
    }

    private static void deleteQuietly(Path... paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // A temporary file left behind is harmless.
            }
        }
    }
}
