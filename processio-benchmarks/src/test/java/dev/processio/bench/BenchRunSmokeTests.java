package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The only benchmark run in the build: {@code --smoke}, which checks that every scenario completes. */
class BenchRunSmokeTests {

    @Test
    void smokeRunCompletesEveryScenarioAndLeavesNothingBehind() throws Exception {
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
        assertThat(printed.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| scenario"))).hasSize(14);
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
    }
}
