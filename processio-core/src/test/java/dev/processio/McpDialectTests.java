package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.mcp.McpTools;
import dev.processio.testing.McpServers;
import dev.processio.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The {@code mcp} dialect against a real MCP server from npm (server-filesystem, installed by the
 * build from a pinned lockfile) and against a stateless test server of the 2026-07-28 revision.
 */
@ExtendWith(NoLeaks.class)
class McpDialectTests {

    @TempDir
    Path data;

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @BeforeEach
    void files() throws Exception {
        for (int i = 0; i < 20; i++) {
            Files.writeString(data.resolve("note-" + i + ".md"), "# Note " + i + "\n\nbody of note " + i + "\n");
        }
    }

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    @Test
    void aFilesystemServerIsInitializedAndItsToolsAreCalled() {
        NodeBridge bridge = filesystem(UnaryOperator.identity());
        WorkerSnapshot worker = bridge.snapshot().workers().get(0);
        assertThat(worker.server()).isNotNull();
        assertThat(worker.server().name()).isEqualTo("secure-filesystem-server");
        assertThat(worker.server().version()).isNotBlank();
        assertThat(worker.server().protocolVersion()).isEqualTo("2025-11-25");
        assertThat(worker.server().capabilities()).containsKey("tools");

        JsonNode result = bridge.call("tools/call", Map.of("name", "read_text_file",
                "arguments", Map.of("path", data.resolve("note-3.md").toString())), JsonNode.class);
        assertThat(result.at("/content/0/text").asString()).contains("body of note 3");

        McpTools tools = McpTools.of(bridge);
        assertThat(tools.list()).extracting(McpTools.Tool::name).contains("read_text_file", "list_directory");
        assertThat(tools.call("list_directory", Map.of("path", data.toString())).text()).contains("note-19.md");
        McpTools.Result outside = tools.call("read_text_file", Map.of("path", "/etc/hostname"));
        assertThat(outside.isError()).isTrue();
        assertThat(outside.text()).containsIgnoringCase("denied");
    }

