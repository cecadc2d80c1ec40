package dev.processio.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/** RpcCodec: the exact frames it writes, and how it classifies every kind of line a worker may print. */
class RpcCodecTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RpcCodec codec = new RpcCodec(JSON, JsonRpc.DEFAULT_MAX_FRAME_SIZE);

    // ---- encoding ----------------------------------------------------------------------------

    @Test
    void requestIsOneCompactLineWithTheDocumentedMemberOrder() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("text", "Hello World");

        byte[] frame = codec.request(17, "text.slugify", params);

        assertThat(text(frame))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"text.slugify\",\"params\":{\"text\":\"Hello World\"}}\n");
    }

    @Test
    void notificationHasNoId() {
        byte[] frame = codec.notification(JsonRpc.CANCEL, Map.of("id", 17));

        assertThat(text(frame)).isEqualTo("{\"jsonrpc\":\"2.0\",\"method\":\"processio/cancel\",\"params\":{\"id\":17}}\n");
    }

    @Test
    void paramsAreOmittedWhenNull() {
        assertThat(text(codec.request(1, JsonRpc.PING, null)))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"processio/ping\"}\n");
        assertThat(text(codec.notification(JsonRpc.SHUTDOWN, null)))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"method\":\"processio/shutdown\"}\n");
    }

    @Test
    void scalarParamsAreWrittenAsIs() {
        assertThat(text(codec.request(2, "math.square", 42)))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"math.square\",\"params\":42}\n");
        assertThat(text(codec.request(3, "text.upper", "abc")))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"text.upper\",\"params\":\"abc\"}\n");
    }

    @Test
    void jsonNodeParamsAreWrittenAsTheyAre() {
        JsonNode params = JSON.readTree("{\"b\":[1,2,{\"c\":null}],\"a\":true}");

        byte[] frame = codec.request(4, "m", params);

        assertThat(text(frame)).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"m\",\"params\":{\"b\":[1,2,{\"c\":null}],\"a\":true}}\n");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, -1, Integer.MAX_VALUE + 1L, 9_007_199_254_740_993L, Long.MAX_VALUE, Long.MIN_VALUE})
    void idIsWrittenExactly(long id) {
        byte[] frame = codec.request(id, "m", null);

        assertThat(text(frame)).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"m\"}\n");
        JsonNode parsed = JSON.readTree(frame);
        assertThat(parsed.get("id").isIntegralNumber()).isTrue();
        assertThat(parsed.get("id").longValue()).isEqualTo(id);
    }

    @Test
    void unicodeAndControlCharactersRoundTripOnOneLine() {
        String awkward = "é ✓ 𝄞 line\nbreak\r\ttab \u2028\u2029 \"quoted\" back\\slash nul\u0000 del\u007f";
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("text", awkward);
        params.put("ключ ✓", List.of("日本語", "𝄞"));

        byte[] frame = codec.request(5, "text.echo", params);

        assertSingleLine(frame);
        JsonNode parsed = JSON.readTree(frame);
        assertThat(parsed.get("params").get("text").stringValue()).isEqualTo(awkward);
        assertThat(parsed.get("params")).isEqualTo(JSON.valueToTree(params));
        // Written as UTF-8, not as escapes: the worker decodes the line as UTF-8.
        assertThat(text(frame)).contains("é ✓ 𝄞");
    }

    @Test
    void unicodeMethodNameIsWrittenAsUtf8() {
        byte[] frame = codec.notification("tëst/✓", null);

        assertThat(frame).isEqualTo("{\"jsonrpc\":\"2.0\",\"method\":\"tëst/✓\"}\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void paramsUseTheNamingStrategyOfTheApplicationsMapper() {
        ObjectMapper snake = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
        RpcCodec snakeCodec = new RpcCodec(snake, JsonRpc.DEFAULT_MAX_FRAME_SIZE);

        byte[] frame = snakeCodec.request(6, "user.create", new NewUser("Ada", 36));

        assertThat(text(frame))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"user.create\",\"params\":{\"first_name\":\"Ada\",\"age_in_years\":36}}\n");
        // The envelope is the protocol's, not subject to the naming strategy.
        assertThat(snakeCodec.mapper()).isSameAs(snake);
    }

    @Test
    void paramsUseTheSerializersRegisteredWithTheApplicationsMapper() {
        SimpleModule module = new SimpleModule().addSerializer(Money.class, new MoneySerializer());
        RpcCodec moneyCodec = new RpcCodec(JsonMapper.builder().addModule(module).build(), JsonRpc.DEFAULT_MAX_FRAME_SIZE);

        byte[] frame = moneyCodec.request(7, "invoice.total", Map.of("total", new Money(1250, "EUR")));

        assertThat(text(frame))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"invoice.total\",\"params\":{\"total\":\"12.50 EUR\"}}\n");
    }

    /**
     * The protocol allows exactly one line per message. An application mapper configured for pretty
     * output (a common setting for REST responses) must not split a frame over several lines.
     */
    @Test
    void frameStaysOneLineWhenTheApplicationsMapperIndentsOutput() {
        ObjectMapper pretty = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        RpcCodec prettyCodec = new RpcCodec(pretty, JsonRpc.DEFAULT_MAX_FRAME_SIZE);

        byte[] frame = prettyCodec.request(8, "m", Map.of("a", List.of(1, 2)));

        assertSingleLine(frame);
        assertThat(JSON.readTree(frame).get("params").get("a").get(1).intValue()).isEqualTo(2);
    }

    // ---- decoding: valid messages --------------------------------------------------------------

    @Test
    void decodesAResult() throws Exception {
        RpcReply reply = decodeReply("{\"jsonrpc\":\"2.0\",\"id\":17,\"result\":\"hello-world\"}");

        assertThat(reply.id()).isEqualTo(17);
        assertThat(reply.isError()).isFalse();
        assertThat(reply.error()).isNull();
        assertThat(tree(reply).stringValue()).isEqualTo("hello-world");
    }

    @Test
    void decodesANullResultAsAResult() throws Exception {
        RpcReply reply = decodeReply("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}");

        assertThat(reply.isError()).isFalse();
        assertThat(tree(reply)).isNotNull();
        assertThat(tree(reply).isNull()).isTrue();
    }

    @Test
    void decodesAnErrorWithTypeAndStack() throws Exception {
        RpcReply reply = decodeReply("{\"jsonrpc\":\"2.0\",\"id\":17,\"error\":{\"code\":-32000,\"message\":\"text is required\","
                + "\"data\":{\"type\":\"TypeError\",\"stack\":\"TypeError: text is required\\n    at slugify (file:///app/text.mjs:3:11)\"}}}");

        assertThat(reply.id()).isEqualTo(17);
        assertThat(reply.isError()).isTrue();
        assertThat(reply.result()).isNull();
        RpcError error = reply.error();
        assertThat(error.code()).isEqualTo(JsonRpc.HANDLER_ERROR);
        assertThat(error.message()).isEqualTo("text is required");
        assertThat(error.type()).isEqualTo("TypeError");
        assertThat(error.stack()).isEqualTo("TypeError: text is required\n    at slugify (file:///app/text.mjs:3:11)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32601,\"message\":\"method not found: x\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32601,\"message\":\"method not found: x\",\"data\":null}}"})
    void decodesAnErrorWithoutData(String line) throws Exception {
        RpcReply reply = decodeReply(line);

        RpcError error = reply.error();
        assertThat(error.code()).isEqualTo(JsonRpc.METHOD_NOT_FOUND);
        assertThat(error.message()).isEqualTo("method not found: x");
        assertThat(error.data()).isNull();
        assertThat(error.type()).isNull();
        assertThat(error.stack()).isNull();
    }

    @Test
    void errorDataWithoutTypeOrStackStringsGivesNulls() throws Exception {
        RpcError error = decodeReply("{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32602,\"message\":\"bad\","
                + "\"data\":{\"type\":42,\"field\":\"text\"}}}").error();

        assertThat(error.data().get("field").stringValue()).isEqualTo("text");
        assertThat(error.type()).isNull();
        assertThat(error.stack()).isNull();
    }

    @Test
    void idMayComeAfterTheResult() throws Exception {
        RpcReply reply = decodeReply("{\"result\":{\"ok\":true},\"jsonrpc\":\"2.0\",\"id\":5}");

        assertThat(reply.id()).isEqualTo(5);
        assertThat(tree(reply).get("ok").booleanValue()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"jsonrpc\":\"2.0\",\"result\":{\"id\":99,\"items\":[{\"id\":98}]},\"id\":5}",
            "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"id\":99}}",
            "{\"jsonrpc\":\"2.0\",\"result\":[{\"id\":99}],\"id\":5}",
            "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,\"message\":\"m\",\"data\":{\"id\":99}},\"id\":5}"})
    void onlyTheTopLevelIdCorrelates(String line) throws Exception {
        assertThat(decodeReply(line).id()).isEqualTo(5);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, Integer.MAX_VALUE + 1L, Long.MAX_VALUE, -1})
    void decodesIntegerIds(long id) throws Exception {
        assertThat(decodeReply("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":1}").id()).isEqualTo(id);
    }

    @Test
    void decodesTheReadyNotification() throws Exception {
        RpcMessage message = decode("{\"jsonrpc\":\"2.0\",\"method\":\"processio/ready\","
                + "\"params\":{\"protocol\":1,\"runtime\":\"node 20.20.2\",\"pid\":4242}}");

        assertThat(message).asInstanceOf(type(RpcNotification.class)).satisfies(n -> {
            assertThat(n.method()).isEqualTo(JsonRpc.READY);
            assertThat(n.params().get("protocol").intValue()).isEqualTo(JsonRpc.PROTOCOL_VERSION);
            assertThat(n.params().get("pid").longValue()).isEqualTo(4242);
        });
    }

    @Test
    void notificationWithoutParamsHasNullParams() throws Exception {
        assertThat(decode("{\"jsonrpc\":\"2.0\",\"method\":\"app/event\"}"))
                .isEqualTo(new RpcNotification("app/event", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "  hello", "Listening on port 3000", "null", "42", "\"a string\"", "}", "]",
            "\u001b[31m{colored}", "héllo ✓"})
    void aLineThatDoesNotStartWithABraceOrBracketIsAStrayLine(String line) throws Exception {
        assertThat(decode(line)).isEqualTo(new StrayLine(line));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t", "\r", "  \t \r"})
    void blankLineDecodesToNull(String line) throws Exception {
        assertThat(decode(line)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            " {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}",
            "\t \r{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}\r",
            "{ \"jsonrpc\" : \"2.0\" , \"id\" : 1 , \"result\" : true }  "})
    void whitespaceAroundTheObjectIsAllowed(String line) throws Exception {
        assertThat(tree(decodeReply(line)).booleanValue()).isTrue();
    }

    @Test
    void decodesOnlyTheGivenRangeOfTheBuffer() throws Exception {
        byte[] line = "{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":\"é\"}".getBytes(StandardCharsets.UTF_8);
        byte[] buffer = new byte[line.length + 20];
        Arrays.fill(buffer, (byte) '#');
        System.arraycopy(line, 0, buffer, 7, line.length);

        RpcMessage message = codec.decode(buffer, 7, line.length);

        assertThat(message).isEqualTo(new RpcReply(12, JSON.readTree("\"é\""), null, null));
    }

    // ---- decoding: results in the caller's type ----------------------------------------------------

    record Point(int x, int y) {
    }

    @Test
    void readsTheResultStraightIntoTheCallersType() throws Exception {
        RpcReply reply = decodeAs("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1,\"y\":2},\"extra\":[1]}", Point.class);

        assertThat(reply.result()).isEqualTo(new Point(1, 2));
        assertThat(reply.unreadable()).isNull();
    }

    @Test
    void aResultBeforeTheIdIsReadIntoTheCallersTypeToo() throws Exception {
        RpcReply reply = decodeAs("{\"result\":{\"x\":3,\"y\":4},\"jsonrpc\":\"2.0\",\"id\":4}", Point.class);

        assertThat(reply.result()).isEqualTo(new Point(3, 4));
    }

    @Test
    void aNullResultIsNullInTheCallersType() throws Exception {
        RpcReply reply = decodeAs("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":null}", Point.class);

        assertThat(reply.result()).isNull();
        assertThat(reply.unreadable()).isNull();
        assertThat(reply.isError()).isFalse();
    }

    @Test
    void aResultNobodyWaitsForIsSkipped() throws Exception {
        byte[] line = "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":[1,{\"y\":2}]}}".getBytes(StandardCharsets.UTF_8);

        RpcReply reply = (RpcReply) codec.decode(line, 0, line.length, id -> null);

        assertThat(reply.id()).isEqualTo(4);
        assertThat(reply.result()).isNull();
        assertThat(reply.unreadable()).isNull();
    }

    /** The reply is a valid message: the call fails, the worker is not at fault. */
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":\"one\",\"y\":{\"deep\":[1,[2,{}]]}},\"z\":1}",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":[{\"x\":1}]}",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":\"text\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":99999999999,\"y\":1}}",
            "{\"result\":{\"x\":\"one\"},\"jsonrpc\":\"2.0\",\"id\":4}"})
    void aResultThatDoesNotFitTheCallersTypeIsUnreadableNotCorrupt(String line) throws Exception {
        RpcReply reply = decodeAs(line, Point.class);

        assertThat(reply.id()).isEqualTo(4);
        assertThat(reply.result()).isNull();
        assertThat(reply.unreadable()).isNotNull();
        assertThat(reply.isError()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1x,\"y\":2}}",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":\"one\",\"y\":2}, @@}",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":\"one\",\"y\":[2,",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1,\"y\":2}} {}"})
    void invalidJsonIsACorruptFrameWhateverTheCallersType(String line) {
        assertThatThrownBy(() -> decodeAs(line, Point.class))
                .isInstanceOfSatisfying(MalformedFrameException.class, e -> assertThat(e.kind()).isEqualTo("invalid_json"));
    }

    // ---- decoding: corrupt frames ---------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"jsonrpc\":\"2.0\",\"id\":@@",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":",
            "{",
            "[1,",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"raw\ttab\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1} trailing",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}",
            "{'jsonrpc':'2.0','id':1,'result':1}"})
    void invalidJsonIsAMalformedFrame(String line) {
        assertThatThrownBy(() -> decode(line))
                .isInstanceOfSatisfying(MalformedFrameException.class, e -> assertThat(e.kind()).isEqualTo("invalid_json"));
    }

    /** Bytes that are not UTF-8 at all, or are cut off: "a" + bytes + "b" inside the result string. */
    @ParameterizedTest
    @ValueSource(strings = {"ff", "fe", "80", "bf", "c3", "c328", "e282", "f09d84", "eda080"})
    void invalidUtf8InAStringIsAMalformedFrame(String hex) {
        byte[] line = resultStringWith(HexFormat.of().parseHex(hex));

        assertThatThrownBy(() -> codec.decode(line, 0, line.length))
                .isInstanceOfSatisfying(MalformedFrameException.class, e -> assertThat(e.kind()).isEqualTo("invalid_json"));
    }

    /**
     * Overlong encodings (C0 80 is a disguised NUL) and sequences beyond U+10FFFF are not UTF-8
     * either (RFC 3629); docs/protocol.md makes a line that is not valid UTF-8 a corrupt frame.
     */
    @ParameterizedTest
    @ValueSource(strings = {"c080", "c1bf", "e08080", "f0808080", "f4908080", "f5808080"})
    void overlongOrOutOfRangeUtf8InAStringIsAMalformedFrame(String hex) {
        byte[] line = resultStringWith(HexFormat.of().parseHex(hex));

        assertThatThrownBy(() -> codec.decode(line, 0, line.length)).isInstanceOf(MalformedFrameException.class);
    }

    static Stream<Arguments> invalidMessages() {
        return Stream.of(
                Arguments.of("missing jsonrpc", "{\"id\":1,\"result\":1}"),
                Arguments.of("jsonrpc 1.0", "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":1}"),
                Arguments.of("jsonrpc as a number", "{\"jsonrpc\":2.0,\"id\":1,\"result\":1}"),
                Arguments.of("jsonrpc null", "{\"jsonrpc\":null,\"id\":1,\"result\":1}"),
                Arguments.of("batch", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}]"),
                Arguments.of("empty array", "[]"),
                Arguments.of("both result and error",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{\"code\":-32000,\"message\":\"m\"}}"),
                Arguments.of("neither result nor error", "{\"jsonrpc\":\"2.0\",\"id\":1}"),
                Arguments.of("string id", "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":1}"),
                Arguments.of("fractional id", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":1}"),
                Arguments.of("id in floating-point notation", "{\"jsonrpc\":\"2.0\",\"id\":1.0,\"result\":1}"),
                Arguments.of("id beyond a long", "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775808,\"result\":1}"),
                Arguments.of("boolean id", "{\"jsonrpc\":\"2.0\",\"id\":true,\"result\":1}"),
                Arguments.of("no id", "{\"jsonrpc\":\"2.0\",\"result\":{\"id\":1}}"),
                Arguments.of("id null with error",
                        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}"),
                Arguments.of("id null with result", "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}"),
                Arguments.of("request with an id that is neither integer nor string",
                        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"host/do\",\"params\":{}}"),
                Arguments.of("method that is not a string", "{\"jsonrpc\":\"2.0\",\"method\":7}"),
                Arguments.of("error without code", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"m\"}}"),
                Arguments.of("error without message", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000}}"),
                Arguments.of("error with a fractional code", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,\"message\":\"m\"}}"),
                Arguments.of("error with a string code", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"-32000\",\"message\":\"m\"}}"),
                Arguments.of("error with a code beyond an int",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":4294967296,\"message\":\"m\"}}"),
                Arguments.of("error with a message that is not a string",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":{}}}"),
                Arguments.of("error that is a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}"),
                Arguments.of("error null", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":null}"),
                Arguments.of("two ids", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"id\":2}"),
                Arguments.of("two results", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"result\":2}"),
                Arguments.of("two versions", "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidMessages")
    void validJsonThatIsNotAMessageFromAWorkerIsAMalformedFrame(String description, String line) {
        assertThatThrownBy(() -> decode(line))
                .isInstanceOfSatisfying(MalformedFrameException.class, e -> assertThat(e.kind()).isEqualTo("invalid_message"));
    }

    @Test
    void aRequestFromTheWorkerKeepsItsIdAsWritten() throws Exception {
        assertThat(decode("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"roots/list\",\"params\":{\"a\":1}}"))
                .isEqualTo(new RpcRequest(7L, "roots/list", JSON.readTree("{\"a\":1}")));
        assertThat(decode("{\"id\":\"r-1\",\"method\":\"sampling/createMessage\",\"jsonrpc\":\"2.0\"}"))
                .isEqualTo(new RpcRequest("r-1", "sampling/createMessage", null));
    }

    @Test
    void repliesToTheWorkersRequestsEchoItsId() {
        assertThat(new String(codec.reply(7L, java.util.List.of()), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]}\n");
        assertThat(new String(codec.errorReply("r-1", -32601, "no"), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"error\":{\"code\":-32601,\"message\":\"no\"}}\n");
    }

    // ---- decoding with a long-lived decoder -----------------------------------------------------

    static Stream<String> everyKindOfLine() {
        Stream<String> valid = Stream.of(
                "{\"jsonrpc\":\"2.0\",\"id\":17,\"result\":\"hello-world\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}",
                "{\"result\":{\"ok\":true},\"jsonrpc\":\"2.0\",\"id\":5}",
                "{\"jsonrpc\":\"2.0\",\"result\":{\"id\":99,\"items\":[{\"id\":98}]},\"id\":5}",
                "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32601,\"message\":\"m\",\"data\":{\"type\":\"T\"}}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"app/event\",\"params\":{\"a\":[1,2]}}",
                "{ \"jsonrpc\" : \"2.0\" , \"id\" : 1 , \"result\" : \"a \\\"quoted\\\" }\\\\\" }  \r",
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1,\"y\":2}}",
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":\"one\",\"y\":{\"deep\":[1,[2,{}]]}},\"z\":1}",
                "{\"result\":{\"x\":\"one\"},\"jsonrpc\":\"2.0\",\"id\":4}",
                "hello", "", "   ", "}", "]");
        Stream<String> invalidJson = Stream.of(
                "{\"jsonrpc\":\"2.0\",\"id\":@@", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":", "{", "[1,",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"raw\ttab\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1} trailing",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}",
                "{'jsonrpc':'2.0','id':1,'result':1}",
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1x,\"y\":2}}",
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":\"one\",\"y\":2}, @@}",
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1,\"y\":2]}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"unterminated}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":tru}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1} t",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1} [");
        return Stream.of(valid, invalidJson, invalidMessages().map(a -> (String) a.get()[1])).flatMap(x -> x);
    }

    /**
     * A decoder keeps one parser across lines: whatever a line holds, it must come to the same
     * verdict as a fresh parser, and the next good line must still decode.
     */
    @Test
    void aDecoderAgreesWithDecodeOnEveryLineAndRecoversAfterEachBadOne() throws Exception {
        RpcCodec.ResultTypes types = id -> JSON.constructType(id == 4 ? Point.class : JsonNode.class);
        byte[] good = "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":7,\"y\":8}}".getBytes(StandardCharsets.UTF_8);
        try (RpcCodec.Decoder decoder = codec.decoder()) {
            for (String line : everyKindOfLine().toList()) {
                byte[] bytes = line.getBytes(StandardCharsets.UTF_8);

                String expected = verdict(() -> codec.decode(bytes, 0, bytes.length, types));
                String actual = verdict(() -> decoder.decode(bytes, 0, bytes.length, types));

                assertThat(actual).as(line).isEqualTo(expected);
                assertThat(decoder.decode(good, 0, good.length, types)).as("after " + line)
                        .isEqualTo(new RpcReply(4, new Point(7, 8), null, null));
            }
        }
    }

    @Test
    void aDecoderReadsManyLinesWithEverNewNames() throws Exception {
        try (RpcCodec.Decoder decoder = codec.decoder()) {
            for (int i = 0; i < 3 * RpcCodec.Decoder.LINES_PER_PARSER + 7; i++) {
                byte[] line = ("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":{\"name" + i + "\":" + i + "}}")
                        .getBytes(StandardCharsets.UTF_8);
                RpcReply reply = (RpcReply) decoder.decode(line, 0, line.length, id -> JSON.constructType(JsonNode.class));
                assertThat(reply.id()).isEqualTo(i);
                assertThat(tree(reply).get("name" + i).intValue()).isEqualTo(i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", " {\"a\":\"}\"}  ", "{\"a\":[\"\\\\\", {}]}", "[{},[]]\t"})
    void oneContainerIsRecognisedByBracketsAndQuotes(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        int first = line.indexOf(line.strip().charAt(0));
        assertThat(RpcCodec.isOneContainer(bytes, first, bytes.length)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{}}", "{} {}", "{\"a\":\"}", "{\"a\":\"\\\"}", "{} x", "[1,"})
    void anythingElseIsNotOneContainer(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        assertThat(RpcCodec.isOneContainer(bytes, 0, bytes.length)).isFalse();
    }

    /** What decoding a line came to, comparable across decoders. */
    private static String verdict(Decoding decoding) {
        try {
            RpcMessage message = decoding.decode();
            if (message instanceof RpcReply reply) {
                return "reply " + reply.id() + " " + reply.result() + " " + reply.error() + " "
                        + (reply.unreadable() == null ? "" : "unreadable");
            }
            return String.valueOf(message);
        } catch (MalformedFrameException e) {
            return e.kind() + ": " + e.getMessage();
        }
    }

    private interface Decoding {
        RpcMessage decode() throws MalformedFrameException;
    }

    // ---- decoding: size limits -------------------------------------------------------------------

    /**
     * Jackson limits string values by default; the codec sizes its limits to the frame size. The
     * line is built as bytes, so that the test holds about three copies of the string at most.
     */
    @ParameterizedTest(name = "{0} characters with a {1}-byte frame limit")
    @MethodSource("largeStrings")
    void aLargeResultStringWithinTheFrameLimitDecodes(int characters, int maxFrameSize) throws Exception {
        byte[] head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}".getBytes(StandardCharsets.US_ASCII);
        byte[] line = new byte[head.length + characters + tail.length];
        System.arraycopy(head, 0, line, 0, head.length);
        Arrays.fill(line, head.length, head.length + characters, (byte) 'x');
        line[head.length] = 'a';
        line[head.length + characters - 1] = 'z';
        System.arraycopy(tail, 0, line, head.length + characters, tail.length);
        RpcCodec large = new RpcCodec(JSON, maxFrameSize);

        RpcReply reply = (RpcReply) large.decode(line, 0, line.length);

        String result = tree(reply).stringValue();
        assertThat(result).hasSize(characters);
        assertThat(result.charAt(0)).isEqualTo('a');
        assertThat(result.charAt(characters - 1)).isEqualTo('z');
    }

    static Stream<Arguments> largeStrings() {
        return Stream.of(
                Arguments.of(17_000_000, 64 << 20),
                Arguments.of(25_000_000, 32 << 20));
    }

    /**
     * A valid reply within the frame limit is not a corrupt frame, even when it trips one of
     * Jackson's other default read limits (property name length 50,000, nesting depth 500, number
     * length 1,000). The worker would otherwise be replaced for a legitimate result.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("resultsBeyondJacksonDefaults")
    void aValidResultWithinTheFrameLimitIsNotLimitedByOtherJacksonDefaults(String description, String result)
            throws Exception {
        RpcReply reply = decodeReply("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + result + "}");

        assertThat(reply.result()).isNotNull();
    }

    static Stream<Arguments> resultsBeyondJacksonDefaults() {
        return Stream.of(
                Arguments.of("property name of 60,000 characters", "{\"" + "k".repeat(60_000) + "\":1}"),
                Arguments.of("arrays nested 1,000 deep", "[".repeat(1_000) + "]".repeat(1_000)),
                Arguments.of("integer of 1,500 digits", "1".repeat(1_500)));
    }

    @Test
    void theReadLimitsAreTheFrameSizeForTextAndFixedForDepthAndNumbers() {
        StreamReadConstraints limits = RpcCodec.readLimits(4096);

        assertThat(limits.getMaxStringLength()).isEqualTo(4096);
        assertThat(limits.getMaxNameLength()).isEqualTo(4096);
        assertThat(limits.getMaxNestingDepth()).isEqualTo(RpcCodec.MAX_NESTING_DEPTH);
        assertThat(limits.getMaxNumberLength()).isEqualTo(RpcCodec.MAX_NUMBER_LENGTH);
        assertThat(RpcCodec.readLimits(JsonRpc.DEFAULT_MAX_FRAME_SIZE).getMaxStringLength())
                .isEqualTo(JsonRpc.DEFAULT_MAX_FRAME_SIZE);
    }

    /** A JsonNode reads any integer past long as BigInteger: at the length limit, with the fast parser. */
    @Test
    void aNumberAtTheLengthLimitIsReadWithTheFastBigNumberParser() throws Exception {
        String digits = "1234567890".repeat(RpcCodec.MAX_NUMBER_LENGTH / 10);

        RpcReply reply = decodeReply("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + digits + "}");

        assertThat(codec.lines.tokenStreamFactory().isEnabled(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)).isTrue();
        assertThat(tree(reply).bigIntegerValue()).isEqualTo(new BigInteger(digits));
    }

    /** At a limit a reply decodes; past it the line is corrupt, for a fresh parser and for a decoder. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("justPastTheReadLimits")
    void aLineJustPastAReadLimitIsInvalidJsonAndOneAtTheLimitDecodes(String description, String atLimit,
            String pastLimit) throws Exception {
        RpcCodec small = new RpcCodec(JSON, 64 * 1024);
        byte[] at = atLimit.getBytes(StandardCharsets.UTF_8);
        byte[] past = pastLimit.getBytes(StandardCharsets.UTF_8);

        assertThat(small.decode(at, 0, at.length)).isInstanceOf(RpcReply.class);
        assertThatThrownBy(() -> small.decode(past, 0, past.length))
                .isInstanceOfSatisfying(MalformedFrameException.class, e -> assertThat(e.kind()).isEqualTo("invalid_json"));
        try (RpcCodec.Decoder decoder = small.decoder()) {
            assertThatThrownBy(() -> decoder.decode(past, 0, past.length, id -> JSON.constructType(JsonNode.class)))
                    .isInstanceOf(MalformedFrameException.class);
        }
    }

    static Stream<Arguments> justPastTheReadLimits() {
        String head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":";
        int depth = RpcCodec.MAX_NESTING_DEPTH - 1; // the envelope is the first level
        int digits = RpcCodec.MAX_NUMBER_LENGTH;
        return Stream.of(
                Arguments.of("nesting depth",
                        head + "[".repeat(depth) + "]".repeat(depth) + "}",
                        head + "[".repeat(depth + 1) + "]".repeat(depth + 1) + "}"),
                Arguments.of("number length",
                        head + "9".repeat(digits) + "}",
                        head + "9".repeat(digits + 1) + "}"));
    }

    // ---- excerpts ------------------------------------------------------------------------------

    /** A stray line is logged as an excerpt: its escape sequences and carriage returns must not reach a terminal. */
    @Test
    void anExcerptShowsControlCharactersAsEscapesAndKeepsTabsAndText() {
        byte[] line = "\u001b[2J\r\u0007\u0000 hi\tcafé ✓ \u009b".getBytes(StandardCharsets.UTF_8);

        assertThat(RpcCodec.excerpt(line, 0, line.length, 200))
                .isEqualTo("\\u001b[2J\\u000d\\u0007\\u0000 hi\tcafé ✓ \\u009b");
        assertThat(RpcCodec.excerpt(line, 0, line.length, 3)).isEqualTo("\\u001b[2...");
        byte[] plain = "plain text".getBytes(StandardCharsets.UTF_8);
        assertThat(RpcCodec.excerpt(plain, 0, plain.length, 200)).isEqualTo("plain text");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private RpcMessage decode(String line) throws MalformedFrameException {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return codec.decode(bytes, 0, bytes.length);
    }

    private RpcReply decodeAs(String line, Class<?> type) throws MalformedFrameException {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        RpcMessage message = codec.decode(bytes, 0, bytes.length, id -> JSON.constructType(type));
        assertThat(message).isInstanceOf(RpcReply.class);
        return (RpcReply) message;
    }

    private static JsonNode tree(RpcReply reply) {
        return (JsonNode) reply.result();
    }

    private RpcReply decodeReply(String line) throws MalformedFrameException {
        RpcMessage message = decode(line);
        assertThat(message).isInstanceOf(RpcReply.class);
        return (RpcReply) message;
    }

    /** {@code {"jsonrpc":"2.0","id":1,"result":"a<bytes>b"}} */
    private static byte[] resultStringWith(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"a".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(bytes);
        out.writeBytes("b\"}".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static String text(byte[] frame) {
        return new String(frame, StandardCharsets.UTF_8);
    }

    private static void assertSingleLine(byte[] frame) {
        assertThat(frame[frame.length - 1]).as("last byte").isEqualTo((byte) '\n');
        for (int i = 0; i < frame.length - 1; i++) {
            assertThat(frame[i]).as("byte %d of %s", i, text(frame)).isNotEqualTo((byte) '\n');
        }
    }

    record NewUser(String firstName, int ageInYears) {
    }

    record Money(long cents, String currency) {
    }

    static final class MoneySerializer extends ValueSerializer<Money> {
        @Override
        public void serialize(Money value, JsonGenerator gen, SerializationContext context) {
            gen.writeString(String.format("%d.%02d %s", value.cents() / 100, value.cents() % 100, value.currency()));
        }
    }
}
