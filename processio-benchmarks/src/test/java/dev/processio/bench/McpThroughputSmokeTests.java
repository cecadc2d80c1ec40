package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code McpThroughput --smoke} against the real filesystem server, which this module's build installs
 * before the tests: every contender makes its calls, every reply matches its file, and no process,
 * thread or temporary file is left behind. Without the server the run fails, and so does this test.
 */
class McpThroughputSmokeTests {

    @Test
    void smokeRunChecksEveryReplyAndLeavesNothingBehind() throws Exception {
        Path tmp = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        List<Path> tmpBefore = list(tmp);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = McpThroughput.run(new String[] {"--smoke"}, out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(status).as(printed).isZero();
        // Sequential: processio and the bare pipe; in flight: processio on 1 and on 4 workers, the bare pipe.
        long calls = 2L * McpThroughput.SMOKE_SEQUENTIAL_CALLS + 3L * McpThroughput.SMOKE_WINDOWED_CALLS;
        assertThat(printed).contains(String.format(Locale.ROOT, "Replies checked, warm-up included: %d, of which 0 failed",
                calls), "server: secure-filesystem-server", "left behind: nothing", "failed calls: none");
        // Four latency rows and their ratio, three calls/s rows and two ratios, and two CPU rows per contender
        // with calls in flight.
        assertThat(printed.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| scenario"))).hasSize(16);
        assertThat(list(tmp)).as("temporary files").isEqualTo(tmpBefore);
    }

    private static List<Path> list(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
