package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.processio.io.ProcessIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** {@link NodeBridgeOptions}: the two tiers of checks, and options that do not change after build. */
class NodeBridgeOptionsTests {

    private static NodeBridgeOptions.Builder valid() {
        return NodeBridgeOptions.builder().name("p").module(Path.of("x.mjs"));
    }

    // ---- tier one: contradictions and impossible values throw --------------------------------

    @Test
    void invalidOptionsNameTheSettingToChange() {
        assertThatThrownBy(() -> NodeBridgeOptions.builder().module(Path.of("x.mjs")).minWorkers(3).maxWorkers(2)
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("processio.pool.min-workers (3) must not be greater than"
                        + " processio.pool.max-workers (2)");
        assertThatThrownBy(() -> NodeBridgeOptions.builder().build())
                .hasMessageContaining("set processio.node.module");
        assertThatThrownBy(() -> NodeBridgeOptions.builder().module(Path.of("x.mjs")).writeQueueBytes(-1).build())
                .hasMessageContaining("processio.io.write-queue-bytes");
    }

    @Test
    void everyProblemIsReportedInOneMessage() {
        assertThatThrownBy(() -> valid().maxWorkers(0).callTimeout(Duration.ZERO).maxFrameSize(10).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid processio options for pool 'p': ")
                .hasMessageContaining("processio.pool.max-workers must be at least 1, was 0")
                .hasMessageContaining("processio.call.timeout must be a positive duration, was PT0S")
                .hasMessageContaining("processio.io.max-frame-size must be at least 1024, was 10");
    }

    @Test
    void anInvalidValueIsNotClampedButRejected() {
        assertThatThrownBy(() -> valid().writeTimeout(Duration.ZERO).build())
                .hasMessageContaining("processio.io.write-timeout must be a positive duration");
    }

    // ---- tier two: questionable values are clamped with one warning --------------------------

    /** The stdin write path's own defaults, for those who use it alone, are the options' defaults. */
    @Test
    void theStdinDefaultsAreTheOptionsDefaults() {
        NodeBridgeOptions o = valid().build();
        assertThat(ProcessIO.Settings.defaults()).isEqualTo(new ProcessIO.Settings(o.writeQueueFrames(),
                o.writeQueueBytes(), o.backpressure(), o.enqueueTimeout(), o.writeTimeout()));
    }

    @Test
    void devWatchIsOffUnlessAskedForAndNeverWatchesAWorkerCommand() {
        assertThat(valid().build().devWatch()).isFalse();
        assertThat(valid().devWatch(true).build().devWatch()).isTrue();
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = NodeBridgeOptions.builder().name("p").command("server")
                .devWatch(true).build());
        assertThat(options[0].devWatch()).isFalse();
        assertThat(log.lines()).singleElement().asString().contains("WARN")
                .contains("[p] processio.dev.watch watches processio.node.module or processio.python.module");
    }

    @Test
    void theDefaultsLogNothing() {
        assertThat(stderrOf(() -> valid().build())).isEmpty();
    }

    @Test
    void aWriteTimeoutBelow100MillisecondsIsRaisedTo100() {
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = valid().writeTimeout(Duration.ofMillis(20)).build());
        assertThat(options[0].writeTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(log.lines()).singleElement().asString().contains("WARN")
                .contains("[p] processio.io.write-timeout of 20 ms").contains("using 100 ms");
        assertThat(stderrOf(() -> valid().writeTimeout(Duration.ofMillis(100)).build())).isEmpty();
    }

    @Test
    void aMaxFrameSizeLargerThanAnArrayIsLoweredToTheLargestArray() {
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = valid().maxFrameSize(Integer.MAX_VALUE).build());
        assertThat(options[0].maxFrameSize()).isEqualTo(Integer.MAX_VALUE - 8);
        assertThat(log.lines()).singleElement().asString().contains("WARN")
                .contains("[p] processio.io.max-frame-size of " + Integer.MAX_VALUE + " bytes")
                .contains("using " + (Integer.MAX_VALUE - 8) + " bytes");
    }

