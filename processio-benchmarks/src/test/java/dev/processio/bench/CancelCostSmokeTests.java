package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code CancelCost --smoke}: both contenders measured, every call ended as it should, nothing left. */
class CancelCostSmokeTests {

    @Test
    void smokeRunMeasuresAnsweredAndCancelledCallsAndLeavesNothingBehind() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = CancelCost.run(new String[] {"--smoke"}, out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(status).as(printed).isZero();
        assertThat(printed.lines().filter(l -> l.startsWith("| ") && l.contains(" per call |"))).hasSize(2);
        assertThat(printed).contains("failed calls: none", "left behind: nothing");
    }
}
