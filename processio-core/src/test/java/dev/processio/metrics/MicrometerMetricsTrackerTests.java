package dev.processio.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.BridgeTimeoutException;
import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.RemoteExecutionException;
import dev.processio.WorkerLostException;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Micrometer binding, fed by a real pool. */
@ExtendWith(NoLeaks.class)
class MicrometerMetricsTrackerTests {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void publishesCallsWorkersStdinAndRestarts() {
        try (NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("m")
                .nodeExecutable(TestWorkers.node()).module(TestWorkers.file("pool.mjs"))
                .minWorkers(1).maxWorkers(2).waitDuration(Duration.ofMillis(100))
                .metricsTrackerFactory(MicrometerMetricsTracker.factory(registry)).build())) {
            assertThat(bridge.call("echo", "hi", String.class)).isEqualTo("hi");
            assertThatThrownBy(() -> bridge.call("missing", null, String.class))
                    .isInstanceOf(RemoteExecutionException.class);
            assertThatThrownBy(() -> bridge.call("sleep", Map.of("ms", 1000), String.class,
                    CallOptions.timeout(Duration.ofMillis(100)))).isInstanceOf(BridgeTimeoutException.class);
            assertThat(bridge.call("stray", Map.of("text", "not json"), String.class)).isEqualTo("ok");

            assertThat(timerCount("success")).isEqualTo(2);
            assertThat(timerCount("remote_error")).isEqualTo(1);
            assertThat(timerCount("timeout")).isEqualTo(1);
            assertThat(timerCount("worker_lost")).isZero();
            assertThat(gauge("processio.workers", "state", "ready")).isEqualTo(1);
            assertThat(gauge("processio.calls.pending")).isZero();
            assertThat(registry.find("processio.stdin.queue.depth").tags("pool", "m").gauges()).hasSize(2);
            assertThat(registry.get("processio.protocol.errors").tags("pool", "m", "kind", "stray").counter().count())
                    .isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    registry.get("processio.replies.late").tags("pool", "m").counter().count() == 1);

            // A worker that closes its stdin: EPIPE on the next write, a restart with cause epipe.
            assertThat(bridge.call("closeStdin", null, String.class)).isEqualTo("closed");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try {
                    bridge.call("echo", "x", String.class);
                } catch (WorkerLostException e) {
                    // the call that met the broken pipe
                }
                return registry.get("processio.stdin.epipe").tags("pool", "m", "worker", "1").functionCounter()
                        .count() == 1;
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("processio.worker.restarts")
                    .tags("pool", "m", "cause", "epipe").counter().count() == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge("processio.workers", "state", "ready") >= 1);
        }
        assertThat(registry.find("processio.calls").meters()).isEmpty();
        assertThat(registry.getMeters()).isEmpty();
    }

    private double timerCount(String outcome) {
        return registry.get("processio.calls").tags("pool", "m", "outcome", outcome).timer().count();
    }

    private double gauge(String name, String... tags) {
        return registry.get(name).tags("pool", "m").tags(tags).gauge().value();
    }
}
