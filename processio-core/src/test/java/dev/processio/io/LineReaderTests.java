package dev.processio.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LineReader over in-memory streams that deliver their bytes in chunks of every size, and StderrLog's cleaning and tail. */
class LineReaderTests {

    private static final int READ_SIZE = 64 * 1024;

    // ---- splitting -----------------------------------------------------------------------------

    @ParameterizedTest(name = "reads of 1..{0} bytes")
    @ValueSource(ints = {1, 2, 3, 5, 17, 100, 4096, READ_SIZE})
    void linesSplitAcrossReadsOfAnySizeArriveWhole(int maxChunk) {
        Random random = new Random(42);
        List<String> expected = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        String alphabet = "abcxyz 0123{}\":,é✓𝄞\t\r";
        for (int i = 0; i < 2_000; i++) {
            int length = random.nextInt(10) == 0 ? 0 : random.nextInt(300);
            StringBuilder line = new StringBuilder();
            while (line.length() < length) {
                line.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            expected.add(line.toString());
            content.append(line).append('\n');
        }

        Recording sink = read(chunked(content.toString(), maxChunk, 7), 1 << 20, false);

        assertThat(sink.lines()).containsExactlyElementsOf(expected);
        sink.assertEndedCleanly();
    }

    @ParameterizedTest(name = "reads of 1..{0} bytes")
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void multiByteCharactersSplitAcrossReadsArriveIntact(int maxChunk) {
        // é is 2 bytes, ✓ 3, 𝄞 4: with reads this small every character is cut somewhere.
        List<String> expected = List.of("é", "✓", "𝄞", "é✓𝄞", "a𝄞b✓cé", "𝄞𝄞𝄞𝄞𝄞𝄞𝄞", "✓✓✓é");
        String content = String.join("\n", expected) + "\n";

        Recording sink = read(chunked(content, maxChunk, 3), 64, false);

        assertThat(sink.lines()).containsExactlyElementsOf(expected);
        assertThat(sink.lines()).noneMatch(line -> line.contains("\uFFFD"));
        sink.assertEndedCleanly();
    }

    @Test
    void emptyLinesAreDelivered() {
        Recording sink = read(new ByteArrayInputStream(bytes("\n\n a\n\n\r\n")), 100, true);

        assertThat(sink.lines()).containsExactly("", "", " a", "", "\r");
        sink.assertEndedCleanly();
    }

    @Test
    void emptyStreamOnlyEnds() {
        Recording sink = read(new ByteArrayInputStream(new byte[0]), 100, true);

        assertThat(sink.events).containsExactly(Event.end(null));
    }

    @Test
    void aLineLongerThanOneReadIsDeliveredWhole() {
        byte[] line = pattern(200_000);
        byte[] content = concat(bytes("first\n"), line, bytes("\nlast\n"));

        Recording sink = read(new ByteArrayInputStream(content), 1 << 20, false);

        assertThat(sink.events).hasSize(4);
        assertThat(sink.events.get(0)).isEqualTo(Event.line(bytes("first")));
        assertThat(sink.events.get(1).bytes).isEqualTo(line);
        assertThat(sink.events.get(2)).isEqualTo(Event.line(bytes("last")));
        sink.assertEndedCleanly();
    }

    // ---- the line limit ------------------------------------------------------------------------

    @ParameterizedTest(name = "reads of 1..{0} bytes")
    @ValueSource(ints = {1, 3, 10, 11, READ_SIZE})
    void aLineExactlyAtTheLimitIsDelivered(int maxChunk) {
        Recording sink = read(chunked("0123456789\nabc\n0123456789", maxChunk, 11), 10, true);

        assertThat(sink.lines()).containsExactly("0123456789", "abc", "0123456789");
        sink.assertEndedCleanly();
    }

    @ParameterizedTest(name = "reads of 1..{0} bytes")
    @ValueSource(ints = {1, 3, 10, 11, 12, READ_SIZE})
    void oneByteOverTheLimitIsReportedOnceThenTheNextLineIsNormal(int maxChunk) {
        Recording sink = read(chunked("0123456789A\nnext\n", maxChunk, 13), 10, false);

        assertThat(sink.events).containsExactly(
                Event.tooLong(bytes("0123456789")),
                Event.line(bytes("next")),
                Event.end(null));
    }

    @ParameterizedTest(name = "reads of 1..{0} bytes")
    @ValueSource(ints = {1, 7, 1000, READ_SIZE})
    void theRestOfALongLineIsSkippedUpToItsNewline(int maxChunk) {
        String longLine = "0123456789" + "x".repeat(5_000) + "\n";
        Recording sink = read(chunked("ok\n" + longLine + "\n" + longLine + "after\n", maxChunk, 17), 10, true);

        assertThat(sink.events).containsExactly(
                Event.line(bytes("ok")),
                Event.tooLong(bytes("0123456789")),
                Event.line(bytes("")),
                Event.tooLong(bytes("0123456789")),
                Event.line(bytes("after")),
                Event.end(null));
    }

    @Test
    void aTooLongLineLongerThanOneReadReportsItsFirstMaxLineBytes() {
        int max = 100_000;
        byte[] line = pattern(300_000);
        byte[] content = concat(line, bytes("\nnext\n"));

        Recording sink = read(new ByteArrayInputStream(content), max, false);

        assertThat(sink.events).hasSize(3);
        assertThat(sink.events.get(0).kind).isEqualTo("tooLong");
        assertThat(sink.events.get(0).bytes).isEqualTo(Arrays.copyOf(line, max));
        assertThat(sink.events.get(1)).isEqualTo(Event.line(bytes("next")));
        sink.assertEndedCleanly();
    }

    @Test
    void aTooLongUnterminatedLastLineIsReportedOnceAndNotDelivered() {
        Recording sink = read(chunked("0123456789ABCDEF", 3, 19), 10, true);

        assertThat(sink.events).containsExactly(Event.tooLong(bytes("0123456789")), Event.end(null));
    }

    @Test
    void aMultiByteCharacterAtTheLimitIsCutAtTheByteLimit() {
        // "aé" is 3 bytes; the limit falls inside é. The sink gets bytes, so nothing is decoded here.
        Recording sink = read(new ByteArrayInputStream(bytes("aé\nb\n")), 2, false);

        assertThat(sink.events).containsExactly(
                Event.tooLong(new byte[] {'a', (byte) 0xC3}),
                Event.line(bytes("b")),
                Event.end(null));
    }

    @Test
    void limitMustBePositive() {
        InputStream in = new ByteArrayInputStream(new byte[0]);
        assertThatThrownBy(() -> new LineReader(in, 0, false, new Recording()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---- end of stream -------------------------------------------------------------------------

    @ParameterizedTest(name = "deliverUnterminated={0}")
    @ValueSource(booleans = {true, false})
    void anUnterminatedLastLineIsDeliveredOnlyWhenAskedFor(boolean deliverUnterminated) {
        Recording sink = read(chunked("a\nbé", 2, 23), 100, deliverUnterminated);

        if (deliverUnterminated) {
            assertThat(sink.lines()).containsExactly("a", "bé");
        } else {
            assertThat(sink.lines()).containsExactly("a");
        }
        sink.assertEndedCleanly();
    }

    @ParameterizedTest(name = "deliverUnterminated={0}")
    @ValueSource(booleans = {true, false})
    void aTerminatedLastLineIsNotFollowedByAnEmptyOne(boolean deliverUnterminated) {
        Recording sink = read(new ByteArrayInputStream(bytes("a\nb\n")), 100, deliverUnterminated);

        assertThat(sink.lines()).containsExactly("a", "b");
        sink.assertEndedCleanly();
    }

    @Test
    void aReadErrorEndsTheStreamWithThatError() {
        IOException failure = new IOException("boom");
        InputStream in = new InputStream() {
            private final InputStream data = new ByteArrayInputStream(bytes("a\nb"));

            @Override
            public int read() throws IOException {
                int b = data.read();
                if (b < 0) {
                    throw failure;
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = data.read(buffer, offset, Math.min(length, 1));
                if (n < 0) {
                    throw failure;
                }
                return n;
            }
        };

        Recording sink = read(in, 100, true);

        assertThat(sink.events.get(0)).isEqualTo(Event.line(bytes("a")));
        assertThat(sink.events.get(sink.events.size() - 1).error).isSameAs(failure);
        assertThat(sink.events).filteredOn(e -> e.kind.equals("end")).hasSize(1);
    }

    @Test
    void startReadsOnANamedDaemonThread() throws Exception {
        Recording sink = new Recording();
        LineReader reader = new LineReader(chunked("one\ntwo\n", 3, 29), 100, false, sink);

        Thread thread = reader.start("processio-test-w1-stdout");
        thread.join(10_000);

        assertThat(thread.isAlive()).isFalse();
        assertThat(thread.getName()).isEqualTo("processio-test-w1-stdout");
        assertThat(thread.isDaemon()).isTrue();
        assertThat(sink.threads).containsOnly(thread);
        assertThat(sink.lines()).containsExactly("one", "two");
        sink.assertEndedCleanly();
    }

    // ---- StderrLog -----------------------------------------------------------------------------

    @Test
    void cleanRemovesAnsiCsiSequences() {
        assertThat(StderrLog.clean("\u001b[31mred\u001b[0m plain")).isEqualTo("red plain");
        assertThat(StderrLog.clean("\u001b[1;32mok\u001b[K done\u001b[2J")).isEqualTo("ok done");
        assertThat(StderrLog.clean("\u001b[?25lhidden cursor\u001b[?25h")).isEqualTo("hidden cursor");
        assertThat(StderrLog.clean("\u001b[38;5;208morange\u001b[39m")).isEqualTo("orange");
        assertThat(StderrLog.clean("cut at the end \u001b[31")).isEqualTo("cut at the end ");
    }

    @Test
    void cleanRemovesControlCharactersButKeepsTabs() {
        assertThat(StderrLog.clean("a\tb")).isEqualTo("a\tb");
        assertThat(StderrLog.clean("bell\u0007 cr\r nul\u0000 bs\b del\u007f c1\u0085\u009b end"))
                .isEqualTo("bell cr nul bs del c1 end");
        assertThat(StderrLog.clean("\u001b")).isEmpty();
    }

    @Test
    void cleanKeepsPrintableText() {
        String text = "TypeError: café ✓ 𝄞 at file:///app/x.mjs:3:11 [ok] {\"a\":1}";

        assertThat(StderrLog.clean(text)).isEqualTo(text);
        assertThat(StderrLog.clean("")).isEmpty();
    }

    @Test
    void tailKeepsOnlyTheLastLinesWithinTailChars() {
        StderrLog log = new StderrLog("test", 1, 4242, () -> { });
        List<String> written = IntStream.range(0, 500)
                .mapToObj(i -> String.format("line %04d ", i) + "x".repeat(90))
                .collect(Collectors.toList());
        for (String line : written) {
            byte[] bytes = bytes(line);
            log.line(bytes, 0, bytes.length);
        }

        String tail = log.tail();

        assertThat(tail.length()).isLessThanOrEqualTo(StderrLog.TAIL_CHARS).isGreaterThan(StderrLog.TAIL_CHARS - 2 * 101);
        List<String> kept = List.of(tail.split("\n"));
        assertThat(kept).isEqualTo(written.subList(written.size() - kept.size(), written.size()));
    }

    @Test
    void tailHoldsCleanedLinesSkipsBlankOnesAndMarksCutLines() {
        StderrLog log = new StderrLog("test", 1, 4242, () -> { });
        for (String line : List.of("\u001b[31merror\u001b[0m: boom", "", "   ", "\u001b[0m", "after")) {
            byte[] bytes = bytes(line);
            log.line(bytes, 0, bytes.length);
        }
        byte[] cut = bytes("0123456789");
        log.tooLong(cut, 0, cut.length);

        assertThat(log.tail()).isEqualTo("error: boom\nafter\n0123456789 [line cut]");
    }

    @Test
    void endRunsTheCallbackAndMarksTheLogEnded() {
        int[] calls = {0};
        StderrLog log = new StderrLog("test", 1, 4242, () -> calls[0]++);
        assertThat(log.ended()).isFalse();

        log.end(null);

        assertThat(log.ended()).isTrue();
        assertThat(calls[0]).isEqualTo(1);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static Recording read(InputStream in, int maxLineBytes, boolean deliverUnterminated) {
        Recording sink = new Recording();
        new LineReader(in, maxLineBytes, deliverUnterminated, sink).run();
        return sink;
    }

    /** Delivers {@code content} in reads of 1 to {@code maxChunk} bytes, sizes drawn with a fixed seed. */
    private static InputStream chunked(String content, int maxChunk, long seed) {
        return new ChunkedInputStream(bytes(content), maxChunk, new Random(seed));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Printable ASCII, no newline, not periodic at any small length. */
    private static byte[] pattern(int length) {
        byte[] out = new byte[length];
        Random random = new Random(length);
        for (int i = 0; i < length; i++) {
            out[i] = (byte) ('!' + random.nextInt(90));
        }
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static final class ChunkedInputStream extends InputStream {
        private final byte[] data;
        private final int maxChunk;
        private final Random random;
        private int position;

        ChunkedInputStream(byte[] data, int maxChunk, Random random) {
            this.data = data;
            this.maxChunk = maxChunk;
            this.random = random;
        }

        @Override
        public int read() {
            return position < data.length ? data[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= data.length) {
                return -1;
            }
            int n = Math.min(Math.min(length, 1 + random.nextInt(maxChunk)), data.length - position);
            System.arraycopy(data, position, buffer, offset, n);
            // Scribble over the rest of the buffer: a reader that keeps stale bytes would show it.
            Arrays.fill(buffer, offset + n, offset + length, (byte) '#');
            position += n;
            return n;
        }
    }

    private record Event(String kind, byte[] bytes, IOException error) {

        static Event line(byte[] bytes) {
            return new Event("line", bytes, null);
        }

        static Event tooLong(byte[] bytes) {
            return new Event("tooLong", bytes, null);
        }

        static Event end(IOException error) {
            return new Event("end", null, error);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Event e && kind.equals(e.kind) && Arrays.equals(bytes, e.bytes) && error == e.error;
        }

        @Override
        public int hashCode() {
            return kind.hashCode() * 31 + Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            String shown = bytes == null ? "" : bytes.length > 80 ? bytes.length + " bytes"
                    : "\"" + new String(bytes, StandardCharsets.UTF_8) + "\"";
            return kind + "(" + shown + (error == null ? "" : error) + ")";
        }
    }

    /** Copies what it is given (the reader's buffers are only valid during a call) and checks the call order. */
    private static final class Recording implements LineReader.Sink {
        final List<Event> events = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        private boolean ended;

        @Override
        public void line(byte[] bytes, int offset, int length) {
            record(Event.line(Arrays.copyOfRange(bytes, offset, offset + length)));
        }

        @Override
        public void tooLong(byte[] bytes, int offset, int length) {
            record(Event.tooLong(Arrays.copyOfRange(bytes, offset, offset + length)));
        }

        @Override
        public void end(IOException error) {
            record(Event.end(error));
            ended = true;
        }

        private void record(Event event) {
            assertThat(ended).as("%s after end", event).isFalse();
            events.add(event);
            threads.add(Thread.currentThread());
        }

        List<String> lines() {
            return events.stream().filter(e -> e.kind.equals("line"))
                    .map(e -> new String(e.bytes, StandardCharsets.UTF_8))
                    .collect(Collectors.toList());
        }

        void assertEndedCleanly() {
            assertThat(events).filteredOn(e -> e.kind.equals("end")).containsExactly(Event.end(null));
            assertThat(events.get(events.size() - 1)).isEqualTo(Event.end(null));
        }
    }
}