    /** A second heartbeat may go out while the first is unanswered; that harms nothing, so it is not clamped. */
    @Test
    void aHealthCheckTimeoutLongerThanTheIntervalIsKept() {
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = valid().healthCheckInterval(Duration.ofSeconds(2))
                .healthCheckTimeout(Duration.ofSeconds(5)).build());
        assertThat(options[0].healthCheckTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(log).isEmpty();
    }

    @Test
    void withHeartbeatsOffTheHealthCheckTimeoutIsKept() {
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = valid().healthCheckInterval(Duration.ZERO)
                .healthCheckTimeout(Duration.ofSeconds(5)).build());
        assertThat(options[0].healthCheckTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(log).isEmpty();
    }

    @Test
    void anAcquireTimeoutLongerThanTheCallTimeoutIsFine() {
        // The call's own deadline ends the wait for a worker first; nothing to clamp.
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = valid().acquireTimeout(Duration.ofMinutes(5))
                .callTimeout(Duration.ofSeconds(1)).build());
        assertThat(options[0].acquireTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(log).isEmpty();
    }

    @Test
    void workerLimitsAreUnsetByDefaultAndNegativeOnesAreRejected() {
        NodeBridgeOptions o = valid().build();
        assertThat(o.limitsMemory()).isZero();
        assertThat(o.limitsCpuTime()).isNull();
        assertThat(o.limitsOpenFiles()).isZero();
        assertThat(o.limitsProcesses()).isZero();
        assertThatThrownBy(() -> valid().limitsMemory(-1).limitsCpuTime(Duration.ofSeconds(-1)).limitsOpenFiles(-1)
                .limitsProcesses(-2).build())
                .hasMessageContaining("processio.worker.limits.memory must be at least 0, was -1")
                .hasMessageContaining("processio.worker.limits.cpu-time must not be negative")
                .hasMessageContaining("processio.worker.limits.open-files must be at least 0, was -1")
                .hasMessageContaining("processio.worker.limits.processes must be at least 0, was -2");
    }

    @Test
    void aCpuTimeLimitIsRoundedUpToWholeSecondsAndZeroMeansNone() {
        NodeBridgeOptions[] options = new NodeBridgeOptions[1];
        String log = stderrOf(() -> options[0] = valid().limitsCpuTime(Duration.ofMillis(1500)).build());
        assertThat(options[0].limitsCpuTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(log.lines()).singleElement().asString().contains("WARN")
                .contains("[p] processio.worker.limits.cpu-time of PT1.5S").contains("using 2 s");
        assertThat(stderrOf(() -> options[0] = valid().limitsCpuTime(Duration.ZERO).build())).isEmpty();
        assertThat(options[0].limitsCpuTime()).isNull();
        assertThat(stderrOf(() -> options[0] = valid().limitsCpuTime(Duration.ofSeconds(3)).build())).isEmpty();
        assertThat(options[0].limitsCpuTime()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void clampingChangesTheOptionsNotTheBuilder() {
        NodeBridgeOptions.Builder builder = valid().writeTimeout(Duration.ofMillis(20));
        stderrOf(builder::build);
        String again = stderrOf(builder::build);
        assertThat(again).contains("processio.io.write-timeout of 20 ms");
    }

    // ---- immutability ------------------------------------------------------------------------

    @Test
    void laterChangesToTheBuilderOrItsInputsDoNotReachBuiltOptions() {
        List<String> command = new ArrayList<>(List.of("my-worker", "--fast"));
        NodeBridgeOptions.Builder builder = NodeBridgeOptions.builder().command(command).environment("A", "1");
        NodeBridgeOptions options = builder.build();
        command.add("--changed");
        builder.maxWorkers(9).environment("B", "2").command("other");

        assertThat(options.command()).containsExactly("my-worker", "--fast");
        assertThat(options.environment()).isEqualTo(Map.of("A", "1"));
        assertThat(options.maxWorkers()).isEqualTo(4);
        assertThatThrownBy(() -> options.command().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> options.environment().put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(builder.build().maxWorkers()).isEqualTo(9);
    }

    /** What the test logger (slf4j-simple, which writes to the current {@code System.err}) printed. */
    private static String stderrOf(Supplier<?> action) {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.get();
        } finally {
            System.setErr(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
