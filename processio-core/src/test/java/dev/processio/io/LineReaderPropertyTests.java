package dev.processio.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.testing.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of LineReader: whatever the stream holds and however its reads are cut, the sink
 * hears what a simple model says (split at each newline, a line past the limit reported once with
 * its first {@code max} bytes). Cases are drawn from seeds ({@link Seeds}); the seed is in each
 * case's name and in its failure message.
 */
class LineReaderPropertyTests {

    /** Code points of every UTF-8 length, and the bytes the reader must treat like any other. */
    private static final int[] CODE_POINTS = {
        'a', 'z', ' ', '{', '"', '\r', '\t', 0, 0x7f, // one byte
        0xe9, 0x7ff, 0x80, // two
        0x2713, 0x800, 0xffff, 0xfffd, // three
        0x1d11e, 0x10000, 0x10ffff, // four
    };

    static Stream<Long> seeds() {
        return Seeds.cases(40);
    }

    /** Random streams, random reads: lines of every length around the limit, and every kind of character. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theSinkHearsWhatTheModelSaysForAnyStreamCutIntoAnyReads(long seed) {
        Random random = new Random(seed);
        int max = 1 + random.nextInt(random.nextBoolean() ? 16 : 300);
        boolean deliverUnterminated = random.nextBoolean();
        byte[] content = stream(random, max);
        int[] cuts = cuts(random, content.length);

        List<String> actual = read(content, cuts, max, deliverUnterminated);

        assertThat(actual).as("seed %d: limit %d, deliverUnterminated %s, %d bytes cut at %s", seed, max,
                deliverUnterminated, content.length, Arrays.toString(cuts))
                .isEqualTo(model(content, max, deliverUnterminated));
    }

    /**
     * Every split of a stream into two reads, and into three: each place a read can end falls
     * inside each kind of character, on a newline, just before and after one, and at the limit.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("fewSeeds")
    void everySplitIntoTwoAndThreeReadsGivesTheSameLines(long seed) {
        Random random = new Random(seed);
        int max = 4 + random.nextInt(6);
        byte[] content = stream(random, max);
        if (content.length > 40) {
            content = Arrays.copyOf(content, 40);
        }
        for (boolean deliverUnterminated : new boolean[] {true, false}) {
            List<String> expected = model(content, max, deliverUnterminated);
            for (int a = 0; a <= content.length; a++) {
                for (int b = a; b <= content.length; b++) {
                    int[] cuts = {a, b};
                    assertThat(read(content, cuts, max, deliverUnterminated))
                            .as("seed %d: limit %d, deliverUnterminated %s, cut at %s of %s", seed, max,
                                    deliverUnterminated, Arrays.toString(cuts), hex(content))
                            .isEqualTo(expected);
                }
            }
        }
    }

    static Stream<Long> fewSeeds() {
        return Seeds.cases(6);
    }

    /** Each line is valid UTF-8 and the reads cut it at every byte: no line arrives with a character broken. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void multiByteCharactersArriveWholeWhereverAReadEnds(long seed) {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            StringBuilder line = new StringBuilder();
            int length = random.nextInt(12);
            for (int k = 0; k < length; k++) {
                int cp = CODE_POINTS[random.nextInt(CODE_POINTS.length)];
                line.appendCodePoint(cp == '\r' ? 'r' : cp);
            }
            lines.add(line.toString());
            text.append(line).append('\n');
        }
        byte[] content = text.toString().getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= content.length; cut++) {
            List<String> read = read(content, new int[] {cut}, 1 << 16, false);
            assertThat(read).as("seed %d: one cut at byte %d", seed, cut).last().isEqualTo("end");
            List<String> decoded = read.subList(0, read.size() - 1).stream()
                    .map(line -> decode(line.substring("line:".length()))).toList();
            assertThat(decoded).as("seed %d: one cut at byte %d", seed, cut).isEqualTo(lines);
        }
    }

    // ---- the model -------------------------------------------------------------------------------

    /** What the sink should hear, as {@code line:<hex>}, {@code long:<hex>} and {@code end}. */
    private static List<String> model(byte[] content, int max, boolean deliverUnterminated) {
        List<String> events = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= content.length; i++) {
            boolean newline = i < content.length && content[i] == '\n';
            if (!newline && i < content.length) {
                continue;
            }
            int length = i - start;
            if (length > max) {
                events.add("long:" + hex(Arrays.copyOfRange(content, start, start + max)));
            } else if (newline || (deliverUnterminated && length > 0)) {
                events.add("line:" + hex(Arrays.copyOfRange(content, start, i)));
            }
            start = i + 1;
        }
        events.add("end");
        return events;
    }

    // ---- generators ------------------------------------------------------------------------------

    /** Lines of random bytes (newline excluded) and characters, many of them near {@code max} bytes. */
    private static byte[] stream(Random random, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int lines = 1 + random.nextInt(30);
        for (int i = 0; i < lines; i++) {
            int length = switch (random.nextInt(5)) {
                case 0 -> 0;
                case 1 -> max - 1 + random.nextInt(3); // one short, at, one over
                case 2 -> max + 1 + random.nextInt(3 * max + 1);
                default -> random.nextInt(max + 1);
            };
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (line.size() < length) {
                if (random.nextInt(4) == 0) {
                    int b = random.nextInt(256); // any byte: the reader does not decode
                    line.write(b == '\n' ? 'n' : b);
                } else {
                    line.writeBytes(new String(Character.toChars(CODE_POINTS[random.nextInt(CODE_POINTS.length)]))
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            out.writeBytes(line.toByteArray());
            if (i < lines - 1 || random.nextBoolean()) {
                out.write('\n');
            }
        }
        return out.toByteArray();
    }

    /** Increasing positions in {@code [0, length]} where reads end; sometimes none, sometimes one per byte. */
    private static int[] cuts(Random random, int length) {
        if (random.nextInt(10) == 0) {
            int[] all = new int[length];
            Arrays.setAll(all, i -> i + 1);
            return all;
        }
        return random.ints(random.nextInt(2 + length / 2), 0, length + 1).sorted().toArray();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Runs a reader over {@code content}, whose reads end at {@code cuts}, and lists what the sink heard. */
    private static List<String> read(byte[] content, int[] cuts, int max, boolean deliverUnterminated) {
        List<String> events = new ArrayList<>();
        LineReader.Sink sink = new LineReader.Sink() {
            @Override
            public void line(byte[] bytes, int offset, int length) {
                events.add("line:" + hex(Arrays.copyOfRange(bytes, offset, offset + length)));
            }

            @Override
            public void tooLong(byte[] bytes, int offset, int length) {
                events.add("long:" + hex(Arrays.copyOfRange(bytes, offset, offset + length)));
            }

            @Override
            public void end(IOException error) {
                events.add(error == null ? "end" : "end:" + error);
            }
        };
        new LineReader(new CutStream(content, cuts), max, deliverUnterminated, sink).run();
        return events;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String decode(String hex) {
        return new String(HexFormat.of().parseHex(hex), StandardCharsets.UTF_8);
    }

    /**
     * Returns {@code content} in reads that end at the given positions (an empty read is skipped:
     * a stream never returns 0 for a non-empty buffer), and scribbles over the rest of the caller's
     * buffer, so that a reader that keeps stale bytes shows it.
     */
    private static final class CutStream extends InputStream {
        private final byte[] content;
        private final int[] cuts;
        private int position;
        private int nextCut;

        CutStream(byte[] content, int[] cuts) {
            this.content = content;
            this.cuts = cuts;
        }

        @Override
        public int read() {
            return position < content.length ? content[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= content.length) {
                return -1;
            }
            while (nextCut < cuts.length && cuts[nextCut] <= position) {
                nextCut++;
            }
            int end = nextCut < cuts.length ? cuts[nextCut] : content.length;
            int n = Math.min(length, end - position);
            System.arraycopy(content, position, buffer, offset, n);
            Arrays.fill(buffer, offset + n, offset + length, (byte) '\n');
            position += n;
            return n;
        }
    }
}
