package dev.processio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code ObservationCost --smoke}: the three pools measured, every echo checked, nothing left behind. */
class ObservationCostSmokeTests {

    @Test
    void smokeRunMeasuresEveryContenderAndLeavesNothingBehind() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = ObservationCost.run(new String[] {"--smoke"}, out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(status).as(printed).isZero();
        assertThat(printed.lines().filter(l -> l.startsWith("| sequential 100 B"))).hasSize(3);
        assertThat(printed).contains("failed calls: none", "left behind: nothing");
    }
}
