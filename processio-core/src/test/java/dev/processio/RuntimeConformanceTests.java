package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bundled runtimes held to the same assertions: the Node one serving {@code workers/echo.mjs}
 * and the Python one serving {@code workers/echo.py}, which has the same methods. First through a
 * bridge, then on the wire, then what only the Python runtime has.
 */
@ExtendWith(NoLeaks.class)
class RuntimeConformanceTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** A bundled runtime, and how a test starts it. */
    enum WorkerRuntime {
        NODE(".mjs", "delay", "node ") {
            @Override
            NodeBridgeOptions.Builder serve(NodeBridgeOptions.Builder builder, Path module) {
                return builder.nodeExecutable(TestWorkers.node()).module(module);
            }

            @Override
            List<String> rawCommand(List<String> args) {
                List<String> command = new ArrayList<>(List.of(TestWorkers.node(),
                        resource("/dev/processio/runtime/node/processio-worker.mjs").toString()));
                command.addAll(args);
                return command;
            }
        },
        PYTHON(".py", "delayAsync", "python ") {
            @Override
            NodeBridgeOptions.Builder serve(NodeBridgeOptions.Builder builder, Path module) {
                return builder.pythonExecutable(python()).pythonModule(module);
            }

            @Override
            List<String> rawCommand(List<String> args) {
                List<String> command = new ArrayList<>(List.of(python(), "-B",
                        resource("/dev/processio/runtime/python/processio_worker.py").toString()));
                command.addAll(args);
                return command;
            }
        };

        /** File name ending of its fixtures. */
        final String extension;
        /** A handler that waits and notes its cancel: a coroutine in Python, a promise in Node. */
        final String asyncDelay;
        /** How its {@code processio/ready} names the runtime. */
        final String runtimePrefix;

        WorkerRuntime(String extension, String asyncDelay, String runtimePrefix) {
            this.extension = extension;
            this.asyncDelay = asyncDelay;
            this.runtimePrefix = runtimePrefix;
        }

        abstract NodeBridgeOptions.Builder serve(NodeBridgeOptions.Builder builder, Path module);

        /** The runtime run by hand, without a bridge. */
        abstract List<String> rawCommand(List<String> args);

        Path fixture(String name) {
            return TestWorkers.file(name + extension);
        }

        String moduleProperty() {
            return this == NODE ? "processio.node.module" : "processio.python.module";
        }
    }

    @TempDir
    Path temp;

    private final List<NodeBridge> bridges = new CopyOnWriteArrayList<>();
    private final List<Raw> raws = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeWorkers() {
        for (NodeBridge bridge : bridges) {
            bridge.close();
        }
        for (Raw raw : raws) {
            raw.close();
        }
    }

    // ---- through a bridge -----------------------------------------------------------------------

    record Point(int x, int y) {
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void mapsParamsAndResultsToTypes(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b);
        assertThat(bridge.call("add", Map.of("a", 2, "b", 40), Integer.class)).isEqualTo(42);
        assertThat(bridge.call("echo", new Point(3, 4), Point.class)).isEqualTo(new Point(3, 4));
        assertThat(bridge.call("echo", List.of(new Point(1, 2)), new TypeReference<List<Point>>() {
        })).containsExactly(new Point(1, 2));
        assertThat(bridge.call("echo", "h\u00e9llo \u2713 \"quoted\"\nnext line", String.class))
                .isEqualTo("h\u00e9llo \u2713 \"quoted\"\nnext line");
        assertThat(bridge.call("echo", 1.5, Double.class)).isEqualTo(1.5);
        assertThat(bridge.call("echo", null, Object.class)).isNull();
        assertThat(bridge.call("text.upper", "abc", String.class)).isEqualTo("ABC");
        assertThat(bridge.call("text.slugify", Map.of("text", "Hello World!"), String.class))
                .isEqualTo("hello-world");
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(onlyWorker(bridge).pid());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void errorsCarryTheirCodeTypeAndStackAndDoNotHurtTheWorker(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b);
        long pid = onlyWorker(bridge).pid();
        assertThatThrownBy(() -> bridge.call("fail", Map.of("message", "bad input"), String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> {
                    assertThat(e.code()).isEqualTo(-32000);
                    assertThat(e.remoteType()).isEqualTo("TypeError");
                    assertThat(e.remoteMessage()).isEqualTo("bad input");
                    assertThat(e.remoteStack()).contains("echo" + runtime.extension).contains("fail");
                });
        assertThatThrownBy(() -> bridge.call("invalid", null, String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> {
                    assertThat(e.code()).isEqualTo(-32602);
                    assertThat(e.remoteMessage()).isEqualTo("bad");
                });
        assertThatThrownBy(() -> bridge.call("missing", null, String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> assertThat(e.code()).isEqualTo(-32601));
        assertThatThrownBy(() -> bridge.call("text", null, String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> assertThat(e.code()).isEqualTo(-32601));
        assertThat(bridge.call("add", Map.of("a", 1, "b", 1), Integer.class)).isEqualTo(2);
        assertThat(onlyWorker(bridge)).satisfies(w -> {
            assertThat(w.pid()).isEqualTo(pid);
            assertThat(w.state()).isEqualTo(WorkerState.READY);
            assertThat(w.totalRestarts()).isZero();
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aTimeoutCancelsTheHandler(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b);
        assertThatThrownBy(() -> bridge.call("delay", Map.of("ms", 60_000), String.class,
                CallOptions.timeout(Duration.ofMillis(300))))
                .isInstanceOf(BridgeTimeoutException.class);
        await().atMost(BOUND).until(() -> lastAbortCount(bridge) == 1);
        assertThat(bridge.call("echo", "still here", String.class)).isEqualTo("still here");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aTimeoutCancelsAnAsyncHandler(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b);
        assertThatThrownBy(() -> bridge.call(runtime.asyncDelay, Map.of("ms", 60_000), String.class,
                CallOptions.timeout(Duration.ofMillis(300))))
                .isInstanceOf(BridgeTimeoutException.class);
        await().atMost(BOUND).until(() -> lastAbortCount(bridge) == 1);
        assertThat(bridge.call(runtime.asyncDelay, Map.of("ms", 1, "value", "after"), String.class))
                .isEqualTo("after");
    }

    /** Forty calls that each wait a second: served one after the other they would take forty. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void manyCallsInFlightOnOneWorkerAreEachAnsweredOnce(WorkerRuntime runtime) throws Exception {
        NodeBridge bridge = bridge(runtime, "echo", b -> b.maxWorkers(1).maxInFlightPerWorker(64));
        long start = System.nanoTime();
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(bridge.callAsync(runtime.asyncDelay, Map.of("ms", 1000, "value", i), Integer.class));
        }
        for (int i = 0; i < 40; i++) {
            assertThat(calls.get(i).get(BOUND.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(i);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        List<CompletableFuture<Integer>> records = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            records.add(bridge.callAsync("record", Map.of("key", "k" + i), Integer.class));
        }
        for (CompletableFuture<Integer> record : records) {
            assertThat(record.get(BOUND.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
        }
        Map<String, Integer> counts = bridge.call("counts", null, new TypeReference<Map<String, Integer>>() {
        });
        assertThat(counts).hasSize(200).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
        PoolSnapshot snapshot = bridge.snapshot();
        assertThat(snapshot.lateReplies()).isZero();
        assertThat(snapshot.protocolErrors()).isZero();
        assertThat(snapshot.workers()).singleElement().satisfies(w -> assertThat(w.totalRestarts()).isZero());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aResultLargerThanTheFrameLimitIsRefusedByTheRuntime(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b.maxFrameSize(64 * 1024));
        long pid = onlyWorker(bridge).pid();
        assertThatThrownBy(() -> bridge.call("big", Map.of("bytes", 100_000), String.class))
                .isInstanceOfSatisfying(RemoteExecutionException.class, e -> {
                    assertThat(e.code()).isEqualTo(-32603);
                    assertThat(e.remoteMessage()).contains("frame limit of 65536 bytes");
                });
        assertThat(bridge.call("big", Map.of("bytes", 60_000), String.class)).hasSize(60_000);
        assertThat(onlyWorker(bridge)).satisfies(w -> {
            assertThat(w.pid()).isEqualTo(pid);
            assertThat(w.totalRestarts()).isZero();
        });
        assertThat(bridge.snapshot().protocolErrors()).isZero();
    }

    /**
     * A handler that outlives its call's timeout keeps the worker busy while the pool sees it
     * idle and pings it at every housekeeping tick: the pings must still be answered. A ping
     * left unanswered would show as the slot's last error. The handler then reads its cancel.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void heartbeatsAreAnsweredWhileAHandlerRunsOnPastItsCancel(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b.healthCheckInterval(Duration.ofMillis(50))
                .healthCheckTimeout(Duration.ofMillis(500)));
        long pid = onlyWorker(bridge).pid();
        assertThatThrownBy(() -> bridge.call("readSignalLater", Map.of("ms", 2000), String.class,
                CallOptions.timeout(Duration.ofMillis(100))))
                .isInstanceOf(BridgeTimeoutException.class);
        await().during(Duration.ofMillis(1500)).atMost(BOUND).until(() -> {
            WorkerSnapshot w = onlyWorker(bridge);
            return w.pid() == pid && w.state() == WorkerState.READY && w.totalRestarts() == 0
                    && !String.valueOf(w.lastError()).contains("processio/ping");
        });
        JsonNode seen = await().atMost(BOUND).until(() -> bridge.call("lastSignalRead", null, JsonNode.class),
                node -> node != null && !node.isNull());
        assertThat(seen.get("aborted").booleanValue()).isTrue();
        assertThat(seen.get("id").isIntegralNumber()).isTrue();
        assertThat(bridge.snapshot().restarts()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void printingInAHandlerGoesToStderrAndLeavesTheProtocolAlone(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b);
        assertThat(bridge.call("log", Map.of("text", "printed by the handler"), String.class)).isEqualTo("ok");
        assertThat(bridge.call("echo", "next", String.class)).isEqualTo("next");
        await().atMost(BOUND).until(() -> onlyWorker(bridge).stderrTail().contains("printed by the handler"));
        assertThat(bridge.snapshot().protocolErrors()).isZero();
    }

    /** A handler's lines are tagged with its call on the wire; the tail in an exception shows them without. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void theStderrTailOfALostWorkerShowsAHandlersLinesWithoutTheirTag(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "call-logs", b -> b);
        assertThatThrownBy(() -> bridge.call("printAndExit", Map.of("text", "last words"), String.class))
                .isInstanceOfSatisfying(WorkerLostException.class, e -> {
                    assertThat(e.getMessage()).contains("last words").doesNotContain("\u001f");
                    assertThat(e.stderrTail()).endsWith("\nlast words").doesNotContain("\u001f");
                });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void theStderrTailOfAWorkerThatFailedToStartShowsAnInitCallsLinesWithoutTheirTag(WorkerRuntime runtime) {
        assertThatThrownBy(() -> bridge(runtime, "call-logs", b -> b.initCall("printAndExit",
                Map.of("text", "init said goodbye"))))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.stderrTail()).endsWith("\ninit said goodbye").doesNotContain("\u001f");
                    assertThat(e.getMessage()).doesNotContain("\u001f");
                });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void closeLetsCallsInFlightFinish(WorkerRuntime runtime) {
        NodeBridge bridge = bridge(runtime, "echo", b -> b.gracePeriod(Duration.ofSeconds(10)));
        CompletableFuture<String> plain = bridge.callAsync("delay", Map.of("ms", 500, "value", "plain"), String.class);
        CompletableFuture<String> async = bridge.callAsync(runtime.asyncDelay, Map.of("ms", 500, "value", "async"),
                String.class);
        await().atMost(BOUND).until(() -> bridge.snapshot().activeCalls() == 2);
        bridge.close();
        assertThat(plain).isCompletedWithValue("plain");
        assertThat(async).isCompletedWithValue("async");
        assertThatThrownBy(() -> bridge.call("echo", "x", String.class)).isInstanceOf(BridgeDisposedException.class);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aModuleWithASyntaxErrorFailsToStartWithItsLocation(WorkerRuntime runtime) {
        assertThatThrownBy(() -> bridge(runtime, "syntax-error", b -> b))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.MODULE_LOAD_FAILED);
                    assertThat(e.exitCode()).isEqualTo(3);
                    assertThat(e.stderrTail()).contains("syntax-error" + runtime.extension).contains("SyntaxError");
                    assertThat(e.getMessage()).contains(runtime.moduleProperty());
                });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aModuleThatThrowsWhileLoadingFailsToStartWithItsTraceback(WorkerRuntime runtime) {
        assertThatThrownBy(() -> bridge(runtime, "throws-on-load", b -> b))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.MODULE_LOAD_FAILED);
                    assertThat(e.stderrTail()).contains("boom at load").contains("throws-on-load" + runtime.extension);
                    assertThat(e.getMessage()).contains(runtime.moduleProperty());
                });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aMissingModuleFailsBeforeAnyWorkerStarts(WorkerRuntime runtime) {
        Path missing = temp.resolve("nope" + runtime.extension);
        assertThatThrownBy(() -> start(runtime.serve(defaults(), missing).build()))
                .isInstanceOfSatisfying(BridgeStartupException.class,
                        e -> assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.MODULE_NOT_FOUND))
                .hasMessageContaining(runtime.moduleProperty()).hasMessageContaining(missing.toString());
    }

    // ---- on the wire ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void speaksTheProtocolOnTheWire(WorkerRuntime runtime) throws Exception {
        Raw w = raw(runtime, Map.of(), runtime.fixture("echo").toString());
        JsonNode ready = w.next();
        assertThat(ready.get("method").stringValue()).isEqualTo("processio/ready");
        JsonNode params = ready.get("params");
        assertThat(params.get("protocol").intValue()).isEqualTo(1);
        assertThat(params.get("runtime").stringValue()).startsWith(runtime.runtimePrefix);
        assertThat(params.get("pid").longValue()).isEqualTo(w.process.pid());
        assertThat(params.get("methods").toString()).contains("\"text.upper\"").contains("\"lastAbort\"");

        // A ping is answered while a call is in flight, and counts it.
        w.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"delay\",\"params\":{\"ms\":60000}}");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"processio/ping\"}");
        JsonNode pong = w.next();
        assertThat(pong.get("id").intValue()).isEqualTo(2);
        assertThat(pong.get("result").get("pid").longValue()).isEqualTo(w.process.pid());
        assertThat(pong.get("result").get("inFlight").intValue()).isEqualTo(1);

        // A cancel ends the call; its handler fails with the cancel.
        w.send("{\"jsonrpc\":\"2.0\",\"method\":\"processio/cancel\",\"params\":{\"id\":1}}");
        JsonNode cancelled = w.next();
        assertThat(cancelled.get("id").intValue()).isEqualTo(1);
        assertThat(cancelled.get("error").get("code").intValue()).isEqualTo(-32000);
        assertThat(cancelled.get("error").get("data").get("type").stringValue()).isEqualTo("CancelledError");

        w.send("this is not json");
        assertThat(w.next().toString()).contains("\"id\":null").contains("-32700");
        w.send("[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\"}]");
        assertThat(w.next().toString()).contains("\"id\":null").contains("-32600");
        w.send("{\"jsonrpc\":\"1.0\",\"id\":4,\"method\":\"echo\"}");
        assertThat(w.next().toString()).contains("\"id\":4").contains("-32600");
        w.send("");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"processio/unknown\"}");
        assertThat(w.next().toString()).contains("\"id\":5").contains("-32601");

        // Shutdown: the call in flight is answered, what comes after is not read, the exit is clean.
        w.send("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"delay\",\"params\":{\"ms\":300,\"value\":\"last\"}}");
        w.send("{\"jsonrpc\":\"2.0\",\"method\":\"processio/shutdown\"}");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\",\"params\":\"ignored\"}");
        JsonNode last = w.next();
        assertThat(last.get("id").intValue()).isEqualTo(6);
        assertThat(last.get("result").stringValue()).isEqualTo("last");
        assertThat(w.awaitExit()).isZero();
        assertThat(w.rest()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void endOfInputFinishesTheCallsInFlightThenExitsCleanly(WorkerRuntime runtime) throws Exception {
        Raw w = raw(runtime, Map.of(), runtime.fixture("echo").toString());
        w.next();
        w.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"delay\",\"params\":{\"ms\":300,\"value\":\"plain\"}}");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"" + runtime.asyncDelay
                + "\",\"params\":{\"ms\":300,\"value\":\"async\"}}");
        w.closeStdin();
        List<String> replies = List.of(w.next().toString(), w.next().toString());
        assertThat(replies).anyMatch(r -> r.contains("\"plain\"")).anyMatch(r -> r.contains("\"async\""));
        assertThat(w.awaitExit()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void aRequestLineLongerThanTheFrameLimitIsRefusedAndSkipped(WorkerRuntime runtime) throws Exception {
        Raw w = raw(runtime, Map.of("PROCESSIO_MAX_FRAME_SIZE", "4096"), runtime.fixture("echo").toString());
        w.next();
        w.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":\"" + "x".repeat(10_000) + "\"}");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":\"" + "y".repeat(4000) + "\"}");
        JsonNode refused = w.next();
        assertThat(refused.get("id").isNull()).isTrue();
        assertThat(refused.get("error").get("code").intValue()).isEqualTo(-32600);
        assertThat(refused.get("error").get("message").stringValue()).contains("frame limit of 4096 bytes");
        JsonNode served = w.next();
        assertThat(served.get("id").intValue()).isEqualTo(2);
        assertThat(served.get("result").stringValue()).hasSize(4000);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(WorkerRuntime.class)
    void noModuleOnTheCommandLineExitsWithTwo(WorkerRuntime runtime) throws Exception {
        Raw w = raw(runtime, Map.of());
        assertThat(w.awaitExit()).isEqualTo(2);
        assertThat(Files.readString(w.stderr)).contains("usage");
    }

    // ---- only in Python ---------------------------------------------------------------------------

    @Test
    void pythonServesTheModulesOwnFunctionsAndThePublicCallablesOfItsObjects() throws Exception {
        Raw w = raw(WorkerRuntime.PYTHON, Map.of(), TestWorkers.file("python-extras.py").toString());
        List<String> methods = new ArrayList<>();
        w.next().get("params").get("methods").forEach(m -> methods.add(m.stringValue()));
        // Not served: the imported basename and json, constants, _private, the class Greeter, its
        // property, _secret and _hidden.
        assertThat(methods).containsExactly("none", "one", "two", "spread", "meet", "deferred", "dumped",
                "greeter.helper.shout", "greeter.hello", "greeter.version", "greeter.kind", "tools.double",
                "tools.inner.triple");
    }

    @Test
    void pythonHandlersAreCalledWithTheParametersTheyTake() {
        NodeBridge bridge = bridge(WorkerRuntime.PYTHON, "python-extras", b -> b);
        assertThat(bridge.call("none", 5, String.class)).isEqualTo("none");
        assertThat(bridge.call("one", 5, List.class)).isEqualTo(List.of("one", 5));
        List<Object> two = bridge.call("two", 5, new TypeReference<List<Object>>() {
        });
        assertThat(two).hasSize(4).startsWith("two", 5).endsWith("two");
        assertThat(two.get(2)).isInstanceOf(Number.class);
        assertThat(bridge.call("spread", 5, List.class)).isEqualTo(List.of("spread", 2));
        assertThat(bridge.call("deferred", "awaited", String.class)).isEqualTo("awaited");
        assertThat(bridge.call("greeter.hello", "you", String.class)).isEqualTo("hello you");
        assertThat(bridge.call("greeter.helper.shout", "hey", String.class)).isEqualTo("HEY");
        assertThat(bridge.call("greeter.version", null, Integer.class)).isEqualTo(1);
        assertThat(bridge.call("greeter.kind", null, String.class)).isEqualTo("Greeter");
        assertThat(bridge.call("tools.inner.triple", 3, Integer.class)).isEqualTo(9);
        // -B: importing the module wrote no bytecode cache next to it.
        assertThat(TestWorkers.file("python-extras.py").resolveSibling("__pycache__")).doesNotExist();
    }

    /** Each call waits until four are inside the handler together: only a pool of four threads lets them. */
    @Test
    void pythonRunsPlainHandlersInParallelOnItsThreadPool() throws Exception {
        NodeBridge bridge = bridge(WorkerRuntime.PYTHON, "python-extras", b -> b.maxInFlightPerWorker(8)
                .environment("PROCESSIO_PYTHON_THREADS", "4"));
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(bridge.callAsync("meet", Map.of("key", "four", "n", 4), String.class));
        }
        for (CompletableFuture<String> call : calls) {
            assertThat(call.get(BOUND.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("met");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private NodeBridge bridge(WorkerRuntime runtime, String fixture, UnaryOperator<NodeBridgeOptions.Builder> change) {
        return start(change.apply(runtime.serve(defaults(), runtime.fixture(fixture))).build());
    }

    private static NodeBridgeOptions.Builder defaults() {
        return NodeBridgeOptions.builder().name("test").killTimeout(Duration.ofSeconds(2))
                .gracePeriod(Duration.ofSeconds(2));
    }

    private NodeBridge start(NodeBridgeOptions options) {
        NodeBridge bridge = NodeBridge.start(options);
        bridges.add(bridge);
        return bridge;
    }

    private static WorkerSnapshot onlyWorker(NodeBridge bridge) {
        List<WorkerSnapshot> workers = bridge.snapshot().workers();
        assertThat(workers).hasSize(1);
        return workers.get(0);
    }

    private static int lastAbortCount(NodeBridge bridge) {
        return bridge.call("lastAbort", null, JsonNode.class).get("count").intValue();
    }

    /** The Python the tests use: {@code $PROCESSIO_TEST_PYTHON}, or {@code python3} on the PATH. */
    static String python() {
        String python = System.getenv("PROCESSIO_TEST_PYTHON");
        return python == null || python.isBlank() ? "python3" : python;
    }

    static Path resource(String name) {
        URL url = RuntimeConformanceTests.class.getResource(name);
        if (url == null) {
            throw new IllegalArgumentException("no resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Raw raw(WorkerRuntime runtime, Map<String, String> environment, String... args) throws IOException {
        Raw raw = new Raw(runtime.rawCommand(List.of(args)), environment,
                temp.resolve("stderr-" + raws.size() + ".txt"));
        raws.add(raw);
        return raw;
    }

    /** A runtime run by hand: requests written as text, replies read as JSON, one line each. */
    private static final class Raw implements AutoCloseable {

        private static final String END = "\u0000end";

        final Process process;
        final Path stderr;
        private final OutputStream stdin;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Raw(List<String> command, Map<String, String> environment, Path stderr) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile());
            builder.environment().putAll(environment);
            this.process = builder.start();
            this.stderr = stderr;
            this.stdin = process.getOutputStream();
            Thread reader = new Thread(this::readLines, "test-raw-stdout-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        private void readLines() {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ended) {
                // The process was killed.
            } finally {
                lines.add(END);
            }
        }

        void send(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        void closeStdin() throws IOException {
            stdin.close();
        }

        /** The next line, parsed; fails when there is none within the bound. */
        JsonNode next() throws InterruptedException {
            String line = lines.poll(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(line).as("a line on stdout within %s", BOUND).isNotNull().isNotEqualTo(END);
            return JSON.readTree(line);
        }

        /** The lines left once stdout has ended. */
        List<String> rest() throws InterruptedException {
            List<String> rest = new ArrayList<>();
            for (String line; !END.equals(line = lines.poll(BOUND.toMillis(), TimeUnit.MILLISECONDS)); ) {
                assertThat(line).as("end of stdout within %s", BOUND).isNotNull();
                rest.add(line);
            }
            return rest;
        }

        int awaitExit() throws InterruptedException {
            assertThat(process.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("exited").isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
