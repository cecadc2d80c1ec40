package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.metrics.MicrometerMetricsTracker;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/** The {@code json-rpc} dialect against a plain JSON-RPC server that never sends {@code processio/ready}. */
@ExtendWith(NoLeaks.class)
class JsonRpcDialectTests {

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeBridges() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
    }

    @Test
    void initCallsAndNotificationsComeBeforeTheFirstCall() {
        NodeBridge bridge = server(b -> b.minWorkers(2).maxWorkers(2)
                .initCall("session/open", Map.of("client", "processio-test"))
                .initNotification("session/ready", null));
        for (int i = 0; i < 10; i++) {
            JsonNode me = bridge.call("whoami", null, JsonNode.class);
            assertThat(me.get("client").asString()).isEqualTo("processio-test");
            assertThat(me.get("notifications").toString()).contains("session/ready");
        }
        assertThat(bridge.call("add", Map.of("a", 2, "b", 3), Integer.class)).isEqualTo(5);
        // A json-rpc server says nothing of itself.
        assertThat(bridge.snapshot().workers()).allSatisfy(w -> assertThat(w.server()).isNull());
    }

    @Test
    void withoutInitCallsAWorkerIsReadyOnceItsProcessRuns() {
        NodeBridge bridge = server(UnaryOperator.identity());
        assertThatThrownBy(() -> bridge.call("whoami", null, JsonNode.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class,
                        e -> assertThat(e.code()).isEqualTo(-32002));
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(bridge.snapshot().workers().get(0).pid());
    }

    @Test
    void anInitCallThatFailsIsAStartFailureThatNamesIt() {
        assertThatThrownBy(() -> server(b -> b.initCall("session/open", Map.of("client", "x"))
                .initCall("session/fail", null)))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.INIT_FAILED);
                    assertThat(e.step()).isEqualTo("init-calls[1] (session/fail)");
                    assertThat(e.getMessage()).contains("init-calls[1] (session/fail)", "-32001",
                            "sessions are closed today");
                });
    }

    @Test
    void aProbeThatGetsNoAnswerTimesOutNamingTheStep() {
        List<String> silent = List.of(TestWorkers.node(), "-e", "process.stdin.resume()");
        assertThatThrownBy(() -> start(NodeBridgeOptions.builder().name("test").command(silent)
                .dialect(Dialect.JSON_RPC).healthCheckMethod("health").startupTimeout(Duration.ofSeconds(1))))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.READY_TIMEOUT);
                    assertThat(e.step()).contains("probe", "health");
                    assertThat(e.getMessage()).contains("processio.worker.startup-timeout", "health");
                });
    }

    @Test
    void aTimeoutCancelsWithTheConfiguredNotificationAndItsIdMember() {
        NodeBridge bridge = server(b -> b.initCall("session/open", Map.of("client", "x"))
                .cancelNotificationMethod("$/cancelRequest").cancelNotificationIdMember("requestId"),
                "--id-member", "requestId");
        assertThatThrownBy(() -> bridge.call("sleep", Map.of("ms", 30_000), JsonNode.class,
                CallOptions.timeout(Duration.ofMillis(300))))
                .isInstanceOf(BridgeTimeoutException.class);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                bridge.call("lastCancelled", null, JsonNode.class)).hasSize(1));
        assertThat(bridge.call("lastCancelled", null, JsonNode.class).get(0).isIntegralNumber()).isTrue();
        assertThat(bridge.call("add", Map.of("a", 1, "b", 1), Integer.class)).isEqualTo(2);
    }

    @Test
    void withoutACancelNotificationATimeoutSendsNothingAndTheLateReplyIsDropped() {
        NodeBridge bridge = server(b -> b.initCall("session/open", Map.of("client", "x")));
        assertThatThrownBy(() -> bridge.call("sleep", Map.of("ms", 600), JsonNode.class,
                CallOptions.timeout(Duration.ofMillis(200))))
                .isInstanceOf(BridgeTimeoutException.class);
        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.snapshot().lateReplies() == 1);
        assertThat(bridge.call("lastCancelled", null, JsonNode.class)).isEmpty();
        assertThat(bridge.call("whoami", null, JsonNode.class).get("notifications")).isEmpty();
    }

    @Test
    void aRequestFromTheServerIsAnsweredWithMethodNotFoundWithoutAHandler() {
        NodeBridge bridge = server(b -> b.initCall("session/open", Map.of("client", "x")));
        JsonNode answer = bridge.call("ask", Map.of("method", "roots/list"), JsonNode.class);
        assertThat(answer.at("/error/code").asInt()).isEqualTo(-32601);
        assertThat(answer.at("/error/message").asString()).contains("roots/list");
    }

    @Test
    void aHandlerAnswersTheServersRequestsAtOnceOrLater() {
        List<String> seen = new CopyOnWriteArrayList<>();
        NodeBridge bridge = server(b -> b.initCall("session/open", Map.of("client", "x"))
                .serverRequestHandler((pool, method, params) -> {
                    seen.add(pool + " " + method + " " + params);
                    return switch (method) {
                        case "roots/list" -> Map.of("roots", List.of(Map.of("uri", "file:///data")));
                        case "slow/thing" -> CompletableFuture.supplyAsync(() -> "later");
                        case "broken/thing" -> throw new IllegalStateException("no such thing");
                        case "assert/thing" -> throw new AssertionError("a bug in the handler");
                        default -> ServerRequestHandler.NOT_HANDLED;
                    };
                }));
        assertThat(bridge.call("ask", Map.of("method", "roots/list"), JsonNode.class).at("/result/roots/0/uri")
                .asString()).isEqualTo("file:///data");
        assertThat(bridge.call("ask", Map.of("method", "slow/thing"), JsonNode.class).at("/result").asString())
                .isEqualTo("later");
        JsonNode broken = bridge.call("ask", Map.of("method", "broken/thing"), JsonNode.class);
        assertThat(broken.at("/error/code").asInt()).isEqualTo(-32603);
        assertThat(broken.at("/error/message").asString()).contains("no such thing");
        assertThat(bridge.call("ask", Map.of("method", "other/thing"), JsonNode.class).at("/error/code").asInt())
                .isEqualTo(-32601);
        // Not only exceptions: an Error of the handler is answered too, and the stdout thread reads on.
        JsonNode assertion = bridge.call("ask", Map.of("method", "assert/thing"), JsonNode.class);
        assertThat(assertion.at("/error/message").asString()).contains("a bug in the handler");
        assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
        assertThat(seen).first().isEqualTo("test roots/list {\"from\":\"jsonrpc-server\"}");
        assertThat(bridge.snapshot().workers().get(0).state()).isEqualTo(WorkerState.READY);
    }

    @Test
    void theServersOwnNotificationsAreCountedAndNeverTakenForReplies() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NodeBridge bridge = server(b -> b.initCall("session/open", Map.of("client", "x"))
                .metricsTrackerFactory(MicrometerMetricsTracker.factory(registry)));
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(bridge.callAsync("chatty", Map.of("n", 25), Integer.class));
        }
        for (CompletableFuture<Integer> call : calls) {
            assertThat(call.join()).isEqualTo(25);
        }
        assertThat(registry.get("processio.worker.messages").tag("kind", "notification").counter().count())
                .isEqualTo(500);
        assertThat(bridge.snapshot().lateReplies()).isZero();
        assertThat(bridge.snapshot().protocolErrors()).isZero();
    }

    @Test
    void aHeartbeatMethodMakesAServerThatStopsAnsweringBeReplaced() {
        NodeBridge bridge = server(b -> b.healthCheckMethod("health").healthCheckInterval(Duration.ofMillis(200))
                .healthCheckTimeout(Duration.ofMillis(500)));
        long first = bridge.snapshot().workers().get(0).pid();
        // SIGSTOP: the process lives but answers nothing, so only the heartbeat can tell.
        assertThat(signal(first, "STOP")).isZero();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.snapshot().restarts()
                    .getOrDefault(RestartCause.HEARTBEAT, 0L) >= 1);
        } finally {
            // Killed by the pool by now, unless the wait failed.
            signal(first, "CONT");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> bridge.snapshot().workers().stream()
                .anyMatch(w -> w.state() == WorkerState.READY && w.pid() != first));
    }

    /** Sends a signal with kill(1); returns its exit code. */
    private static int signal(long pid, String name) {
        try {
            return new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private NodeBridge server(UnaryOperator<NodeBridgeOptions.Builder> options, String... args) {
        return start(options.apply(NodeBridgeOptions.builder().name("test")
                .command(TestWorkers.rawNode("jsonrpc-server.mjs", args)).dialect(Dialect.JSON_RPC)
                .minWorkers(1).maxWorkers(1).shutdownHook(false)));
    }

    private NodeBridge start(NodeBridgeOptions.Builder options) {
        NodeBridge bridge = NodeBridge.start(options.shutdownHook(false).build());
        bridges.add(bridge);
        return bridge;
    }
}
