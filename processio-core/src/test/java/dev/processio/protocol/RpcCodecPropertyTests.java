package dev.processio.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.testing.Seeds;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Properties of decoding: a long-lived {@link RpcCodec.Decoder} comes to the same verdict as a fresh
 * parser on any line, good or mutated, in any order, and decoding never throws anything but
 * {@link MalformedFrameException}. Cases are drawn from seeds ({@link Seeds}); the seed is in each
 * failure message.
 */
class RpcCodecPropertyTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String[] NAMES = {"jsonrpc", "id", "method", "params", "result", "error", "x", "data"};

    private final RpcCodec codec = new RpcCodec(JSON, 1 << 20);

    /** Point for id 4, trees for the others, nothing for id 9 (a call nobody waits for). */
    private final RpcCodec.ResultTypes types = id -> id == 9 ? null
            : JSON.constructType(id == 4 ? RpcCodecTests.Point.class : JsonNode.class);

    static Stream<Long> seeds() {
        return Seeds.cases(40);
    }

    /**
     * Lines drawn from valid messages, mutated or not, fed to one decoder in a row: its parser is
     * kept across lines that fail in every way, and must not carry anything from one to the next.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aDecoderAgreesWithAFreshParserOnMutatedLines(long seed) {
        Random random = new Random(seed);
        try (RpcCodec.Decoder decoder = codec.decoder()) {
            for (int i = 0; i < 150; i++) {
                byte[] line = random.nextInt(4) == 0 ? valid(random) : mutate(random, valid(random));

                String fresh = verdict(() -> codec.decode(line, 0, line.length, types));
                String kept = verdict(() -> decoder.decode(line, 0, line.length, types));

                assertThat(kept).as("seed %d, line %d: %s", seed, i, text(line)).isEqualTo(fresh);
                assertThat(fresh).as("seed %d, line %d: %s", seed, i, text(line)).doesNotStartWith("threw");
            }
        }
    }

    /** The corpus of the example tests, each line mutated many ways, each followed by a good line. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("fewSeeds")
    void aDecoderRecoversAfterEveryMutationOfTheExampleLines(long seed) throws Exception {
        Random random = new Random(seed);
        byte[] good = "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":7,\"y\":8}}".getBytes(StandardCharsets.UTF_8);
        List<String> corpus = RpcCodecTests.everyKindOfLine().toList();
        try (RpcCodec.Decoder decoder = codec.decoder()) {
            for (String example : corpus) {
                for (int k = 0; k < 10; k++) {
                    byte[] line = mutate(random, example.getBytes(StandardCharsets.UTF_8));

                    String fresh = verdict(() -> codec.decode(line, 0, line.length, types));
                    String kept = verdict(() -> decoder.decode(line, 0, line.length, types));

                    assertThat(kept).as("seed %d: %s", seed, text(line)).isEqualTo(fresh);
                    assertThat(fresh).as("seed %d: %s", seed, text(line)).doesNotStartWith("threw");
                    assertThat(decoder.decode(good, 0, good.length, types)).as("seed %d, after %s", seed, text(line))
                            .isEqualTo(new RpcReply(4, new RpcCodecTests.Point(7, 8), null, null));
                }
            }
        }
    }

    static Stream<Long> fewSeeds() {
        return Seeds.cases(10);
    }

    // ---- generators ------------------------------------------------------------------------------

    /** A valid reply, error reply or notification, members in any order, with blanks and extra members. */
    private static byte[] valid(Random random) {
        List<String> members = new ArrayList<>();
        members.add("\"jsonrpc\":\"2.0\"");
        int kind = random.nextInt(3);
        if (kind < 2) {
            members.add("\"id\":" + random.nextInt(10));
        }
        switch (kind) {
            case 0 -> members.add("\"result\":" + (random.nextInt(3) == 0 ? point(random) : value(random, 0)));
            case 1 -> members.add("\"error\":{\"code\":" + (-32000 - random.nextInt(800)) + ",\"message\":"
                    + string(random) + (random.nextBoolean() ? ",\"data\":" + value(random, 0) : "") + "}");
            default -> {
                members.add("\"method\":" + (random.nextBoolean() ? "\"processio/progress\"" : string(random)));
                if (random.nextBoolean()) {
                    members.add("\"params\":" + value(random, 0));
                }
            }
        }
        if (random.nextInt(3) == 0) {
            members.add(string(random) + ":" + value(random, 0));
        }
        Collections.shuffle(members, random);
        String blank = random.nextInt(4) == 0 ? " " : "";
        return ("{" + blank + String.join("," + blank, members) + blank + "}" + (random.nextInt(5) == 0 ? " \r" : ""))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String point(Random random) {
        return random.nextBoolean() ? "{\"x\":" + random.nextInt(100) + ",\"y\":" + random.nextInt(100) + "}"
                : "{\"y\":\"" + random.nextInt(9) + "\",\"x\":[1]}";
    }

    private static String value(Random random, int depth) {
        int pick = random.nextInt(depth > 3 ? 7 : 9);
        return switch (pick) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> Long.toString(random.nextLong() >> random.nextInt(64));
            case 3 -> Double.toString(random.nextGaussian() * 1e6);
            case 4 -> "1" + "0".repeat(random.nextInt(40)); // past long, sometimes
            case 5, 6 -> string(random);
            case 7 -> {
                List<String> items = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    items.add(value(random, depth + 1));
                }
                yield "[" + String.join(",", items) + "]";
            }
            default -> {
                List<String> items = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    items.add((random.nextBoolean() ? "\"" + NAMES[random.nextInt(NAMES.length)] + "\"" : string(random))
                            + ":" + value(random, depth + 1));
                }
                yield "{" + String.join(",", items) + "}";
            }
        };
    }

    /** A JSON string with escapes, quotes, brackets and characters of every UTF-8 length. */
    private static String string(Random random) {
        String[] parts = {"a", "id", "\\\"", "\\\\", "\\n", "\\u0000", "\\ud834\\udd1e", "{", "}", "[", "]", ",", ":",
            "é", "✓", "𝄞", " "};
        StringBuilder s = new StringBuilder("\"");
        for (int i = random.nextInt(6); i > 0; i--) {
            s.append(parts[random.nextInt(parts.length)]);
        }
        return s.append('"').toString();
    }

    /** One to three mutations of the kinds a broken worker makes. */
    static byte[] mutate(Random random, byte[] line) {
        byte[] out = line;
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            out = mutateOnce(random, out);
        }
        return out;
    }

    private static byte[] mutateOnce(Random random, byte[] line) {
        int length = line.length;
        int at = length == 0 ? 0 : random.nextInt(length + 1);
        return switch (random.nextInt(12)) {
            case 0 -> { // flip a bit, but never into a newline: the line reader would have split there
                if (length == 0) {
                    yield line;
                }
                byte[] copy = line.clone();
                int i = random.nextInt(length);
                copy[i] ^= (byte) (1 << random.nextInt(8));
                if (copy[i] == '\n') {
                    copy[i] = line[i];
                }
                yield copy;
            }
            case 1 -> slice(line, 0, at); // truncate
            case 2 -> splice(line, at, at, pick(random, "{", "}", "[", "]", "\"", "\\", ",", ":", " ", "0", "-",
                    "1e999999", "null"));
            case 3 -> splice(line, at, Math.min(length, at + 1 + random.nextInt(4)), new byte[0]); // delete
            case 4 -> splice(line, at, at, new byte[] {(byte) (int) pick(random, 0xc0, 0xff, 0x80, 0xed, 0xf5, 0xe2, 0xf0)});
            case 5 -> splice(line, at, at, new byte[] {0}); // NUL
            case 6 -> duplicateMember(random, line);
            case 7 -> concat(line, slice(line, random.nextInt(length + 1), length)); // a second value, or part of one
            case 8 -> concat(bytes("["), line, bytes("]")); // a batch
            case 9 -> {
                int depth = pick(random, 20, 600, RpcCodec.MAX_NESTING_DEPTH - 1, RpcCodec.MAX_NESTING_DEPTH);
                yield bytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + "[".repeat(depth) + "]".repeat(depth) + "}");
            }
            case 10 -> bytes("{\"jsonrpc\":\"2.0\",\"id\":"
                    + pick(random, "1.5", "null", "\"1\"", "-0", "1e2", "9223372036854775808", "9".repeat(200), "[1]")
                    + ",\"result\":" + "7".repeat(pick(random, 10, 1_500, 20_000, RpcCodec.MAX_NUMBER_LENGTH + 1)) + "}");
            default -> splice(line, at, at, pick(random, "\t", "\r", "\u2028", "\\u0000", "\\ud800", "\"id\":5,"));
        };
    }

    /** Writes one of the line's {@code "name":} a second time at the start. */
    private static byte[] duplicateMember(Random random, byte[] line) {
        String text = text(line);
        String name = NAMES[random.nextInt(6)];
        String copy = "\"" + name + "\":" + pick(random, "\"2.0\"", "3", "null", "{}", "\"m\"");
        int brace = text.indexOf('{');
        return brace < 0 ? line : bytes(text.substring(0, brace + 1) + copy + "," + text.substring(brace + 1));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** What decoding a line came to, comparable across decoders; anything but the two outcomes is "threw". */
    private static String verdict(Decoding decoding) {
        RpcMessage message;
        try {
            message = decoding.decode();
        } catch (MalformedFrameException e) {
            return e.kind() + ": " + e.getMessage();
        } catch (Throwable e) {
            return "threw " + e;
        }
        if (message instanceof RpcReply reply) {
            return "reply " + reply.id() + " " + show(reply.result()) + " " + reply.error() + " "
                    + (reply.unreadable() == null ? "" : "unreadable");
        }
        return String.valueOf(message);
    }

    /**
     * A result as text, walked without recursion: JsonNode's own toString() and equals() recurse,
     * and the deepest results the codec reads would overflow the test's stack.
     */
    private static String show(Object result) {
        if (!(result instanceof JsonNode root)) {
            return String.valueOf(result);
        }
        StringBuilder out = new StringBuilder();
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            Object next = todo.pop();
            if (next instanceof String text) {
                out.append(text);
            } else if (next instanceof JsonNode node && node.isContainer()) {
                List<Object> parts = new ArrayList<>();
                parts.add(node.isArray() ? "[" : "{");
                if (node.isObject()) {
                    for (Map.Entry<String, JsonNode> member : node.properties()) {
                        parts.add(member.getKey() + "=");
                        parts.add(member.getValue());
                    }
                } else {
                    for (JsonNode item : node.values()) {
                        parts.add(item);
                        parts.add(",");
                    }
                }
                parts.add(node.isArray() ? "]" : "}");
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.push(parts.get(i));
                }
            } else {
                out.append(next).append(' ');
            }
        }
        return out.toString();
    }

    private interface Decoding {
        RpcMessage decode() throws MalformedFrameException;
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static byte[] splice(byte[] line, int from, int to, String insert) {
        return splice(line, from, to, bytes(insert));
    }

    private static byte[] splice(byte[] line, int from, int to, byte[] insert) {
        return concat(slice(line, 0, from), insert, slice(line, to, line.length));
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] line) {
        return RpcCodec.excerpt(line, 0, line.length, 300);
    }
}
