package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.mcp.McpTools;
import dev.processio.testing.McpServers;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * Each call as an Observation {@code processio.call}, and the W3C trace context on the wire. A
 * test handler stands in for Micrometer Tracing's propagating handler: on start it writes a
 * {@code traceparent} into the sender context's carrier, as tracing does.
 */
@ExtendWith(NoLeaks.class)
class ObservationTests {

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();
    private final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
    private final AtomicLong spans = new AtomicLong();

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    private ObservationRegistry registry(boolean tracing) {
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            @SuppressWarnings("unchecked")
            public void onStart(Observation.Context context) {
                if (tracing && context instanceof SenderContext<?> sender) {
                    long span = spans.incrementAndGet();
                    ((SenderContext<Object>) sender).getSetter().set(sender.getCarrier(), "traceparent",
                            String.format("00-4bf92f3577b34da6a3ce929d0e0e4736-%016x-01", span));
                    ((SenderContext<Object>) sender).getSetter().set(sender.getCarrier(), "tracestate", "pio=1");
                }
            }

            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context);
            }
        });
        return registry;
    }

    @Test
    void theTraceContextTravelsAsTopLevelMembersOfTheRequest() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("trace").command(TestWorkers.rawNode("trace-echo.mjs"))
                .observationRegistry(registry(true)));
        JsonNode seen = bridge.call("anything", Map.of("a", 1), JsonNode.class);
        assertThat(seen.get("traceparent").asString()).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000001-01");
        assertThat(seen.get("tracestate").asString()).isEqualTo("pio=1");
    }

    @Test
    void withoutTracingOrWithoutARegistryNothingIsSent() {
        NodeBridge untraced = start(NodeBridgeOptions.builder().name("untraced")
                .command(TestWorkers.rawNode("trace-echo.mjs")).observationRegistry(registry(false)));
        assertThat(untraced.call("anything", null, JsonNode.class).get("traceparent").isNull()).isTrue();
        NodeBridge plain = start(NodeBridgeOptions.builder().name("plain").command(TestWorkers.rawNode("trace-echo.mjs")));
        assertThat(plain.call("anything", null, JsonNode.class).get("traceparent").isNull()).isTrue();
    }

    @Test
    void everyCallIsAnObservationWithItsOutcome() throws Exception {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("obs").module(TestWorkers.file("echo.mjs"))
                .nodeExecutable(TestWorkers.node()).observationRegistry(registry(true)));
        long pid = bridge.snapshot().workers().get(0).pid();
        assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
        assertThatThrownBy(() -> bridge.call("fail", Map.of("message", "no"), String.class))
                .isInstanceOf(RemoteExecutionException.class);
        CompletableFuture<String> slow = bridge.callAsync("delay", Map.of("ms", 30_000), String.class);
        await().until(() -> bridge.snapshot().workers().get(0).inFlight() == 1);
        slow.cancel(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> stopped.size() == 3);

        Map<String, Observation.Context> byOutcome = stopped.stream().collect(Collectors.toMap(
                c -> c.getLowCardinalityKeyValue("outcome").getValue(), c -> c));
        assertThat(byOutcome).containsOnlyKeys("success", "remote_error", "cancelled");
        Observation.Context ok = byOutcome.get("success");
        assertThat(ok.getName()).isEqualTo("processio.call");
        assertThat(ok.getContextualName()).isEqualTo("processio add");
        assertThat(ok.getLowCardinalityKeyValues().stream().map(KeyValue::getKey))
                .contains("pool", "method", "dialect", "outcome");
        assertThat(ok.getLowCardinalityKeyValue("pool").getValue()).isEqualTo("obs");
        assertThat(ok.getLowCardinalityKeyValue("method").getValue()).isEqualTo("add");
        assertThat(ok.getLowCardinalityKeyValue("dialect").getValue()).isEqualTo("processio");
        assertThat(ok.getHighCardinalityKeyValue("worker.pid").getValue()).isEqualTo(Long.toString(pid));
        assertThat(ok.getHighCardinalityKeyValue("call.id")).isNotNull();
        assertThat(byOutcome.get("remote_error").getError()).isInstanceOf(RemoteExecutionException.class);
        assertThat(byOutcome.get("cancelled").getError()).isNull();
    }

    @Test
    void anMcpRequestCarriesTheTraceContextInItsMeta() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("mcp").command(McpServers.stateless())
                .dialect(Dialect.MCP).observationRegistry(registry(true)));
        JsonNode meta = McpTools.of(bridge).call("meta", Map.of()).structuredContent().get("meta");
        assertThat(meta.get("traceparent").asString()).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-");
        assertThat(meta.get("tracestate").asString()).isEqualTo("pio=1");
        assertThat(meta.get("io.modelcontextprotocol/protocolVersion").asString()).isEqualTo("2026-07-28");
    }

    private NodeBridge start(NodeBridgeOptions.Builder options) {
        NodeBridge bridge = NodeBridge.start(options.shutdownHook(false).build());
        bridges.add(bridge);
        return bridge;
    }
}
