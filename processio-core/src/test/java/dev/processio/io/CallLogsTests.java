package dev.processio.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bundled runtimes tag the stderr lines of each handler with its call, and {@link StderrLog}
 * logs them with that call in the MDC. Each runtime is run by hand, serving
 * {@code workers/call-logs.mjs} or {@code .py}: the test writes its requests, and its stderr goes
 * through a {@link LineReader} into a {@link StderrLog} whose logger notes the MDC of every line.
 */
@ExtendWith(NoLeaks.class)
class CallLogsTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration BOUND = Duration.ofSeconds(15);
    private static final Pattern CHATTER = Pattern.compile("line (\\d+) of (\\d+)");

    private final List<Runtime> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Runtime runtime : started) {
            runtime.close();
        }
    }

    /** Sixteen calls on one worker at once, each writing five lines between waits. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"node chatter", "python chatter", "python chatterSync"})
    void everyLineOfConcurrentCallsCarriesItsOwnCall(String runtimeAndMethod) throws Exception {
        String[] parts = runtimeAndMethod.split(" ");
        Runtime w = start(parts[0]);
        for (int id = 1; id <= 16; id++) {
            w.known.put((long) id, new CallLookup.Call(id, parts[1], traceparent(id)));
        }
        for (int id = 1; id <= 16; id++) {
            w.send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + parts[1] + "\",\"params\":{\"n\":5}}");
        }
        for (int i = 0; i < 16; i++) {
            assertThat(w.next().get("result").isIntegralNumber()).isTrue();
        }
        await().atMost(BOUND).until(() -> w.logged("line ").size() == 80);
        for (Logged line : w.logged("line ")) {
            Matcher m = CHATTER.matcher(line.text);
            assertThat(m.find()).as(line.text).isTrue();
            long id = Long.parseLong(m.group(2));
            assertThat(line.text).isEqualTo("[test] worker 1 (pid " + w.process.pid() + "): line " + m.group(1)
                    + " of " + id);
            assertThat(line.mdc).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "processio.call", Long.toString(id),
                    "processio.method", parts[1],
                    "traceId", String.format("%032x", id),
                    "spanId", String.format("%016x", 1000 + id)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"node", "python"})
    void aStackTracePrintedAtOnceIsTaggedOnEveryLine(String runtime) throws Exception {
        Runtime w = start(runtime);
        w.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"stack\"}");
        assertThat(w.next().get("result").intValue()).isEqualTo(7);
        await().atMost(BOUND).until(() -> !w.logged("two pieces").isEmpty());
        List<Logged> stack = w.logged("").stream().filter(l -> !l.text.endsWith("loaded call-logs")).toList();
        assertThat(stack.size()).isGreaterThanOrEqualTo(3);
        assertThat(stack).allSatisfy(l -> assertThat(l.mdc).containsEntry("processio.call", "7")
                .doesNotContainKeys("processio.method", "traceId", "spanId"));
        assertThat(stack).anySatisfy(l -> assertThat(l.text).contains("deep in 7"))
                .anySatisfy(l -> assertThat(l.text).containsAnyOf("    at ", "  File \""))
                .anySatisfy(l -> assertThat(l.text).endsWith("): written in two pieces"));
        assertThat(w.log.tail()).contains("deep in 7").doesNotContain("\u001f").doesNotContain("c7");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"node", "python"})
    void linesOutsideHandlersCarryNoCall(String runtime) throws Exception {
        Runtime w = start(runtime);
        // A notification's handler has no call to name.
        w.send("{\"jsonrpc\":\"2.0\",\"method\":\"chatter\",\"params\":{\"n\":1}}");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chatter\",\"params\":{\"n\":1}}");
        w.next();
        await().atMost(BOUND).until(() -> w.logged("line 0 of ").size() == 2);
        assertThat(w.logged("loaded call-logs")).singleElement().satisfies(l -> assertThat(l.mdc).isEmpty());
        assertThat(w.logged("line 0 of ")).filteredOn(l -> !l.text.endsWith(" of 1")).singleElement()
                .satisfies(l -> assertThat(l.mdc).isEmpty());
        assertThat(w.logged("line 0 of 1")).singleElement()
                .satisfies(l -> assertThat(l.mdc).containsOnlyKeys("processio.call"));
        assertThat(w.log.tail()).doesNotContain("\u001f").contains("\nline 0 of 1");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"node", "python"})
    void aHandlerReadsTheTraceContextOfItsRequest(String runtime) throws Exception {
        Runtime w = start(runtime);
        String traceparent = traceparent(5);
        w.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"trace\",\"traceparent\":\"" + traceparent
                + "\",\"tracestate\":\"vendor=a1\"}");
        JsonNode both = w.next().get("result");
        assertThat(both.get("traceparent").stringValue()).isEqualTo(traceparent);
        assertThat(both.get("tracestate").stringValue()).isEqualTo("vendor=a1");
        w.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"trace\"}");
        JsonNode none = w.next().get("result");
        assertThat(none.get("traceparent").isNull()).isTrue();
        assertThat(none.get("tracestate").isNull()).isTrue();
        w.send("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"trace\",\"traceparent\":42,\"tracestate\":{}}");
        JsonNode notStrings = w.next().get("result");
        assertThat(notStrings.get("traceparent").isNull()).isTrue();
        assertThat(notStrings.get("tracestate").isNull()).isTrue();
    }

    // ---- the tag alone ---------------------------------------------------------------------------

    @Test
    void onlyAWellFormedTagAtTheStartOfALineNamesACall() {
        Runtime.Capture capture = new Runtime.Capture();
        StderrLog log = new StderrLog("test", 1, 42, id -> new CallLookup.Call(id, "m",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), LogBudget.unlimited(), () -> { }, capture,
                capture.mdc);
        for (String line : List.of("\u001fc0\u001fzero", "\u001fc123456789012345678\u001flongest", "\u001fc\u001fno id",
                "\u001fcx\u001fnot a number", "\u001fc12 no end", "\u001fd3\u001fother kind",
                "\u001fc1234567890123456789\u001ftoo long", "text \u001fc4\u001f inside", "\u001fc9\u001f")) {
            byte[] bytes = ("..." + line).getBytes(StandardCharsets.UTF_8);
            log.line(bytes, 3, bytes.length - 3);
        }
        assertThat(capture.lines).extracting(l -> l.mdc.get("processio.call"), l -> l.text.substring(l.text.indexOf(": ") + 2))
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("0", "zero"),
                        org.assertj.core.groups.Tuple.tuple("123456789012345678", "longest"),
                        org.assertj.core.groups.Tuple.tuple(null, "cno id"),
                        org.assertj.core.groups.Tuple.tuple(null, "cxnot a number"),
                        org.assertj.core.groups.Tuple.tuple(null, "c12 no end"),
                        org.assertj.core.groups.Tuple.tuple(null, "d3other kind"),
                        org.assertj.core.groups.Tuple.tuple(null, "c1234567890123456789too long"),
                        org.assertj.core.groups.Tuple.tuple(null, "text c4 inside"));
        assertThat(capture.lines.get(0).mdc).containsEntry("processio.method", "m")
                .containsEntry("traceId", "0af7651916cd43dd8448eb211c80319c").containsEntry("spanId", "b7ad6b7169203331");
        assertThat(log.tail()).doesNotContain("\u001f").startsWith("zero\nlongest\n");
        assertThat(capture.mdc.getCopyOfContextMap()).as("set for one line only").isNullOrEmpty();
    }

    @Test
    void aTraceparentOfTheWrongFormGivesNoTraceIds() {
        assertThat(StderrLog.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).isTrue();
        assertThat(StderrLog.isTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-later")).isTrue();
        assertThat(StderrLog.isTraceparent(null)).isFalse();
        assertThat(StderrLog.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0")).isFalse();
        assertThat(StderrLog.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x")).isFalse();
        assertThat(StderrLog.isTraceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")).isFalse();
        assertThat(StderrLog.isTraceparent("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).isFalse();
        assertThat(StderrLog.isTraceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).isFalse();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** A traceparent whose trace id is {@code id} and span id {@code 1000 + id}, in hex. */
    private static String traceparent(long id) {
        return String.format("00-%032x-%016x-01", id, 1000 + id);
    }

    private Runtime start(String runtime) throws IOException {
        Runtime w = new Runtime(runtime);
        started.add(w);
        w.next();
        return w;
    }

    record Logged(Map<String, String> mdc, String text) {
    }

    /** A runtime run by hand: requests written as text, replies read as JSON, stderr through a StderrLog. */
    private static final class Runtime {

        final Process process;
        final Map<Long, CallLookup.Call> known = new ConcurrentHashMap<>();
        final Capture capture = new Capture();
        final StderrLog log;
        private final OutputStream stdin;
        private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        private final Thread stdout;
        private final Thread stderr;

        Runtime(String runtime) throws IOException {
            List<String> command = new ArrayList<>();
            if (runtime.equals("node")) {
                command.addAll(List.of(TestWorkers.node(), resource("node/processio-worker.mjs"),
                        TestWorkers.file("call-logs.mjs").toString()));
            } else {
                command.addAll(List.of(python(), "-B", resource("python/processio_worker.py"),
                        TestWorkers.file("call-logs.py").toString()));
            }
            process = new ProcessBuilder(command).start();
            stdin = process.getOutputStream();
            log = new StderrLog("test", 1, process.pid(), known::get,
                    LogBudget.unlimited(), () -> { }, capture, capture.mdc);
            stderr = new LineReader(process.getErrorStream(), StderrLog.MAX_LINE_BYTES, true, log)
                    .start("test-call-logs-stderr-" + process.pid());
            stdout = new Thread(this::readReplies, "test-call-logs-stdout-" + process.pid());
            stdout.setDaemon(true);
            stdout.start();
        }

        private void readReplies() {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    replies.add(line);
                }
            } catch (IOException ended) {
                // The process was killed.
            }
        }

        void send(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        JsonNode next() {
            try {
                String line = replies.poll(BOUND.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(line).as("a line on stdout within %s", BOUND).isNotNull();
                return JSON.readTree(line);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        /** The lines logged so far whose text contains {@code part}. */
        List<Logged> logged(String part) {
            return capture.lines.stream().filter(l -> l.text.contains(part)).toList();
        }

        void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            stdout.join(BOUND.toMillis());
            stderr.join(BOUND.toMillis());
        }

        private static String resource(String name) {
            try {
                return Path.of(StderrLog.class.getResource("/dev/processio/runtime/" + name).toURI()).toString();
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String python() {
            String python = System.getenv("PROCESSIO_TEST_PYTHON");
            return python == null || python.isBlank() ? "python3" : python;
        }

        /** A logger that notes each line with what its MDC holds at that moment, on the logging thread. */
        static final class Capture extends LegacyAbstractLogger {

            final BasicMDCAdapter mdc = new BasicMDCAdapter();
            final List<Logged> lines = new CopyOnWriteArrayList<>();

            @Override
            protected void handleNormalizedLoggingCall(Level level, org.slf4j.Marker marker, String pattern,
                    Object[] arguments, Throwable throwable) {
                Map<String, String> now = mdc.getCopyOfContextMap();
                lines.add(new Logged(now == null ? Map.of() : now,
                        MessageFormatter.basicArrayFormat(pattern, arguments)));
            }

            @Override
            protected String getFullyQualifiedCallerName() {
                return null;
            }

            @Override
            public boolean isTraceEnabled() {
                return false;
            }

            @Override
            public boolean isDebugEnabled() {
                return false;
            }

            @Override
            public boolean isInfoEnabled() {
                return true;
            }

            @Override
            public boolean isWarnEnabled() {
                return true;
            }

            @Override
            public boolean isErrorEnabled() {
                return true;
            }
        }
    }
}
