package dev.processio.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The floor of {@link BenchRun}: two C processes that send 100 B back and forth over two pipes
 * ({@code pipe-ping-pong.c}), compiled at run time with {@code cc} when there is one on the PATH.
 * It reports round trips back to back ("warm") and each after {@link #COLD_IDLE_MILLIS} ms idle
 * ("cold").
 */
final class PipePingPong {

    /**
     * How long both processes sleep before each "cold" round trip: long enough for an idle CPU to
     * drop into a sleep state, so that its wake-up is part of the round trip.
     */
    static final int COLD_IDLE_MILLIS = 10;

    private static final String SOURCE_RESOURCE = "/dev/processio/bench/pipe-ping-pong.c";
    /** Round trips per phase in a smoke run. */
    private static final int SMOKE_ROUNDS = 3;

    /**
     * The figures, or why there are none: {@code skipped} when the floor could not be measured
     * here, {@code failure} (also set) when something went wrong that the run must report.
     */
    record Result(BenchRun.Measure warm, BenchRun.Measure cold, String skipped, String failure) {

        static Result skipped(String why, String failure) {
            return new Result(null, null, why, failure);
        }
    }

    private PipePingPong() {
    }

    /** The first executable {@code name} on the PATH. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Arrays.stream(path.split(File.pathSeparator)).filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst();
    }

    /**
     * Starts compiling the program into {@code dir} with {@code cc}; {@code null} when there is no
     * {@code cc} on the PATH. {@link #run} waits for it.
     */
    static Process compile(Path dir) throws IOException {
        Optional<Path> cc = onPath("cc");
        if (cc.isEmpty()) {
            return null;
        }
        Path source = dir.resolve("pipe-ping-pong.c");
        BenchRun.extract(SOURCE_RESOURCE, source);
        return new ProcessBuilder(cc.get().toString(), "-O2", "-o", dir.resolve("pipe-ping-pong").toString(),
                source.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("cc.log").toFile()).start();
    }

    /** Runs what {@code compile} builds (null: skipped) for {@code seconds} per phase; a smoke run does a few round trips. */
    static Result run(Process compile, Path dir, double seconds, boolean smoke) throws IOException, InterruptedException {
        if (compile == null) {
            return Result.skipped("no `cc` on the PATH", null);
        }
        if (!compile.waitFor(60, TimeUnit.SECONDS) || compile.exitValue() != 0) {
            compile.destroyForcibly();
            compile.waitFor(10, TimeUnit.SECONDS);
            return Result.skipped("`cc` failed",
                    "cc pipe-ping-pong.c failed: " + Files.readString(dir.resolve("cc.log")).strip());
        }
        long rounds = smoke ? SMOKE_ROUNDS : Integer.MAX_VALUE;
        Process p = new ProcessBuilder(dir.resolve("pipe-ping-pong").toString(), "100", Double.toString(seconds),
                Long.toString(rounds), Integer.toString(COLD_IDLE_MILLIS))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        if (!p.waitFor((long) (2 * seconds) + 30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return Result.skipped("pipe-ping-pong failed", "pipe-ping-pong failed: " + line);
        }
        // warm N SECONDS P50 P99 cold N SECONDS P50 P99
        String[] f = line.split(" ");
        if (f.length != 10 || !f[0].equals("warm") || !f[5].equals("cold")) {
            return Result.skipped("pipe-ping-pong printed nonsense", "pipe-ping-pong printed " + line);
        }
        return new Result(phase(f, 1), phase(f, 6), null, null);
    }

    private static BenchRun.Measure phase(String[] f, int at) {
        return new BenchRun.Measure(Long.parseLong(f[at]), Double.parseDouble(f[at + 1]), Double.parseDouble(f[at + 2]),
                Double.parseDouble(f[at + 3]), 100);
    }
}