    @Test
    void toolCallsUnderConcurrencySurviveASigkillInTheMiddle() throws Exception {
        NodeBridge bridge = filesystem(b -> b.minWorkers(3).maxWorkers(3).maxInFlightPerWorker(4));
        McpTools tools = McpTools.of(bridge);
        Set<Long> pids = ConcurrentHashMap.newKeySet();
        bridge.snapshot().workers().forEach(w -> pids.add(w.pid()));
        List<CompletableFuture<McpTools.Result>> calls = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            calls.add(tools.callAsync("read_text_file", Map.of("path", data.resolve("note-" + (i % 20) + ".md")
                    .toString()), CallOptions.DEFAULTS.withIdempotent(true)));
            if (i == 200) {
                long victim = bridge.snapshot().workers().get(1).pid();
                ProcessHandle.of(victim).orElseThrow().destroyForcibly();
            }
        }
        int lost = 0;
        for (int i = 0; i < calls.size(); i++) {
            try {
                assertThat(calls.get(i).join().text()).contains("body of note " + (i % 20));
            } catch (java.util.concurrent.CompletionException e) {
                // A read that its worker had received may be lost; never any other failure.
                assertThat(e.getCause()).isInstanceOf(WorkerLostException.class);
                lost++;
            }
        }
        assertThat(lost).isLessThan(calls.size());
        await().atMost(Duration.ofSeconds(60)).until(() -> bridge.snapshot().workers().stream()
                .filter(w -> w.state() == WorkerState.READY).count() == 3);
        assertThat(bridge.snapshot().restarts().getOrDefault(RestartCause.CRASH, 0L)).isEqualTo(1);
        assertThat(tools.call("read_text_file", Map.of("path", data.resolve("note-0.md").toString())).text())
                .contains("body of note 0");
    }

    @Test
    void aTimeoutSendsNotificationsCancelled() {
        NodeBridge bridge = stateless(UnaryOperator.identity());
        assertThatThrownBy(() -> McpTools.of(bridge).call("sleep", Map.of("ms", 30_000),
                CallOptions.timeout(Duration.ofMillis(300))))
                .isInstanceOf(BridgeTimeoutException.class);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode last = McpTools.of(bridge).call("lastCancelled", Map.of()).structuredContent();
            assertThat(last.get("requestId").isIntegralNumber()).isTrue();
            assertThat(last.get("reason").asString()).startsWith("timed out after");
        });
    }

    @Test
    void aCancelFromTheCallerSendsNotificationsCancelledWithItsReason() {
        NodeBridge bridge = stateless(UnaryOperator.identity());
        CompletableFuture<McpTools.Result> sleep = McpTools.of(bridge).callAsync("sleep", Map.of("ms", 30_000),
                CallOptions.DEFAULTS);
        await().until(() -> bridge.snapshot().workers().get(0).inFlight() == 1);
        assertThat(sleep.cancel(true)).isTrue();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode last = McpTools.of(bridge).call("lastCancelled", Map.of()).structuredContent();
            assertThat(last.get("reason").asString()).isEqualTo("cancelled by the caller");
            assertThat(last.get("inFlight").asBoolean()).isTrue();
        });
    }

    @Test
    void aStatelessServerIsDiscoveredAndEveryRequestCarriesTheVersion() {
        NodeBridge bridge = stateless(b -> b.minWorkers(2).maxWorkers(2)
                .healthCheckInterval(Duration.ofMillis(200)));
        for (WorkerSnapshot w : bridge.snapshot().workers()) {
            assertThat(w.server().protocolVersion()).isEqualTo("2026-07-28");
            assertThat(w.server().name()).isEqualTo("processio-test-stateless");
        }
        McpTools tools = McpTools.of(bridge);
        assertThat(tools.call("echo", Map.of("text", "hi")).text()).isEqualTo("hi");
        JsonNode meta = tools.call("meta", Map.of()).structuredContent().get("meta");
        assertThat(meta.get("io.modelcontextprotocol/protocolVersion").asString()).isEqualTo("2026-07-28");
        assertThat(meta.get("io.modelcontextprotocol/clientCapabilities").isObject()).isTrue();
        assertThat(tools.list()).extracting(McpTools.Tool::name).contains("echo", "add", "sleep");
        // Heartbeats (server/discover in this revision) keep the workers in place.
        long first = bridge.snapshot().workers().get(0).pid();
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> bridge.snapshot().workers().get(0).pid() == first);
        assertThat(bridge.snapshot().restarts().values().stream().mapToLong(Long::longValue).sum()).isZero();
    }

    /**
     * The first worker starts slowly, so that its server/discover probe times out and it falls back
     * to initialize; the second starts at once and would speak the stateless revision, but the
     * pool's calls are written for the first one's version, so it is held to it.
     */
    @Test
    void laterWorkersAreHeldToTheVersionTheFirstOneNegotiated() throws Exception {
        Path marker = data.resolve("started-once");
        List<String> command = new ArrayList<>(List.of("sh", "-c",
                "if [ ! -e \"$0\" ]; then touch \"$0\"; sleep 3; fi; exec \"$@\"", marker.toString()));
        command.addAll(McpServers.stateless("--legacy-too"));
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("held").command(command).dialect(Dialect.MCP)
                .startupTimeout(Duration.ofSeconds(4)).minWorkers(1).maxWorkers(2).maxInFlightPerWorker(1));
        assertThat(bridge.snapshot().workers().get(0).server().protocolVersion()).isEqualTo("2025-11-25");
        McpTools tools = McpTools.of(bridge);
        List<CompletableFuture<McpTools.Result>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(tools.callAsync("sleep", Map.of("ms", 300), CallOptions.DEFAULTS));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> bridge.snapshot().workers().stream()
                .filter(w -> w.state() == WorkerState.READY).count() == 2);
        for (CompletableFuture<McpTools.Result> call : calls) {
            assertThat(call.join().isError()).isFalse();
        }
        assertThat(bridge.snapshot().workers()).allSatisfy(w -> assertThat(w.server().protocolVersion())
                .isEqualTo("2025-11-25"));
        for (int i = 0; i < 10; i++) {
            assertThat(tools.call("echo", Map.of("text", "t" + i)).text()).isEqualTo("t" + i);
        }
    }

    @Test
    void notificationsProgressForTheCallsTokenReachItsListener() {
        NodeBridge bridge = stateless(UnaryOperator.identity());
        List<JsonNode> seen = new CopyOnWriteArrayList<>();
        JsonNode result = bridge.call("tools/call", Map.of("name", "sleep", "arguments", Map.of("ms", 400, "steps", 3)),
                JsonNode.class, CallOptions.DEFAULTS.withProgress(JsonNode.class, seen::add));
        assertThat(result.at("/content/0/text").asString()).isEqualTo("slept 400 ms");
        assertThat(seen).extracting(p -> p.get("progress").asInt()).containsExactly(1, 2, 3);
        assertThat(seen).allSatisfy(p -> {
            assertThat(p.get("progressToken").isIntegralNumber()).isTrue();
            assertThat(p.get("total").asInt()).isEqualTo(3);
        });
        assertThat(seen.get(0).get("message").asString()).isEqualTo("step 1 of 3");
        assertThat(seen).extracting(p -> p.get("progressToken").asLong()).containsOnly(
                seen.get(0).get("progressToken").asLong());

        // Only a call that listens asks for progress.
        McpTools tools = McpTools.of(bridge);
        assertThat(tools.call("meta", Map.of()).structuredContent().at("/meta/progressToken").isMissingNode()).isTrue();
        JsonNode asked = bridge.call("tools/call", Map.of("name", "meta", "arguments", Map.of()), JsonNode.class,
                CallOptions.DEFAULTS.withProgress(JsonNode.class, p -> { }));
        assertThat(asked.at("/structuredContent/meta/progressToken").isIntegralNumber()).isTrue();
        assertThat(asked.at("/structuredContent/meta/io.modelcontextprotocol~1protocolVersion").asString())
                .isEqualTo("2026-07-28");
    }

    @Test
    void anInitializeRevisionAsksForProgressTooAndAStreamPublishesIt() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("legacy").command(McpServers.stateless("--legacy-too"))
                .dialect(Dialect.MCP).mcpProtocolVersion("2025-11-25"));
        ProgressTests.Recorder<JsonNode> subscriber = new ProgressTests.Recorder<>(Long.MAX_VALUE);
        bridge.stream("tools/call", Map.of("name", "sleep", "arguments", Map.of("ms", 300, "steps", 2)), JsonNode.class)
                .subscribe(subscriber);
        await().atMost(Duration.ofSeconds(20)).until(() -> subscriber.completed.get() == 1);
        assertThat(subscriber.items).extracting(p -> p.get("progress").asInt()).containsExactly(1, 2);
        assertThat(subscriber.error.get()).isNull();
    }

    @Test
    void theServersPingIsAnsweredAndItsOtherRequestsGetMethodNotFound() {
        NodeBridge bridge = stateless(UnaryOperator.identity());
        McpTools tools = McpTools.of(bridge);
        JsonNode ping = tools.call("askHost", Map.of("method", "ping")).structuredContent().get("answer");
        assertThat(ping.get("result").isObject()).isTrue();
        assertThat(ping.get("result").isEmpty()).isTrue();
        JsonNode roots = tools.call("askHost", Map.of("method", "roots/list")).structuredContent().get("answer");
        assertThat(roots.at("/error/code").asInt()).isEqualTo(-32601);
    }

    @Test
    void aPinnedStatelessVersionThatTheServerDoesNotSpeakFailsTheStartNamingTheStep() {
        assertThatThrownBy(() -> filesystem(b -> b.mcpProtocolVersion("2026-07-28")))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.INIT_FAILED);
                    assertThat(e.step()).isEqualTo("mcp server/discover");
                    assertThat(e.getMessage()).contains("-32601");
                });
    }

    @Test
    void aPinnedVersionThatProcessioDoesNotSpeakIsRefusedBeforeAnyWorkerStarts() {
        assertThatThrownBy(() -> filesystem(b -> b.mcpProtocolVersion("2023-01-01")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("processio.worker.mcp.protocol-version")
                .hasMessageContaining("2025-11-25");
    }

    @Test
    void aPinnedInitializeVersionSkipsTheProbe() {
        NodeBridge bridge = filesystem(b -> b.mcpProtocolVersion("2025-06-18"));
        assertThat(bridge.snapshot().workers().get(0).server().protocolVersion()).isEqualTo("2025-06-18");
        assertThat(McpTools.of(bridge).call("list_directory", Map.of("path", data.toString())).text())
                .contains("note-0.md");
    }

    @Test
    void npxAsTheLauncherLeavesNoNodeProcessAfterClose() {
        NodeBridge bridge = start(NodeBridgeOptions.builder().name("npx").command(McpServers.npx(McpServers.FILESYSTEM_BIN, data.toString()))
                .dialect(Dialect.MCP));
        WorkerSnapshot worker = bridge.snapshot().workers().get(0);
        List<ProcessHandle> tree = ProcessHandle.of(worker.pid()).orElseThrow().descendants().toList();
        assertThat(tree).as("npx runs the server in a process of its own").isNotEmpty();
        assertThat(McpTools.of(bridge).call("list_directory", Map.of("path", data.toString())).text())
                .contains("note-0.md");
        bridge.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> tree.stream().noneMatch(ProcessHandle::isAlive));
    }

    private NodeBridge filesystem(UnaryOperator<NodeBridgeOptions.Builder> options) {
        return start(options.apply(NodeBridgeOptions.builder().name("fs").command(McpServers.filesystem(data))
                .dialect(Dialect.MCP)));
    }

    private NodeBridge stateless(UnaryOperator<NodeBridgeOptions.Builder> options) {
        return start(options.apply(NodeBridgeOptions.builder().name("stateless")
                .command(McpServers.stateless()).dialect(Dialect.MCP)));
    }

    private NodeBridge start(NodeBridgeOptions.Builder options) {
        NodeBridge bridge = NodeBridge.start(options.shutdownHook(false).build());
        bridges.add(bridge);
        return bridge;
    }
}
