package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The only benchmark run in the build: {@code --smoke}, which checks that every scenario completes and
 * that no process, thread or temporary file is left behind. The build gives this JVM a temporary
 * directory of its own, so that what other programs on the machine create there does not count.
 */
class BenchRunSmokeTests {

    @Test
    void smokeRunCompletesEveryScenarioAndLeavesNothingBehind() throws Exception {
        Path tmp = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        List<Path> tmpBefore = list(tmp);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = BenchRun.run(new String[] {"--smoke"}, out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(status).as(printed).isZero();
        assertThat(printed).contains("| scenario |", "left behind: nothing", "failed calls: none");
        // Every row of a full run but one: a smoke run measures one cold start, not a 1- and a 4-worker one.
        // 15 in the table against the baselines on processio-worker.mjs, 14 in the one against the bare
        // echo loop and the C ping-pong (whose rows are there, marked skipped, when there is no cc); 13 in the
        // Markdown one (six without --single-threaded-gc, six with it, one comparing the two); 5 in the
        // one against the alternatives (HTTP sidecar, Javet) and 3 in the one of the JavaScript's faults
        // (Javet's cells say skipped where its native library does not fit the machine).
        assertThat(printed.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| scenario"))).hasSize(50);
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(list(tmp)).as("temporary files").isEqualTo(tmpBefore);
    }

    private static List<Path> list(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
