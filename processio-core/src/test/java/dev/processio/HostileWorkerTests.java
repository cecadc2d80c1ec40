package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.metrics.MicrometerMetricsTracker;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.core.type.TypeReference;

/**
 * What a worker that may have been taken over can and cannot get from its host: the environment
 * it is given, and how much of the application's log it can fill.
 */
@ExtendWith(NoLeaks.class)
class HostileWorkerTests {

    private static final TypeReference<Map<String, String>> ENV = new TypeReference<>() { };

    /** Set by processio itself for every worker. */
    private static final Set<String> PROCESSIO_VARIABLES = Set.of("PROCESSIO_MAX_FRAME_SIZE");

    private final List<NodeBridge> bridges = new ArrayList<>();
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void closeBridges() {
        bridges.forEach(NodeBridge::close);
    }

    // ---- environment ---------------------------------------------------------------------------

    @Test
    void inheritingPassesEveryVariableOfTheJvm() {
        NodeBridge bridge = bridge("hostile.mjs", b -> b);
        Map<String, String> env = bridge.call("environment", null, ENV);
        assertThat(env).containsAllEntriesOf(System.getenv());
    }

    @Test
    void withoutInheritingOnlyTheDefaultAllowListPasses() {
        NodeBridge bridge = bridge("hostile.mjs", b -> b.inheritEnvironment(false).environment("EXTRA", "1"));
        Map<String, String> env = bridge.call("environment", null, ENV);
        Set<String> expected = new TreeSet<>(PROCESSIO_VARIABLES);
        expected.add("EXTRA");
        System.getenv().keySet().stream()
                .filter(name -> Set.of("PATH", "HOME", "LANG", "TZ").contains(name) || name.startsWith("LC_"))
                .forEach(expected::add);
        assertThat(new TreeSet<>(env.keySet())).isEqualTo(expected);
        assertThat(env.get("PATH")).isEqualTo(System.getenv("PATH"));
        // Whatever else the JVM has (CI tokens, cloud credentials) stays in the JVM.
        assertThat(System.getenv().keySet()).anySatisfy(name -> assertThat(env).doesNotContainKey(name));
    }

    @Test
    void anAllowListNamesWholeVariablesAndPrefixes() {
        String somePrefix = System.getenv().keySet().stream().filter(n -> n.length() > 2 && !n.equals("PATH"))
                .findFirst().orElseThrow().substring(0, 2);
        NodeBridge bridge = bridge("hostile.mjs", b -> b.inheritEnvironment(false)
                .environmentAllowlist(List.of("PATH", somePrefix + "*")));
        Map<String, String> env = bridge.call("environment", null, ENV);
        Set<String> expected = new TreeSet<>(PROCESSIO_VARIABLES);
        System.getenv().keySet().stream().filter(n -> n.equals("PATH") || n.startsWith(somePrefix))
                .forEach(expected::add);
        assertThat(new TreeSet<>(env.keySet())).isEqualTo(expected);
    }

    @Test
    void anEmptyAllowListPassesNothingOfTheJvms() {
        NodeBridge bridge = bridge("hostile.mjs", b -> b.inheritEnvironment(false).environmentAllowlist(List.of())
                .environment("ONLY", "this"));
        Map<String, String> env = bridge.call("environment", null, ENV);
        Set<String> expected = new TreeSet<>(PROCESSIO_VARIABLES);
        expected.add("ONLY");
        assertThat(new TreeSet<>(env.keySet())).isEqualTo(expected);
    }

    @Test
    void aMalformedAllowListEntryFailsTheOptionsNamingTheKey() {
        for (String entry : List.of("", "A=B", "LC_*X", "**")) {
            assertThatThrownBy(() -> options("hostile.mjs", b -> b.environmentAllowlist(List.of(entry))))
                    .as(entry).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("processio.worker.environment-allowlist");
        }
        assertThatThrownBy(() -> options("hostile.mjs", b -> b.logLinesPerSecond(0)))
                .hasMessageContaining("processio.worker.log-lines-per-second");
    }

    // ---- log volume ----------------------------------------------------------------------------

    @Test
    void aStderrFloodIsCutToTheLogBudgetAndCounted() {
        int lines = 50_000;
        int rate = 100;
        NodeBridge bridge = bridge("hostile.mjs", b -> b.logLinesPerSecond(rate));
        long start = System.nanoTime();
        assertThat(bridge.call("flood", Map.of("lines", lines, "stream", "stderr"), Integer.class)).isEqualTo(lines);
        // Every line is either logged or dropped: at most a burst plus the rate per second is logged.
        // The tail, for error messages, has every line: the last one shows once stderr has been read.
        await().atMost(Duration.ofSeconds(30)).until(() -> bridge.snapshot().workers().get(0).stderrTail()
                .endsWith("flood line " + (lines - 1)));
        assertThat(dropped()).isGreaterThanOrEqualTo(lines - rate * (1 + secondsSince(start)));
        assertThat(bridge.call("ping", null, String.class)).isEqualTo("pong");
    }

    @Test
    void aFloodOfStrayStdoutLinesIsCutToTheLogBudgetAndCounted() {
        int lines = 20_000;
        int rate = 50;
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("test").command(TestWorkers.rawNode(
                "stray-flood.mjs")).logLinesPerSecond(rate).killTimeout(Duration.ofSeconds(2))
                .metricsTrackerFactory(MicrometerMetricsTracker.factory(registry)).build());
        long start = System.nanoTime();
        assertThat(bridge.call("flood", Map.of("lines", lines), Integer.class)).isEqualTo(lines);
        assertThat(registry.get("processio.protocol.errors").tag("kind", "stray").counter().count())
                .isEqualTo(lines);
        assertThat(dropped()).isGreaterThanOrEqualTo(lines - rate * (1 + secondsSince(start)));
        assertThat(bridge.call("other", "still serving", String.class)).isEqualTo("still serving");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private double dropped() {
        return registry.get("processio.worker.log.dropped").counter().count();
    }

    private static long secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000_000L + 1;
    }

    private NodeBridge bridge(String module, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return start(options(module, change));
    }

    private NodeBridge start(NodeBridgeOptions options) {
        NodeBridge bridge = NodeBridge.start(options);
        bridges.add(bridge);
        return bridge;
    }

    private NodeBridgeOptions options(String module, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return change.apply(NodeBridgeOptions.builder().name("test").nodeExecutable(TestWorkers.node())
                .module(TestWorkers.file(module)).minWorkers(1).maxWorkers(1).killTimeout(Duration.ofSeconds(2))
                .metricsTrackerFactory(MicrometerMetricsTracker.factory(registry))).build();
    }
}
