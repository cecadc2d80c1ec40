package dev.processio.bench;

import dev.processio.io.BrokenPipeException;
import dev.processio.io.ProcessIO;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How fast {@link ProcessIO}, the stdin write path alone, moves frames into a real node process:
 * no JSON-RPC, no replies, no pool. {@code bench/run stdin} runs it.
 *
 * <p>For each frame size (100 B, 1 KiB, 64 KiB, 1 MiB) it does one warm-up run, then {@code --runs}
 * measured runs. A run starts {@code node sink.mjs}, which reads and discards its stdin and prints
 * {@code {"lines":N,"bytes":B}} at end of file; wraps its stdin with {@code ProcessIO.start(...)} using
 * {@link ProcessIO.Settings#defaults()}; writes the same frame for {@code --seconds} seconds; waits
 * until every write future has completed; closes stdin; and checks the sink's line and byte counts
 * against what was written. The rate is frames (and bytes) accepted divided by the time from the
 * first write until the last frame was handed to the pipe. The sink sends no readiness signal, so a
 * run waits {@value #SINK_STARTUP_MILLIS} ms after starting it before the clock starts: node's
 * start-up (about 0.1 s) is not part of the measurement. The table shows the median and the min–max
 * spread of the runs. MB is 10^6 bytes.
 *
 * <p>Options: {@code --runs N} (default 5), {@code --seconds S} (default 3), {@code --warmup-seconds S}
 * (default 1); {@code --smoke}: one run of {@value #SMOKE_FRAMES} frames per frame size, without the
 * wait, checking only that every run completes and checks out. The node executable is
 * {@code $PROCESSIO_TEST_NODE} or {@code node} on the PATH.
 *
 * <p>Every node process is killed and waited for, and the scheduler is shut down, before the program
 * ends; it returns (as exit status) 1 when a run fails its check or something is left behind.
 */
public final class StdinThroughput {

    private static final int[] FRAME_SIZES = {100, 1024, 64 * 1024, 1024 * 1024};
    private static final int SINK_STARTUP_MILLIS = 500;
    private static final int SMOKE_FRAMES = 8;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintStream out;
    private final Path sink;
    private final boolean smoke;
    private final int runs;
    private final double seconds;
    private final double warmupSeconds;
    private final String node = BenchRun.nodeExecutable();

    private StdinThroughput(PrintStream out, Path sink, boolean smoke, int runs, double seconds, double warmupSeconds) {
        this.out = out;
        this.sink = sink;
        this.smoke = smoke;
        this.runs = runs;
        this.seconds = seconds;
        this.warmupSeconds = warmupSeconds;
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs everything; returns 0 when every run checked out and nothing was left behind, else 1. */
    public static int run(String[] args, PrintStream out) throws Exception {
        boolean smoke = false;
        int runs = 5;
        double seconds = 3;
        double warmupSeconds = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use [--smoke] [--runs N] [--seconds S] [--warmup-seconds S]");
            }
        }
        if (smoke) {
            runs = 1;
            warmupSeconds = 0;
        }
        if (runs < 1 || seconds <= 0 || warmupSeconds < 0) {
            throw new IllegalArgumentException("--runs must be at least 1, --seconds positive, --warmup-seconds not negative");
        }
        Path dir = Files.createTempDirectory("processio-bench");
        try {
            BenchRun.extract("/dev/processio/bench/sink.mjs", dir.resolve("sink.mjs"));
            return new StdinThroughput(out, dir.resolve("sink.mjs"), smoke, runs, seconds, warmupSeconds).all();
        } finally {
            BenchRun.deleteTree(dir);
        }
    }

    private int all() throws Exception {
        ProcessIO.Settings settings = ProcessIO.Settings.defaults();
        if (smoke) {
            out.printf(Locale.ROOT, "ProcessIO throughput into node sink.mjs: SMOKE (figures mean nothing): one run of"
                    + " %d frames per frame size, settings %s%n", SMOKE_FRAMES, settings);
        } else {
            out.printf(Locale.ROOT, "ProcessIO throughput into node sink.mjs: %d runs of %.1f s per frame size,"
                    + " warm-up %.1f s, settings %s%n", runs, seconds, warmupSeconds, settings);
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-stdin-scheduler");
            t.setDaemon(true);
            return t;
        });
        boolean ok = true;
        List<String> table = new ArrayList<>();
        try {
            for (int size : FRAME_SIZES) {
                if (warmupSeconds > 0) {
                    Result warmup = run(size, warmupSeconds, settings, scheduler);
                    out.printf(Locale.ROOT, "%9s warm-up: %s%n", BenchRun.sizeLabel(size), warmup);
                    ok &= warmup.verified;
                }
                double[] framesPerSecond = new double[runs];
                double[] megabytesPerSecond = new double[runs];
                for (int r = 0; r < runs; r++) {
                    Result result = run(size, seconds, settings, scheduler);
                    out.printf(Locale.ROOT, "%9s run %d: %s%n", BenchRun.sizeLabel(size), r + 1, result);
                    ok &= result.verified;
                    framesPerSecond[r] = result.frames / result.seconds;
                    megabytesPerSecond[r] = result.frames * (double) size / result.seconds / 1e6;
                }
                table.add(String.format(Locale.ROOT, "| %10s | %14s | %25s | %10s | %21s |", BenchRun.sizeLabel(size),
                        integer(BenchRun.median(framesPerSecond)),
                        integer(min(framesPerSecond)) + " – " + integer(max(framesPerSecond)),
                        decimal(BenchRun.median(megabytesPerSecond)),
                        decimal(min(megabytesPerSecond)) + " – " + decimal(max(megabytesPerSecond))));
            }
        } finally {
            scheduler.shutdownNow();
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
                out.println("scheduler did not stop");
                ok = false;
            }
        }

        out.println();
        out.printf(Locale.ROOT, "| %10s | %14s | %25s | %10s | %21s |%n",
                "frame size", "frames/s (med)", "frames/s (min – max)", "MB/s (med)", "MB/s (min – max)");
        out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%n", "-".repeat(12), "-".repeat(16), "-".repeat(27),
                "-".repeat(12), "-".repeat(23));
        table.forEach(out::println);

        String leaks = BenchRun.leftBehind();
        out.println();
        out.println(leaks.isEmpty() ? "left behind: nothing" : "left behind: " + leaks);
        ok &= leaks.isEmpty();
        if (!ok) {
            out.println("FAILED: see the lines above");
        }
        return ok ? 0 : 1;
    }

    /** One run: a fresh sink process, {@code secs} of writes of one frame size, then the check. */
    private Result run(int size, double secs, ProcessIO.Settings settings, ScheduledExecutorService scheduler)
            throws Exception {
        byte[] frame = frame(size);
        Process sinkProcess = new ProcessBuilder(node, sink.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        AtomicReference<String> fault = new AtomicReference<>();
        ProcessIO io = null;
        try {
            io = ProcessIO.start("throughput", 1, "sink (pid " + sinkProcess.pid() + ")", sinkProcess.getOutputStream(),
                    settings, new ProcessIO.Owner() {
                        @Override
                        public void stdinStalled(ProcessIO stalled, Duration blockedFor) {
                            fault.compareAndSet(null, "stdin stalled for " + blockedFor);
                            sinkProcess.destroyForcibly();
                        }

                        @Override
                        public void stdinBroken(ProcessIO broken, BrokenPipeException cause) {
                            fault.compareAndSet(null, "stdin broken: " + cause.getMessage());
                        }
                    }, scheduler);

            if (!smoke) {
                Thread.sleep(SINK_STARTUP_MILLIS);
            }
            long maxFrames = smoke ? SMOKE_FRAMES : Long.MAX_VALUE;
            long frames = 0;
            CompletableFuture<Void> last = null;
            long start = System.nanoTime();
            long deadline = start + (long) (secs * 1e9);
            while (frames < maxFrames && System.nanoTime() < deadline) {
                last = io.write(frame);
                // A rejected frame fails inside write(); a pipe error fails every later frame, the last one too.
                if (last.isCompletedExceptionally()) {
                    break;
                }
                frames++;
            }
            try {
                if (last != null) {
                    last.get(60, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                fault.compareAndSet(null, "write failed: " + e);
            }
            long elapsed = System.nanoTime() - start;
            io.close();

            String summaryLine = new BufferedReader(new InputStreamReader(sinkProcess.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            if (!sinkProcess.waitFor(30, TimeUnit.SECONDS)) {
                fault.compareAndSet(null, "sink did not exit after end of input");
            }
            if (!io.awaitStopped(Duration.ofSeconds(10))) {
                fault.compareAndSet(null, "writer thread did not stop");
            }
            long expectedBytes = frames * size;
            String check;
            if (summaryLine == null) {
                check = "no summary from the sink";
            } else {
                JsonNode summary = JSON.readTree(summaryLine);
                long lines = summary.get("lines").longValue();
                long bytes = summary.get("bytes").longValue();
                check = lines == frames && bytes == expectedBytes && io.bytesWritten() == expectedBytes
                        ? "sink counted " + lines + " lines, " + bytes + " bytes: match"
                        : "MISMATCH: wrote " + frames + " frames, " + expectedBytes + " bytes (ProcessIO: "
                                + io.bytesWritten() + "), sink counted " + lines + " lines, " + bytes + " bytes";
            }
            boolean verified = fault.get() == null && check.endsWith(": match");
            return new Result(frames, elapsed / 1e9, size, fault.get() == null ? check : fault.get() + "; " + check,
                    verified, io.drainWaits());
        } finally {
            if (io != null) {
                io.destroy();
            }
            sinkProcess.destroyForcibly();
            sinkProcess.waitFor(10, TimeUnit.SECONDS);
            if (io != null) {
                io.awaitStopped(Duration.ofSeconds(10));
            }
        }
    }

    /** {@code {"seq":0,"pad":"xx..."}\n}, exactly {@code size} bytes. */
    static byte[] frame(int size) {
        String head = "{\"seq\":0,\"pad\":\"";
        String tail = "\"}\n";
        int pad = size - head.length() - tail.length();
        if (pad < 0) {
            throw new IllegalArgumentException("frame size " + size + " is too small");
        }
        byte[] frame = (head + "x".repeat(pad) + tail).getBytes(StandardCharsets.US_ASCII);
        if (frame.length != size) {
            throw new IllegalStateException("frame of " + frame.length + " bytes, wanted " + size);
        }
        return frame;
    }

    private record Result(long frames, double seconds, int size, String check, boolean verified, long drainWaits) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d frames in %.3f s = %,.0f frames/s, %.1f MB/s, %,d drain waits; %s",
                    frames, seconds, frames / seconds, frames * (double) size / seconds / 1e6, drainWaits, check);
        }
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static String integer(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String decimal(double value) {
        return String.format(Locale.ROOT, "%,.1f", value);
    }
}
