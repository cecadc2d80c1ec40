package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A short {@code ChaosSoak}: 12 s at a modest rate with a fault every second, so that each of the
 * six kinds comes at least once (they come in shuffled rounds of all six), and every check passes.
 * The rate is low and the bounds are the soak's own, so a busy machine slows it without failing it.
 * Its ledgers and fault files live in a temporary directory, which must be gone afterwards.
 */
class ChaosSoakSmokeTests {

    @Test
    void shortSoakHitsWorkersWithEveryKindOfFaultAndEveryCheckPasses() throws Exception {
        // The soak counts the JVM's open files in /proc/self/fd, and its workers stall through /proc too.
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self")),
                "needs /proc");
        // The build gives this JVM a temporary directory of its own, which may not exist yet.
        Path tmp = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        List<Path> tmpBefore = list(tmp);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = ChaosSoak.run(new String[] {"--seconds", "12", "--workers", "4", "--rate", "400",
                "--fault-every-seconds", "1", "--seed", "14"}, out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(status).as(printed).isZero();
        assertThat(printed).contains("checks: all passed", "left behind: nothing");
        for (ChaosSoak.Fault fault : ChaosSoak.Fault.values()) {
            Matcher count = Pattern.compile("(?:\\(|, )" + fault.label() + " (\\d+)").matcher(printed);
            assertThat(count.find()).as(fault.label() + " in " + printed).isTrue();
            assertThat(Integer.parseInt(count.group(1))).as(fault.label()).isPositive();
        }
        assertThat(list(tmp)).as("temporary files").isEqualTo(tmpBefore);
    }

    private static List<Path> list(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
