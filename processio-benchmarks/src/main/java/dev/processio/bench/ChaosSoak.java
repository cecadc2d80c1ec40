package dev.processio.bench;

import dev.processio.BridgeDisposedException;
import dev.processio.BridgeProtocolException;
import dev.processio.BridgeRejectedException;
import dev.processio.BridgeTimeoutException;
import dev.processio.BridgeUnavailableException;
import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.RemoteExecutionException;
import dev.processio.WorkerLostException;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The chaos soak ({@code bench/run soak}): one pool of workers under a paced load while a fault
 * hits one of its workers every few seconds, and then the proof that every call ended once and
 * that what ran is what the callers were told.
 *
 * <p><b>Load.</b> Calls of {@code run} ({@code soak-worker.mjs}) are issued open-loop: a pacer
 * thread works out every millisecond how many calls are due since the start at {@code --rate} and
 * hands them to a few caller threads, whatever the earlier calls are doing; so a slow or stalled
 * worker makes calls wait in the pool, not the load slow down. Each call carries a unique key, a
 * timeout of {@value #CALL_TIMEOUT_MILLIS} ms, and one in ten is idempotent.
 *
 * <p><b>Ledgers.</b> The worker appends each key it runs to a ledger file of its own process,
 * synchronously, before it answers; the soak reads them all after the pool has closed. The JVM
 * side keeps, per key, how the call ended (result, or which exception), when, how many times its
 * future completed, and for a {@link WorkerLostException} the pid it names.
 *
 * <p><b>Faults.</b> From the end of the warm-up until {@link #quietSeconds} before the end, every
 * {@code --fault-every-seconds} one READY worker that has not been hit yet, picked at random, gets
 * the next fault of a shuffled round of all six kinds ({@link Fault}): so each kind comes as often
 * as the others. SIGKILL comes from this JVM; the others are made by the worker itself, told through
 * a file and SIGUSR2. A fault's window runs from the moment it was sent until its process was seen
 * gone.
 *
 * <p><b>Checks</b> (each printed, and any failure makes the exit status 1):
 * <ul>
 * <li>every call ended, within the timeout plus {@value #LATE_SLACK_MILLIS} ms ("hung"), and its
 *     future completed once;
 * <li>every successful call returned its own key and ran: a non-idempotent one exactly once in the
 *     union of the ledgers; an idempotent one once, or twice when it was re-dispatched after a loss
 *     (its two runs then are in the ledgers of two processes, one of which was hit by a fault);
 * <li>a key never appears twice in one process's ledger;
 * <li>every failed call failed as a fault explains: a {@link WorkerLostException} naming a pid that
 *     was hit, while the call was in flight within that fault's window; a
 *     {@link BridgeTimeoutException}, {@link BridgeUnavailableException} or
 *     {@link BridgeRejectedException} of a call in flight within some fault's window; anything else
 *     (a remote error, a protocol error, a wrong result) is a failure. A failed non-idempotent call
 *     ran at most once, a failed idempotent one at most twice;
 * <li>heap after GC, live threads and open file descriptors ({@code /proc/self/fd}) at the end are
 *     within the bounds of {@link #resourceChecks} of the same figures after the warm-up;
 * <li>after {@code close()}, no worker process ever seen in the pool's snapshots is alive and this
 *     JVM has no descendant nor any {@code processio-} or {@code bench-} thread left.
 * </ul>
 *
 * <p>Not thread-safe: one thread runs it. Only Linux: it reads {@code /proc} and sends signals.
 */
public final class ChaosSoak {

    static final String WORKER_RESOURCE = "/dev/processio/bench/soak-worker.mjs";
    static final long CALL_TIMEOUT_MILLIS = 2000;
    /** How much later than its timeout a call may end before it counts as hung: a loaded machine's hiccups. */
    static final long LATE_SLACK_MILLIS = 1000;
    /** How long after the last call was issued the soak waits for every call to end. */
    private static final long DRAIN_MILLIS = CALL_TIMEOUT_MILLIS + 10_000;
    /** A fault's process counts as gone this long after the monitor saw it gone (the monitor's period, and more). */
    private static final long WINDOW_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private static final int CALLER_THREADS = 4;
    private static final int IDEMPOTENT_PERCENT = 10;

    /** The six faults. All but SIGKILL are the worker's own doing; {@code wire} is its name in soak-worker.mjs. */
    enum Fault {
        SIGKILL(null), EXIT("exit"), CLOSE_STDIN("closeStdin"), STALL("stall"), CORRUPT_FRAME("corruptFrame"),
        HANG("hang");

        final String wire;

        Fault(String wire) {
            this.wire = wire;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /** One fault sent: to whom, when, and when its process was seen gone (0 until then). */
    static final class Hit {
        final Fault fault;
        final long pid;
        final long sentNanos;
        volatile long goneNanos;

        Hit(Fault fault, long pid, long sentNanos) {
            this.fault = fault;
            this.pid = pid;
            this.sentNanos = sentNanos;
        }

        /** Whether a call in flight from {@code start} to {@code end} overlapped this fault's window. */
        boolean overlaps(long start, long end) {
            long gone = goneNanos == 0 ? Long.MAX_VALUE : goneNanos + WINDOW_SLACK_NANOS;
            return end >= sentNanos && start <= gone;
        }
    }

    /** What the command line asks for. */
    record Options(double seconds, int workers, int rate, double faultEverySeconds, long seed) {

        static Options parse(String[] args) {
            double seconds = 600;
            int workers = 4;
            int rate = 2000;
            double every = 5;
            long seed = System.nanoTime();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--short" -> seconds = 60;
                    case "--seconds" -> seconds = Double.parseDouble(value(args, ++i, a));
                    case "--workers" -> workers = Integer.parseInt(value(args, ++i, a));
                    case "--rate" -> rate = Integer.parseInt(value(args, ++i, a));
                    case "--fault-every-seconds" -> every = Double.parseDouble(value(args, ++i, a));
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                    default -> throw new IllegalArgumentException("unknown argument " + a + "; use [--short]"
                            + " [--seconds N] [--workers N] [--rate N] [--fault-every-seconds S] [--seed N]");
                }
            }
            if (seconds <= 0 || workers < 2 || rate <= 0 || every <= 0) {
                throw new IllegalArgumentException("--seconds, --rate and --fault-every-seconds must be positive and"
                        + " --workers at least 2 (a fault must leave a worker to serve)");
            }
            return new Options(seconds, workers, rate, every, seed);
        }

        private static String value(String[] args, int i, String name) {
            if (i >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[i];
        }
    }

    // Outcomes, one byte per call.
    private static final byte PENDING = 0;
    private static final byte OK = 1;
    private static final byte LOST = 2;
    private static final byte TIMEOUT = 3;
    private static final byte UNAVAILABLE = 4;
    private static final byte REJECTED = 5;
    private static final byte PROTOCOL = 6;
    private static final byte REMOTE = 7;
    private static final byte DISPOSED = 8;
    private static final byte OTHER = 9;
    private static final byte WRONG_RESULT = 10;
    private static final String[] OUTCOMES = {"pending", "ok", "WorkerLostException", "BridgeTimeoutException",
        "BridgeUnavailableException", "BridgeRejectedException", "BridgeProtocolException",
        "RemoteExecutionException", "BridgeDisposedException", "other exception", "wrong result"};

    private final Options options;
    private final PrintStream out;
    private final int capacity;
    /** Per key; written by the pacer (idempotent, start) before the call is made, then by the thread that ends it. */
    private final boolean[] idempotent;
    private final long[] startNanos;
    private final long[] endNanos;
    private final long[] lostPid;
    private final byte[] outcome;
    private final AtomicIntegerArray ends;
    /** Calls issued so far; written only under its own lock, by the pacer. */
    private final AtomicInteger issued = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final List<Hit> hits = new CopyOnWriteArrayList<>();
    /** Every worker process seen in a snapshot, by pid. */
    private final Map<Long, ProcessHandle> seen = new ConcurrentHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private final AtomicLong faultsSkipped = new AtomicLong();
    private final AtomicLong faultErrors = new AtomicLong();
    private final Path dir;
    private final double warmupSeconds;
    private final double quietSeconds;

    private ChaosSoak(Options options, PrintStream out, Path dir) {
        this.options = options;
        this.out = out;
        this.dir = dir;
        this.capacity = (int) Math.min(Integer.MAX_VALUE - 16, (long) Math.ceil(options.rate() * options.seconds()) + 16);
        this.idempotent = new boolean[capacity];
        this.startNanos = new long[capacity];
        this.endNanos = new long[capacity];
        this.lostPid = new long[capacity];
        this.outcome = new byte[capacity];
        this.ends = new AtomicIntegerArray(capacity);
        this.warmupSeconds = Math.min(5, options.seconds() / 10);
        // The last faults need time to be detected and replaced before the end figures are taken.
        this.quietSeconds = Math.min(10, options.seconds() / 5);
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    /** Runs the soak; returns 0 when every check passed, else 1. */
    public static int run(String[] args, PrintStream out) throws Exception {
        Options options = Options.parse(args);
        Path dir = Files.createTempDirectory("processio-bench-soak-");
        try {
            return new ChaosSoak(options, out, dir).soak();
        } finally {
            BenchRun.deleteTree(dir);
        }
    }

    /** Heap after GC, live threads and open file descriptors of this JVM at one moment. */
    record Resources(long heapBytes, int threads, long fds) {

        static Resources sample() throws IOException {
            var memory = ManagementFactory.getMemoryMXBean();
            long heap = Long.MAX_VALUE;
            // The least of a few collections: one may run while a concurrent phase still holds garbage.
            for (int i = 0; i < 3; i++) {
                System.gc();
                heap = Math.min(heap, memory.getHeapMemoryUsage().getUsed());
            }
            long fds;
            try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
                fds = list.count();
            }
            return new Resources(heap, ManagementFactory.getThreadMXBean().getThreadCount(), fds);
        }
    }

    private int soak() throws Exception {
        long began = System.nanoTime();
        Path module = dir.resolve("soak-worker.mjs");
        BenchRun.extract(WORKER_RESOURCE, module);
        String node = BenchRun.nodeExecutable();
        NodeBridgeOptions pool = NodeBridgeOptions.builder().name("soak").module(module).nodeExecutable(node)
                .environment(Map.of("PROCESSIO_SOAK_DIR", dir.toString()))
                .minWorkers(options.workers()).maxWorkers(options.workers())
                .callTimeout(Duration.ofMillis(CALL_TIMEOUT_MILLIS))
                // Below the call timeout, so that a call that waits for a worker still ends in time.
                .acquireTimeout(Duration.ofMillis(CALL_TIMEOUT_MILLIS / 2))
                .callCancelGrace(Duration.ofMillis(500))
                .writeTimeout(Duration.ofSeconds(1))
                .healthCheckInterval(Duration.ofMillis(500)).healthCheckTimeout(Duration.ofSeconds(1))
                .waitDuration(Duration.ofMillis(200)).maxWaitDuration(Duration.ofSeconds(2))
                .gracePeriod(Duration.ofSeconds(2)).killTimeout(Duration.ofSeconds(1))
                .shutdownHook(false).build();
        out.printf(Locale.ROOT, "processio chaos soak: %d workers, %,d calls/s for %.0f s, a fault every %.1f s"
                + " (none in the last %.0f s), seed %d; java %s, node %s, %d CPUs, %s%n", options.workers(),
                options.rate(), options.seconds(), options.faultEverySeconds(), quietSeconds, options.seed(),
                System.getProperty("java.version"), BenchRun.nodeVersion(node),
                Runtime.getRuntime().availableProcessors(), Instant.now());

        SplittableRandom random = new SplittableRandom(options.seed());
        EnumMap<Fault, Integer> faultCounts = new EnumMap<>(Fault.class);
        Resources atStart;
        Resources atEnd;
        long issuedNanos;
        long drainedAfterMillis;
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, named("bench-soak-timer-"));
        ExecutorService callers = Executors.newFixedThreadPool(CALLER_THREADS, named("bench-soak-caller-"));
        try (NodeBridge bridge = NodeBridge.start(pool)) {
            CallOptions plain = CallOptions.timeout(Duration.ofMillis(CALL_TIMEOUT_MILLIS));
            CallOptions retried = plain.withIdempotent(true);
            timers.scheduleWithFixedDelay(() -> watch(bridge), 0, 50, TimeUnit.MILLISECONDS);

            long start = System.nanoTime();
            long stop = start + (long) (options.seconds() * 1e9);
            SplittableRandom pacing = random.split();
            long last = Math.min(capacity, (long) (options.seconds() * options.rate()));
            // Under the lock of `issued`: the timer's runs and the last one on this thread hand out
            // disjoint ranges of keys, and the idempotent flags and the pacing random are theirs.
            Runnable pace = () -> {
                synchronized (issued) {
                    long now = System.nanoTime();
                    int from = issued.get();
                    int due = (int) Math.min(last, (long) ((now - start) / 1e9 * options.rate()));
                    if (due <= from) {
                        return;
                    }
                    for (int k = from; k < due; k++) {
                        idempotent[k] = pacing.nextInt(100) < IDEMPOTENT_PERCENT;
                    }
                    issued.set(due);
                    callers.execute(() -> {
                        for (int k = from; k < due; k++) {
                            call(bridge, k, idempotent[k] ? retried : plain);
                        }
                    });
                }
            };
            var pacer = timers.scheduleAtFixedRate(pace, 0, 1, TimeUnit.MILLISECONDS);

            sleepUntil(start + (long) (warmupSeconds * 1e9));
            atStart = Resources.sample();
            List<Fault> round = new ArrayList<>();
            long faultsUntil = stop - (long) (quietSeconds * 1e9);
            long next = start + (long) (warmupSeconds * 1e9);
            while ((next += (long) (options.faultEverySeconds() * 1e9)) < faultsUntil) {
                sleepUntil(next);
                if (round.isEmpty()) {
                    round.addAll(List.of(Fault.values()));
                    Collections.shuffle(round, new java.util.Random(random.nextLong()));
                }
                if (inject(bridge, round.get(0), random)) {
                    faultCounts.merge(round.remove(0), 1, Integer::sum);
                }
            }
            sleepUntil(stop);
            pacer.cancel(false);
            // The calls due at the stop, in case the pacer's last run came just before it; a run still
            // under way finishes first (the lock), and this one hands out only what is left.
            pace.run();
            issuedNanos = System.nanoTime() - start;
            long drainDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
            while (ended.get() < issued.get() && System.nanoTime() < drainDeadline) {
                Thread.sleep(10);
            }
            drainedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start - issuedNanos);
            settle(bridge);
            atEnd = Resources.sample();
            timers.shutdown();
            timers.awaitTermination(5, TimeUnit.SECONDS);
            watch(bridge);
        } finally {
            timers.shutdownNow();
            callers.shutdown();
            if (!callers.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add("the caller threads did not end");
            }
        }
        // close() has returned: the workers have exited, so their ledgers are complete.
        int total = issued.get();
        report(total, issuedNanos, drainedAfterMillis, faultCounts, atStart, atEnd);
        out.printf(Locale.ROOT, "took %.1f s%n", (System.nanoTime() - began) / 1e9);
        return failures.isEmpty() ? 0 : 1;
    }

    private void call(NodeBridge bridge, int k, CallOptions callOptions) {
        startNanos[k] = System.nanoTime();
        CompletableFuture<Long> future;
        try {
            future = bridge.callAsync("run", Map.of("k", k), Long.class, callOptions);
        } catch (RuntimeException e) {
            end(k, null, e);
            return;
        }
        future.whenComplete((value, error) -> end(k, value, error));
    }

    private void end(int k, Long value, Throwable error) {
        long now = System.nanoTime();
        if (ends.incrementAndGet(k) > 1) {
            return;
        }
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        byte o;
        if (e == null) {
            o = value != null && value == k ? OK : WRONG_RESULT;
        } else if (e instanceof WorkerLostException lost) {
            o = LOST;
            lostPid[k] = lost.pid();
        } else if (e instanceof BridgeTimeoutException) {
            o = TIMEOUT;
        } else if (e instanceof BridgeUnavailableException) {
            o = UNAVAILABLE;
        } else if (e instanceof BridgeRejectedException) {
            o = REJECTED;
        } else if (e instanceof BridgeProtocolException) {
            o = PROTOCOL;
        } else if (e instanceof RemoteExecutionException) {
            o = REMOTE;
        } else if (e instanceof BridgeDisposedException) {
            o = DISPOSED;
        } else {
            o = OTHER;
        }
        endNanos[k] = now;
        outcome[k] = o;
        // The counter's release publishes the figures above to the thread that reports.
        ended.incrementAndGet();
    }

    /** Remembers every worker process in the pool and notices the end of each one hit. */
    private void watch(NodeBridge bridge) {
        try {
            for (WorkerSnapshot w : bridge.snapshot().workers()) {
                if (w.pid() > 0) {
                    seen.computeIfAbsent(w.pid(), pid -> ProcessHandle.of(pid).orElse(null));
                }
            }
        } catch (RuntimeException e) {
            // A snapshot of a closing bridge: the handles seen so far are what the check needs.
        }
        long now = System.nanoTime();
        for (Hit hit : hits) {
            if (hit.goneNanos == 0 && Optional.ofNullable(seen.get(hit.pid)).map(h -> !h.isAlive()).orElse(true)) {
                hit.goneNanos = now;
            }
        }
    }

    /** Sends {@code fault} to a READY worker not hit before; false when there was none. */
    private boolean inject(NodeBridge bridge, Fault fault, SplittableRandom random) {
        List<Long> hit = hits.stream().map(h -> h.pid).toList();
        List<WorkerSnapshot> ready = bridge.snapshot().workers().stream()
                .filter(w -> w.state() == WorkerState.READY && w.pid() > 0 && !hit.contains(w.pid())).toList();
        if (ready.isEmpty()) {
            faultsSkipped.incrementAndGet();
            return false;
        }
        long pid = ready.get(random.nextInt(ready.size())).pid();
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            faultsSkipped.incrementAndGet();
            return false;
        }
        seen.putIfAbsent(pid, handle.get());
        hits.add(new Hit(fault, pid, System.nanoTime()));
        try {
            if (fault == Fault.SIGKILL) {
                handle.get().destroyForcibly();
            } else {
                Files.writeString(dir.resolve("fault-" + pid), fault.wire, StandardCharsets.UTF_8);
                Process kill = new ProcessBuilder("kill", "-USR2", Long.toString(pid)).redirectErrorStream(true)
                        .start();
                String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (kill.waitFor() != 0) {
                    // The worker may have died of something else in the meantime: a skipped fault, said so.
                    faultErrors.incrementAndGet();
                    out.println("could not signal worker " + pid + ": " + said);
                }
            }
        } catch (IOException e) {
            faultErrors.incrementAndGet();
            out.println("could not send " + fault.label() + " to worker " + pid + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending a fault", e);
        }
        return true;
    }

    /** Waits (up to 20 s) until the pool holds its full number of READY workers, none of them hit. */
    private void settle(NodeBridge bridge) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            List<Long> hit = hits.stream().map(h -> h.pid).toList();
            List<WorkerSnapshot> workers = bridge.snapshot().workers();
            if (workers.stream().filter(w -> w.state() == WorkerState.READY && !hit.contains(w.pid())).count()
                    == options.workers()) {
                return;
            }
            Thread.sleep(50);
        }
        failures.add("the pool did not get back to " + options.workers() + " READY workers within 20 s of the end");
    }

    private void report(int total, long issuedNanos, long drainedAfterMillis, EnumMap<Fault, Integer> faultCounts,
            Resources atStart, Resources atEnd) throws IOException, InterruptedException {
        // The ledgers: how many times each key ran, and whether twice in one process.
        byte[] runs = new byte[capacity];
        int[] lastLedger = new int[capacity];
        long[] firstPid = new long[capacity];
        long[] secondPid = new long[capacity];
        List<Path> ledgers;
        try (Stream<Path> files = Files.list(dir)) {
            ledgers = files.filter(p -> p.getFileName().toString().startsWith("ledger-")).sorted().toList();
        }
        List<String> sameProcess = new ArrayList<>();
        List<String> unknownKeys = new ArrayList<>();
        long ledgerLines = 0;
        for (int i = 0; i < ledgers.size(); i++) {
            Path ledger = ledgers.get(i);
            String name = ledger.getFileName().toString();
            long pid = Long.parseLong(name.substring("ledger-".length(), name.length() - ".txt".length()));
            for (String line : Files.readAllLines(ledger, StandardCharsets.UTF_8)) {
                if (line.isEmpty()) {
                    continue;
                }
                ledgerLines++;
                int k;
                try {
                    k = Integer.parseInt(line);
                } catch (NumberFormatException e) {
                    k = -1;
                }
                if (k < 0 || k >= total) {
                    unknownKeys.add(name + ": " + line);
                    continue;
                }
                if (runs[k] > 0 && lastLedger[k] == i + 1) {
                    sameProcess.add(k + " in " + name);
                }
                if (runs[k] == 0) {
                    firstPid[k] = pid;
                } else if (runs[k] == 1) {
                    secondPid[k] = pid;
                }
                lastLedger[k] = i + 1;
                runs[k] = (byte) Math.min(100, runs[k] + 1);
            }
        }

        long[] byOutcome = new long[OUTCOMES.length];
        long succeeded = 0;
        long succeededIdempotent = 0;
        long ranTwiceRedispatched = 0;
        long failedRanOnce = 0;
        long failedNeverRan = 0;
        long failedIdempotentLost = 0;
        long endedTwice = 0;
        long neverEnded = 0;
        long slowestNanos = 0;
        List<String> hung = new ArrayList<>();
        List<String> wrongRuns = new ArrayList<>();
        List<String> unexplained = new ArrayList<>();
        long lateNanos = TimeUnit.MILLISECONDS.toNanos(CALL_TIMEOUT_MILLIS + LATE_SLACK_MILLIS);
        for (int k = 0; k < total; k++) {
            int e = ends.get(k);
            if (e == 0) {
                neverEnded++;
                continue;
            }
            if (e > 1) {
                endedTwice++;
            }
            byte o = outcome[k];
            byOutcome[o]++;
            long took = endNanos[k] - startNanos[k];
            slowestNanos = Math.max(slowestNanos, took);
            if (took > lateNanos) {
                hung.add(k + " (" + OUTCOMES[o] + " after " + TimeUnit.NANOSECONDS.toMillis(took) + " ms)");
            }
            int ran = runs[k];
            if (o == OK) {
                succeeded++;
                if (idempotent[k]) {
                    succeededIdempotent++;
                    if (ran == 2 && firstPid[k] != secondPid[k] && (wasHit(firstPid[k]) || wasHit(secondPid[k]))) {
                        ranTwiceRedispatched++;
                    } else if (ran != 1) {
                        wrongRuns.add(k + " (idempotent, succeeded, ran " + ran + " times)");
                    }
                } else if (ran != 1) {
                    wrongRuns.add(k + " (succeeded, ran " + ran + " times)");
                }
                continue;
            }
            if (ran > (idempotent[k] ? 2 : 1)) {
                wrongRuns.add(k + " (" + (idempotent[k] ? "idempotent, " : "") + OUTCOMES[o] + ", ran " + ran
                        + " times)");
            }
            if (idempotent[k] && o == LOST) {
                failedIdempotentLost++;
            }
            if (ran == 0) {
                failedNeverRan++;
            } else {
                failedRanOnce++;
            }
            long s = startNanos[k];
            long end = endNanos[k];
            long pidLost = lostPid[k];
            boolean explained = switch (o) {
                case LOST -> hits.stream().anyMatch(h -> h.pid == pidLost && h.overlaps(s, end));
                case TIMEOUT, UNAVAILABLE, REJECTED -> hits.stream().anyMatch(h -> h.overlaps(s, end));
                default -> false;
            };
            if (!explained) {
                unexplained.add(k + " (" + OUTCOMES[o] + (o == LOST ? ", pid " + lostPid[k] : "") + ", "
                        + (idempotent[k] ? "idempotent, " : "") + "at " + String.format(Locale.ROOT, "%.1f s",
                                (s - startNanos[0]) / 1e9) + ")");
            }
        }

        out.println();
        double issuedSeconds = issuedNanos / 1e9;
        out.printf(Locale.ROOT, "calls: %,d issued in %.1f s (%,.0f calls/s), %,d ended (the last %,d ms after the"
                + " load stopped), %,d never ended, %,d ended twice%n", total, issuedSeconds, total / issuedSeconds,
                ended.get(), drainedAfterMillis, neverEnded, endedTwice);
        StringBuilder faults = new StringBuilder();
        for (Fault f : Fault.values()) {
            faults.append(faults.length() == 0 ? "" : ", ").append(f.label()).append(' ')
                    .append(faultCounts.getOrDefault(f, 0));
        }
        out.printf(Locale.ROOT, "faults: %d (%s); %d skipped (no READY worker that had not been hit), %d not"
                + " delivered%n", hits.size(), faults, faultsSkipped.get(), faultErrors.get());
        out.printf(Locale.ROOT, "succeeded: %,d (%,d idempotent, %,d of them ran twice: re-dispatched after a"
                + " loss)%n", succeeded, succeededIdempotent, ranTwiceRedispatched);
        StringBuilder failed = new StringBuilder();
        for (int o = LOST; o < OUTCOMES.length; o++) {
            if (byOutcome[o] > 0) {
                failed.append(failed.length() == 0 ? "" : ", ").append(OUTCOMES[o]).append(' ')
                        .append(String.format(Locale.ROOT, "%,d", byOutcome[o]));
            }
        }
        long lost = total - neverEnded - succeeded;
        out.printf(Locale.ROOT, "failed: %,d%s; of them %,d ran once, %,d never ran, %,d idempotent lost (after"
                + " their one retry); %,d not explained by a fault%n", lost, failed.length() == 0 ? "" : " (" + failed
                + ")", failedRanOnce, failedNeverRan, failedIdempotentLost, unexplained.size());
        out.printf(Locale.ROOT, "ledgers: %d processes, %,d runs; runs of a key beyond what its outcome allows: %d;"
                + " a key twice in one process: %d; unknown keys: %d%n", ledgers.size(), ledgerLines,
                wrongRuns.size(), sameProcess.size(), unknownKeys.size());
        out.printf(Locale.ROOT, "slowest call: %,d ms (hung: more than %,d ms): %d hung%n",
                TimeUnit.NANOSECONDS.toMillis(slowestNanos), TimeUnit.NANOSECONDS.toMillis(lateNanos), hung.size());

        check(neverEnded == 0, "calls that never ended: " + neverEnded);
        check(endedTwice == 0, "calls whose future completed twice: " + endedTwice);
        check(hung.isEmpty(), "calls that ended later than their timeout allows", hung);
        check(wrongRuns.isEmpty(), "calls that ran more (or fewer) times than their outcome allows", wrongRuns);
        check(sameProcess.isEmpty(), "keys run twice by one process", sameProcess);
        check(unknownKeys.isEmpty(), "ledger lines that are no key the soak issued", unknownKeys);
        check(unexplained.isEmpty(), "failed calls that no fault explains", unexplained);
        check(byOutcome[WRONG_RESULT] == 0, "calls answered with another call's key: " + byOutcome[WRONG_RESULT]);
        check(faultErrors.get() == 0, "faults that could not be delivered: " + faultErrors.get());
        resourceChecks(atStart, atEnd);

        List<String> alive = new ArrayList<>();
        seen.forEach((pid, handle) -> {
            if (handle != null && handle.isAlive()) {
                alive.add(pid + " " + handle.info().commandLine().orElse("?"));
            }
        });
        String leftBehind = BenchRun.leftBehind();
        out.printf(Locale.ROOT, "worker processes: %d seen, %d alive after close(); left behind: %s%n", seen.size(),
                alive.size(), leftBehind.isEmpty() ? "nothing" : leftBehind);
        check(alive.isEmpty(), "worker processes alive after close()", alive);
        check(leftBehind.isEmpty(), "left behind: " + leftBehind);
        out.println(failures.isEmpty() ? "checks: all passed" : "checks: " + failures.size() + " FAILED");
        for (String f : failures) {
            out.println("FAILED: " + f);
        }
    }

    /**
     * Flat means: heap after GC at the end at most 16 MiB plus a quarter above the figure after the
     * warm-up (collections vary; a leak of one object per call would add far more over a run of
     * 10^5 calls and more); threads at most 4 more (a progress or timer thread that comes and
     * goes); file descriptors at most 6 more (one worker's three pipes, both ends, while it is
     * being replaced).
     */
    private void resourceChecks(Resources atStart, Resources atEnd) {
        long heapLimit = atStart.heapBytes() + 16L * 1024 * 1024 + atStart.heapBytes() / 4;
        out.printf(Locale.ROOT, "heap after GC: %.1f MiB -> %.1f MiB (limit %.1f); threads: %d -> %d (limit %d);"
                + " open fds: %d -> %d (limit %d)%n", mib(atStart.heapBytes()), mib(atEnd.heapBytes()),
                mib(heapLimit), atStart.threads(), atEnd.threads(), atStart.threads() + 4, atStart.fds(), atEnd.fds(),
                atStart.fds() + 6);
        check(atEnd.heapBytes() <= heapLimit, "heap after GC grew from " + mib(atStart.heapBytes()) + " to "
                + mib(atEnd.heapBytes()) + " MiB");
        check(atEnd.threads() <= atStart.threads() + 4, "threads grew from " + atStart.threads() + " to "
                + atEnd.threads());
        check(atEnd.fds() <= atStart.fds() + 6, "open file descriptors grew from " + atStart.fds() + " to "
                + atEnd.fds());
    }

    private boolean wasHit(long pid) {
        return hits.stream().anyMatch(h -> h.pid == pid);
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            failures.add(what);
        }
    }

    private void check(boolean ok, String what, List<String> examples) {
        if (!ok) {
            failures.add(what + ": " + examples.size() + ", first: "
                    + String.join("; ", examples.subList(0, Math.min(5, examples.size()))));
        }
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
