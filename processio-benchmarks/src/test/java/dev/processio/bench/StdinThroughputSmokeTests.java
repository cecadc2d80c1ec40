package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code StdinThroughput --smoke}: every frame size is written, counted by the sink and matched. */
class StdinThroughputSmokeTests {

    @Test
    void smokeRunChecksOutForEveryFrameSizeAndLeavesNothingBehind() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = StdinThroughput.run(new String[] {"--smoke"}, out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(status).as(printed).isZero();
        assertThat(printed.lines().filter(l -> l.endsWith(": match"))).hasSize(4);
        assertThat(printed).contains("left behind: nothing");
    }
}
