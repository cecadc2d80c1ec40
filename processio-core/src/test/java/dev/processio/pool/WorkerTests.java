package dev.processio.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.Backpressure;
import dev.processio.BridgeProtocolException;
import dev.processio.BridgeStartupException;
import dev.processio.BridgeStartupException.Reason;
import dev.processio.WorkerLostException;
import dev.processio.io.BrokenPipeException;
import dev.processio.io.ProcessIO;
import dev.processio.io.StdinStalledException;
import dev.processio.io.StdinWriteException;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.RpcCodec;
import dev.processio.protocol.RpcReply;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One worker process over the wire protocol, with the bundled Node runtime and raw test workers. */
@ExtendWith(NoLeaks.class)
class WorkerTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JavaType TREE = JSON.constructType(JsonNode.class);
    private static BundledRuntime runtime;

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final RecordingListener listener = new RecordingListener();
    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong(1);
    private RpcCodec codec = new RpcCodec(JSON, JsonRpc.DEFAULT_MAX_FRAME_SIZE);
    private WorkerProtocol protocol = WorkerProtocol.of(dev.processio.NodeBridgeOptions.builder().name("test")
            .command("worker").build(), codec, ids::getAndIncrement);

    @BeforeAll
    static void extractRuntime() {
        runtime = BundledRuntime.extract(BundledRuntime.Kind.NODE);
    }

    @AfterAll
    static void deleteRuntime() {
        Path dir = runtime.script().getParent();
        runtime.close();
        assertThat(dir).doesNotExist();
    }

    @AfterEach
    void stopWorkers() throws Exception {
        for (Worker w : workers) {
            w.kill();
        }
        for (Worker w : workers) {
            assertThat(w.awaitStopped(Duration.ofSeconds(10))).as("%s stopped", w).isTrue();
        }
        scheduler.shutdownNow();
    }

    // ---- round trips -------------------------------------------------------------------------

    @Test
    void echoesParamsAndServesNestedAndCommonJsMethods() throws Exception {
        Worker w = node("echo.mjs");
        Map<String, Object> params = Map.of("text", "héllo ✓ 𝄞", "n", 42, "list", List.of(1, 2, 3));
        assertThat(result(w, "echo", params)).isEqualTo(JSON.valueToTree(params));
        assertThat(result(w, "add", Map.of("a", 2, "b", 3)).intValue()).isEqualTo(5);
        assertThat(result(w, "text.slugify", "Hello World").stringValue()).isEqualTo("hello-world");
        assertThat(w.readyParams().get("methods").toString()).contains("text.upper");
        assertThat(w.inFlight()).isZero();
        assertThat(listener.lateIds).isEmpty();

        Worker legacy = node("legacy.cjs");
        assertThat(result(legacy, "greet", Map.of("name", "Ada")).stringValue()).isEqualTo("hello Ada");
        assertThat(result(legacy, "math.square", 7).intValue()).isEqualTo(49);
    }

    @Test
    void correlatesOnlyByTheTopLevelIdAndAcceptsIdZero() throws Exception {
        Worker w = node("echo.mjs");
        Map<String, Object> params = Map.of("id", 7, "nested", Map.of("id", 0));
        RpcReply reply = send(w, 0, codec.request(0, "echo", params)).get(10, TimeUnit.SECONDS);
        assertThat(reply.id()).isZero();
        assertThat(tree(reply)).isEqualTo(JSON.valueToTree(params));

        Worker raw = rawWorker("raw-replies.mjs");
        RpcReply nested = send(raw, 5, codec.request(5, "nested", null)).get(10, TimeUnit.SECONDS);
        assertThat(nested.id()).isEqualTo(5);
        assertThat(tree(nested).get("id").intValue()).isEqualTo(999);
        assertThat(listener.lateIds).isEmpty();
    }

    @Test
    void repliesMayArriveOutOfOrder() throws Exception {
        Worker w = node("echo.mjs");
        CompletableFuture<RpcReply> slow = send(w, "delay", Map.of("ms", 600, "value", "slow"));
        CompletableFuture<RpcReply> fast = send(w, "delay", Map.of("ms", 10, "value", "fast"));
        assertThat(tree(fast.get(10, TimeUnit.SECONDS)).stringValue()).isEqualTo("fast");
        assertThat(slow).isNotDone();
        assertThat(tree(slow.get(10, TimeUnit.SECONDS)).stringValue()).isEqualTo("slow");

        Worker raw = rawWorker("raw-replies.mjs");
        CompletableFuture<RpcReply> first = send(raw, "swap", "first");
        CompletableFuture<RpcReply> second = send(raw, "swap", "second");
        assertThat(tree(first.get(10, TimeUnit.SECONDS)).stringValue()).isEqualTo("first");
        assertThat(tree(second.get(10, TimeUnit.SECONDS)).stringValue()).isEqualTo("second");
    }

    @Test
    void carriesOneMebibyteBothWays() throws Exception {
        Worker w = node("echo.mjs");
        String payload = "é".repeat(1 << 19) + "x".repeat(1 << 19);
        assertThat(result(w, "echo", payload).stringValue()).isEqualTo(payload);
        assertThat(result(w, "big", Map.of("bytes", 1 << 20)).stringValue()).hasSize(1 << 20);
    }

    @Test
    void answersPing() throws Exception {
        Worker w = node("echo.mjs");
        assertThat(result(w, JsonRpc.PING, null).get("pid").longValue()).isEqualTo(w.pid());
    }

    // ---- remote errors and output hygiene ----------------------------------------------------

    @Test
    void reportsHandlerErrorsWithTheirTypeAndStack() throws Exception {
        Worker w = node("echo.mjs");
        RpcReply thrown = call(w, "fail", Map.of("message", "no good"));
        assertThat(thrown.error().code()).isEqualTo(JsonRpc.HANDLER_ERROR);
        assertThat(thrown.error().message()).isEqualTo("no good");
        assertThat(thrown.error().type()).isEqualTo("TypeError");
        assertThat(thrown.error().stack()).contains("echo.mjs");
        assertThat(call(w, "invalid", null).error().code()).isEqualTo(JsonRpc.INVALID_PARAMS);
        assertThat(call(w, "nope", null).error().code()).isEqualTo(JsonRpc.METHOD_NOT_FOUND);
        assertThat(w.isAlive()).isTrue();
        assertThat(listener.faults).isEmpty();
    }

    @Test
    void consoleOutputOfTheModuleGoesToStderr() throws Exception {
        Worker w = node("faults.mjs");
        assertThat(result(w, "consoleLog", Map.of("text", "\u001b[31mlogged\u001b[0m by the module")).stringValue())
                .isEqualTo("ok");
        await().atMost(Duration.ofSeconds(5)).until(() -> w.stderrTail().contains("logged by the module"));
        assertThat(listener.protocolErrors).isEmpty();
    }

    @Test
    void strayStdoutLinesAreCountedAndIgnored() throws Exception {
        Worker w = node("faults.mjs");
        assertThat(result(w, "stray", Map.of("text", "debug: left in by mistake")).stringValue()).isEqualTo("ok");
        Worker raw = rawWorker("raw-replies.mjs");
        assertThat(result(raw, "stray", "after").stringValue()).isEqualTo("after");

        assertThat(result(w, "sleep", Map.of("ms", 1)).stringValue()).isEqualTo("slept");
        assertThat(listener.faults).isEmpty();
        assertThat(listener.protocolErrors).containsExactly("stray", "stray");
    }

    @Test
    void theRuntimeRefusesAResultLargerThanTheFrameLimit() throws Exception {
        codec = new RpcCodec(JSON, 64 * 1024);
        protocol = WorkerProtocol.of(dev.processio.NodeBridgeOptions.builder().name("test").command("worker").build(),
                codec, ids::getAndIncrement);
        Worker w = node("echo.mjs", s -> withFrameLimit(s, 64 * 1024));
        RpcReply reply = call(w, "big", Map.of("bytes", 100_000));
        assertThat(reply.error().code()).isEqualTo(JsonRpc.INTERNAL_ERROR);
        assertThat(w.isAlive()).isTrue();
    }

    @Test
    void aRequestLargerThanTheFrameLimitFailsBeforeAnythingIsWritten() throws Exception {
        Worker w = node("echo.mjs", s -> withFrameLimit(s, 64 * 1024));
        byte[] frame = codec.request(1, "echo", "x".repeat(70_000));
        assertThatThrownBy(() -> send(w, 1, frame)).isInstanceOf(BridgeProtocolException.class)
                .hasMessageContaining("processio.io.max-frame-size");
        assertThat(w.stdin().bytesWritten()).isZero();
        assertThat(w.inFlight()).isZero();
    }

    // ---- protocol faults -----------------------------------------------------------------------

    @Test
    void anOversizedReplyLineIsAProtocolFault() throws Exception {
        Worker w = rawWorker("raw-replies.mjs", s -> withFrameLimit(s, 64 * 1024));
        CompletableFuture<RpcReply> call = send(w, "oversize", Map.of("bytes", 200_000));
        WorkerLostException lost = lostCause(call);
        assertThat(lost.requestWritten()).isTrue();
        assertThat(lost.getMessage()).contains("longer than the frame size limit");
        assertThat(listener.faultKinds()).containsExactly(WorkerFault.Kind.PROTOCOL);
        assertThat(listener.protocolErrors).containsExactly("oversized");
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.exits.size() == 1);
    }

    @Test
    void aCorruptFrameIsAProtocolFault() throws Exception {
        Worker w = rawWorker("raw-replies.mjs");
        CompletableFuture<RpcReply> call = send(w, "corrupt", null);
        assertThat(lostCause(call).getMessage()).contains("corrupt frame");
        assertThat(listener.faultKinds()).containsExactly(WorkerFault.Kind.PROTOCOL);
        assertThat(listener.protocolErrors).hasSize(1);
    }

    // ---- deaths --------------------------------------------------------------------------------

    @Test
    void aWorkerThatExitsMidRequestFailsItsCallsAtOnce() throws Exception {
        Worker w = node("faults.mjs");
        CompletableFuture<RpcReply> sleeping = send(w, "sleep", Map.of("ms", 60_000));
        send(w, "exitSoon", Map.of("ms", 100, "code", 7));
        long start = System.nanoTime();
        WorkerLostException lost = lostCause(sleeping);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(lost.exitCode()).isEqualTo(7);
        assertThat(lost.signal()).isNull();
        assertThat(lost.pid()).isEqualTo(w.pid());
        assertThat(lost.requestWritten()).isTrue();
        assertThat(lost.getMessage()).startsWith("test: worker 1 (pid " + w.pid() + ")").contains("exit code 7");
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.exits.size() == 1);
        assertThat(listener.exits.get(0).exitCode()).isEqualTo(7);
        assertThat(w.inFlight()).isZero();
    }

    @Test
    void aKilledWorkerReportsTheSignal() throws Exception {
        Worker w = node("faults.mjs");
        CompletableFuture<RpcReply> sleeping = send(w, "sleep", Map.of("ms", 60_000));
        send(w, "sigkill", null);
        WorkerLostException lost = lostCause(sleeping);
        assertThat(lost.signal()).isEqualTo(9);
        assertThat(lost.getMessage()).contains("signal 9 (SIGKILL)");
    }

    @Test
    void aWorkerThatClosesItsStdinGivesEpipe() throws Exception {
        Worker w = node("faults.mjs");
        assertThat(result(w, "closeStdin", null).stringValue()).isEqualTo("closed");
        List<CompletableFuture<RpcReply>> calls = new ArrayList<>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            calls.add(send(w, "sleep", Map.of("ms", 1)));
            return w.stdin().epipeCount() > 0;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.stream().allMatch(CompletableFuture::isDone));
        assertThat(w.stdin().epipeCount()).isEqualTo(1);
        assertThat(listener.faultKinds()).containsExactly(WorkerFault.Kind.BROKEN_PIPE);
        for (CompletableFuture<RpcReply> call : calls) {
            Throwable cause = causeOf(call);
            assertThat(cause).isInstanceOfAny(WorkerLostException.class, BrokenPipeException.class);
            if (cause instanceof WorkerLostException lost) {
                assertThat(lost.getCause()).isInstanceOf(BrokenPipeException.class);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.exits.size() == 1);
    }

    @Test
    void aWriteCutShortByTheKillOfItsWorkerIsNotReportedAsTheWorkersFault() throws Exception {
        // The pool kills a worker for reasons of its own (a quarantine after timeouts, a stop): the write
        // that was blocked on its full pipe then fails with EPIPE, which is the kill's doing, not the worker's.
        Worker w = node("faults.mjs", s -> withIo(s, new ProcessIO.Settings(1024, 64 << 20, Backpressure.BLOCK,
                Duration.ofSeconds(5), Duration.ofSeconds(60))));
        assertThat(result(w, "pauseStdin", Map.of("ms", 600_000)).stringValue()).isEqualTo("paused");
        List<CompletableFuture<RpcReply>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(send(w, "sleep", Map.of("ms", 1, "pad", "x".repeat(20_000))));
        }
        // 800 kB cannot all fit in the pipe and the runtime's read-ahead: the writer waits on the pipe.
        await().atMost(Duration.ofSeconds(10)).until(() -> w.stdin().queuedFrames() > 0
                && w.stdin().framesWritten() > 0);
        w.kill();
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.stream().allMatch(CompletableFuture::isDone));
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.exits.size() == 1);
        assertThat(listener.faultKinds()).isEmpty();
        for (CompletableFuture<RpcReply> call : calls) {
            Throwable cause = causeOf(call);
            assertThat(cause).isInstanceOfAny(WorkerLostException.class, StdinWriteException.class);
            assertThat(cause.getMessage()).doesNotContain("EPIPE");
        }
    }

    @Test
    void aWorkerThatStopsReadingIsKilledAfterTheWriteTimeout() throws Exception {
        Worker w = node("faults.mjs", s -> withIo(s, new ProcessIO.Settings(1024, 64 << 20, Backpressure.BLOCK,
                Duration.ofSeconds(5), Duration.ofMillis(500))));
        assertThat(result(w, "pauseStdin", Map.of("ms", 600_000)).stringValue()).isEqualTo("paused");
        List<CompletableFuture<RpcReply>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(send(w, "sleep", Map.of("ms", 1, "pad", "x".repeat(20_000))));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.stream().allMatch(CompletableFuture::isDone));
        assertThat(listener.faultKinds()).containsExactly(WorkerFault.Kind.STALLED);
        List<Throwable> causes = calls.stream().map(WorkerTests::causeOf).toList();
        assertThat(causes).allMatch(c -> c instanceof WorkerLostException || c instanceof StdinStalledException);
        // Calls whose bytes never reached the worker are reported as unsent, so a pool may resend them.
        assertThat(causes.get(causes.size() - 1)).isInstanceOfSatisfying(StdinWriteException.class,
                e -> assertThat(e.reachedWorker()).isFalse());
        assertThat(w.stdin().epipeCount()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.exits.size() == 1);
        assertThat(listener.exits.get(0).signal()).isEqualTo(9);
    }

    @Test
    void endOfStdinFinishesInFlightCallsThenExitsCleanly() throws Exception {
        Worker w = node("echo.mjs");
        CompletableFuture<RpcReply> slow = send(w, "delay", Map.of("ms", 300, "value", "done"));
        w.closeStdin();
        assertThat(tree(slow.get(10, TimeUnit.SECONDS)).stringValue()).isEqualTo("done");
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.exits.size() == 1);
        assertThat(listener.exits.get(0).exitCode()).isZero();
        assertThat(listener.faults).isEmpty();
    }

    /** A child started after the last look at ready is found by a later one, as the housekeeper's tick makes. */
    @Test
    void aChildRememberedWhileTheWorkerRanIsKilledWhenTheWorkerExitsByItself() throws Exception {
        Worker w = rawWorker("tree.mjs");
        ProcessHandle child = ProcessHandle.of(result(w, "spawn", Map.of("kind", "detached")).longValue())
                .orElseThrow();
        NoLeaks.watch(List.of(child));
        w.rememberDescendants();

        // Its exit hands the child to init, where no look at the worker's tree would find it.
        assertThat(result(w, "exit", null).stringValue()).isEqualTo("bye");

        await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessTree.running(child));
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.exits.size() == 1);
        assertThat(listener.exits.get(0).exitCode()).isZero();
    }

    @Test
    void cancelAbortsTheHandlersSignalAndTheLateReplyIsDropped() throws Exception {
        Worker w = node("echo.mjs");
        long id = ids.getAndIncrement();
        CompletableFuture<RpcReply> call = send(w, id, codec.request(id, "delay", Map.of("ms", 60_000)));
        await().atMost(Duration.ofSeconds(5)).until(() -> w.stdin().framesWritten() > 0);
        assertThat(w.cancel(id, "test")).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> result(w, "lastAbort", null).get("count").intValue() == 1);
        assertThat(result(w, "lastAbort", null).get("id").longValue()).isEqualTo(id);
        // The handler rejected on abort; its reply comes back for an id nobody waits for.
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.lateIds.size() == 1);
        assertThat(listener.lateIds).containsExactly(id);
        assertThat(call).isNotDone();
    }

    /** The runtime makes a handler's AbortSignal only when the handler asks; a cancel that came first still shows. */
    @Test
    void aCancelReachesAHandlerThatReadsItsSignalOnlyLater() throws Exception {
        Worker w = node("echo.mjs");
        long id = ids.getAndIncrement();
        CompletableFuture<RpcReply> call = send(w, id, codec.request(id, "readSignalLater", Map.of("ms", 1000)));
        await().atMost(Duration.ofSeconds(5)).until(() -> w.stdin().framesWritten() > 0);
        assertThat(w.cancel(id, "test")).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.lateIds.contains(id));
        JsonNode seen = result(w, "lastSignalRead", null);
        assertThat(seen.get("id").longValue()).isEqualTo(id);
        assertThat(seen.get("aborted").booleanValue()).isTrue();
        assertThat(seen.get("reason").stringValue()).isEqualTo("CancelledError");
        assertThat(call).isNotDone();
    }

    /**
     * A host that reads no replies makes the runtime stop reading requests once its stdout pipe is
     * full: it never buffers replies without bound. Requests then back up in the host's pipe, so
     * a host thread that keeps writing blocks long before it has written them all.
     */
    @Test
    void theRuntimeStopsReadingRequestsWhileItsRepliesAreNotRead() throws Exception {
        Process p = new ProcessBuilder(runtime.command(TestWorkers.node(), List.of(), TestWorkers.file("echo.mjs")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            int requests = 20_000;
            byte[] request = codec.request(1, "big", Map.of("bytes", 1000));
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        p.getOutputStream().write(request);
                        p.getOutputStream().flush();
                        written.incrementAndGet();
                    }
                } catch (java.io.IOException stopped) {
                    // The process was killed at the end of the test.
                }
            }, "test-request-writer");
            writer.setDaemon(true);
            writer.start();
            // Reading everything would take it a moment; it stops instead, and so does the writer.
            long[] last = {-1};
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> {
                long now = written.get();
                boolean still = now == last[0];
                last[0] = now;
                return still;
            });
            assertThat(written.get()).isLessThan(requests);
            // Reading the replies lets it go on: every request is answered.
            long lines = 0;
            var in = new java.io.BufferedInputStream(p.getInputStream());
            for (int b; lines < requests + 1 && (b = in.read()) >= 0; ) {
                if (b == '\n') {
                    lines++;
                }
            }
            assertThat(lines).isEqualTo(requests + 1);
            assertThat(written.get()).isEqualTo(requests);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ---- start-up failures ------------------------------------------------------------------

    @Test
    void aModuleWithASyntaxErrorFailsToStartWithTheLocationInTheStderrTail() {
        BridgeStartupException e = startFailure(() -> Worker.start(nodeSettings("syntax-error.mjs"), 1, listener,
                scheduler));
        assertThat(e.reason()).isEqualTo(Reason.MODULE_LOAD_FAILED);
        assertThat(e.exitCode()).isEqualTo(3);
        assertThat(e.stderrTail()).contains("syntax-error.mjs:3").contains("SyntaxError");
        assertThat(e.getMessage()).contains("processio.node.module").contains("syntax-error.mjs:3");
    }

    @Test
    void aModuleThatThrowsWhileLoadingFailsToStart() {
        BridgeStartupException e = startFailure(() -> Worker.start(nodeSettings("throws-on-load.mjs"), 1, listener,
                scheduler));
        assertThat(e.reason()).isEqualTo(Reason.MODULE_LOAD_FAILED);
        assertThat(e.stderrTail()).contains("boom at load");
    }

    @Test
    void aWrongProtocolVersionFailsToStart() {
        BridgeStartupException e = startFailure(() -> Worker.start(rawSettings("bad-protocol.mjs"), 1, listener,
                scheduler));
        assertThat(e.reason()).isEqualTo(Reason.PROTOCOL_MISMATCH);
        assertThat(e.getMessage()).contains("protocol 2").contains("speaks protocol 1");
    }

    @Test
    void aWorkerThatNeverSaysReadyTimesOut() {
        WorkerSettings s = rawSettings("silent.mjs");
        WorkerSettings quick = new WorkerSettings(s.pool(), s.command(), null, true, List.of(), Map.of(), 1000,
                Duration.ofMillis(700),
                s.maxFrameSize(), s.io(), s.codec(), s.protocol(), null);
        BridgeStartupException e = startFailure(() -> Worker.start(quick, 1, listener, scheduler));
        assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT);
        assertThat(e.getMessage()).contains("processio.worker.startup-timeout");
    }

    @Test
    void aMissingProgramFailsAtOnce() {
        WorkerSettings s = new WorkerSettings("test", List.of("/nonexistent/processio-no-such-node"), null, true,
                List.of(),
                Map.of(), 1000, Duration.ofSeconds(5), JsonRpc.DEFAULT_MAX_FRAME_SIZE, ProcessIO.Settings.defaults(),
                codec, protocol, BundledRuntime.Kind.NODE);
        assertThatThrownBy(() -> Worker.start(s, 1, listener, scheduler))
                .isInstanceOfSatisfying(BridgeStartupException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.COMMAND_NOT_FOUND))
                .hasMessageContaining("processio.node.executable");
    }

    @Test
    void aProgramThatIsNotExecutableFailsAtOnce() throws Exception {
        Path file = Files.createTempFile("processio-test-", ".sh");
        try {
            WorkerSettings s = new WorkerSettings("test", List.of(file.toString()), null, true, List.of(), Map.of(),
                    1000,
                    Duration.ofSeconds(5), JsonRpc.DEFAULT_MAX_FRAME_SIZE, ProcessIO.Settings.defaults(), codec,
                    protocol, null);
            assertThatThrownBy(() -> Worker.start(s, 1, listener, scheduler))
                    .isInstanceOfSatisfying(BridgeStartupException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.NOT_EXECUTABLE));
        } finally {
            Files.delete(file);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private Worker node(String module) throws Exception {
        return node(module, UnaryOperator.identity());
    }

    private Worker node(String module, UnaryOperator<WorkerSettings> change) throws Exception {
        return started(change.apply(nodeSettings(module)));
    }

    private Worker rawWorker(String script) throws Exception {
        return rawWorker(script, UnaryOperator.identity());
    }

    private Worker rawWorker(String script, UnaryOperator<WorkerSettings> change) throws Exception {
        return started(change.apply(rawSettings(script)));
    }

    private Worker started(WorkerSettings settings) throws Exception {
        Worker w = Worker.start(settings, 1, listener, scheduler).ready().get(20, TimeUnit.SECONDS);
        workers.add(w);
        return w;
    }

    private BridgeStartupException startFailure(java.util.function.Supplier<Worker> start) {
        CompletableFuture<Worker> future = start.get().ready();
        try {
            Worker w = future.get(20, TimeUnit.SECONDS);
            workers.add(w);
            throw new AssertionError("started, but should not have: " + w);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(BridgeStartupException.class);
            // The failed worker has been killed; wait until it has been fully dealt with.
            await().atMost(Duration.ofSeconds(10)).until(() -> !listener.exits.isEmpty());
            return (BridgeStartupException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private WorkerSettings nodeSettings(String module) {
        return new WorkerSettings("test", runtime.command(TestWorkers.node(), List.of(), TestWorkers.file(module)),
                null, true, List.of(), Map.of(), 1000, Duration.ofSeconds(20), JsonRpc.DEFAULT_MAX_FRAME_SIZE,
                ProcessIO.Settings.defaults(), codec, protocol, BundledRuntime.Kind.NODE);
    }

    private WorkerSettings rawSettings(String script) {
        return new WorkerSettings("test", TestWorkers.rawNode(script), null, true, List.of(), Map.of(), 1000,
                Duration.ofSeconds(20),
                JsonRpc.DEFAULT_MAX_FRAME_SIZE, ProcessIO.Settings.defaults(), codec, protocol, null);
    }

    private WorkerSettings withFrameLimit(WorkerSettings s, int maxFrameSize) {
        return new WorkerSettings(s.pool(), s.command(), s.workingDirectory(), s.inheritEnvironment(),
                s.environmentAllowlist(), s.environment(), s.logLinesPerSecond(),
                s.startupTimeout(), maxFrameSize, s.io(), s.codec(), s.protocol(), s.bundledRuntime());
    }

    private static WorkerSettings withIo(WorkerSettings s, ProcessIO.Settings io) {
        return new WorkerSettings(s.pool(), s.command(), s.workingDirectory(), s.inheritEnvironment(),
                s.environmentAllowlist(), s.environment(), s.logLinesPerSecond(),
                s.startupTimeout(), s.maxFrameSize(), io, s.codec(), s.protocol(), s.bundledRuntime());
    }

    private CompletableFuture<RpcReply> send(Worker w, String method, Object params) {
        long id = ids.getAndIncrement();
        return send(w, id, codec.request(id, method, params));
    }

    private static CompletableFuture<RpcReply> send(Worker w, long id, byte[] frame) {
        Request request = new Request(id, frame, new CompletableFuture<>());
        w.send(request, true);
        return request.done();
    }

    /** A request whose result is read as a tree, and whose end completes {@code done}. */
    private record Request(long id, byte[] frame, CompletableFuture<RpcReply> done) implements Worker.Request {

        @Override
        public JavaType resultType() {
            return TREE;
        }

        @Override
        public void replied(RpcReply reply) {
            if (!done.complete(reply)) {
                throw new AssertionError("request " + id + " ended twice");
            }
        }

        @Override
        public void failed(RuntimeException cause) {
            if (!done.completeExceptionally(cause)) {
                throw new AssertionError("request " + id + " ended twice");
            }
        }
    }

    private static JsonNode tree(RpcReply reply) {
        return (JsonNode) reply.result();
    }

    private RpcReply call(Worker w, String method, Object params) throws Exception {
        return send(w, method, params).get(20, TimeUnit.SECONDS);
    }

    private JsonNode result(Worker w, String method, Object params) throws Exception {
        RpcReply reply = call(w, method, params);
        assertThat(reply.error()).as("error of %s", method).isNull();
        return tree(reply);
    }

    private static Throwable causeOf(CompletableFuture<?> future) {
        try {
            future.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("completed normally");
    }

    private static WorkerLostException lostCause(CompletableFuture<?> future) {
        Throwable cause = causeOf(future);
        assertThat(cause).isInstanceOf(WorkerLostException.class);
        return (WorkerLostException) cause;
    }

    private static final class RecordingListener implements Worker.Listener {
        final List<WorkerFault> faults = new CopyOnWriteArrayList<>();
        final List<ExitStatus> exits = new CopyOnWriteArrayList<>();
        final List<Long> lateIds = new CopyOnWriteArrayList<>();
        final List<String> protocolErrors = new CopyOnWriteArrayList<>();

        @Override
        public void faulted(Worker worker, WorkerFault fault) {
            faults.add(fault);
        }

        @Override
        public void exited(Worker worker, ExitStatus status) {
            exits.add(status);
        }

        @Override
        public void lateReply(Worker worker, long id) {
            lateIds.add(id);
        }

        @Override
        public void protocolError(Worker worker, String kind) {
            protocolErrors.add(kind);
        }

        List<WorkerFault.Kind> faultKinds() {
            return faults.stream().map(WorkerFault::kind).toList();
        }
    }
}
