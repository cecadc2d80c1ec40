package dev.processio.mcp;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * The tools of the MCP servers in a pool of the {@code mcp} dialect, called with typed results.
 * A thin layer over {@link NodeBridge#call}: {@code tools/list} and {@code tools/call} are calls
 * like any other, with the pool's timeouts, re-dispatch and metrics. Thread-safe.
 *
 * <pre>{@code
 * McpTools tools = McpTools.of(bridge);
 * McpTools.Result r = tools.call("read_text_file", Map.of("path", "/data/notes.md"));
 * if (r.isError()) { ... } else { String text = r.text(); }
 * }</pre>
 */
public final class McpTools {

    private final NodeBridge bridge;

    private McpTools(NodeBridge bridge) {
        this.bridge = bridge;
    }

    /** The tools of {@code bridge}'s servers. */
    public static McpTools of(NodeBridge bridge) {
        return new McpTools(Objects.requireNonNull(bridge, "bridge"));
    }

    /** Every tool the servers offer, following {@code nextCursor} across pages. */
    public List<Tool> list() {
        List<Tool> tools = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, Object> params = cursor == null ? Map.of() : Map.of("cursor", cursor);
            JsonNode page = bridge.call("tools/list", params, JsonNode.class);
            for (JsonNode t : page.path("tools")) {
                tools.add(new Tool(t.path("name").asString(), t.path("description").asString(null),
                        t.get("inputSchema")));
            }
            JsonNode next = page.get("nextCursor");
            cursor = next == null || !next.isString() ? null : next.asString();
        } while (cursor != null);
        return List.copyOf(tools);
    }

    /** Calls a tool and waits for its result. */
    public Result call(String name, Object arguments) {
        return call(name, arguments, CallOptions.DEFAULTS);
    }

    /** Calls a tool and waits for its result, with call options (a timeout of its own, for example). */
    public Result call(String name, Object arguments, CallOptions options) {
        return Result.of(bridge.call("tools/call", params(name, arguments), JsonNode.class, options));
    }

    /**
     * Calls a tool; the future completes as {@link NodeBridge#callAsync} says, and cancelling it
     * cancels the call.
     */
    public CompletableFuture<Result> callAsync(String name, Object arguments, CallOptions options) {
        CompletableFuture<JsonNode> call = bridge.callAsync("tools/call", params(name, arguments), JsonNode.class,
                options);
        CompletableFuture<Result> result = call.thenApply(Result::of);
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                call.cancel(true);
            }
        });
        return result;
    }

    private static Map<String, Object> params(String name, Object arguments) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("name", Objects.requireNonNull(name, "name"));
        params.put("arguments", arguments == null ? Map.of() : arguments);
        return params;
    }

    /**
     * A tool the servers offer.
     *
     * @param name its name, for {@link #call}
     * @param description what it does, or {@code null}
     * @param inputSchema the JSON Schema of its arguments, or {@code null}
     */
    public record Tool(String name, String description, JsonNode inputSchema) {
    }

    /**
     * What a tool call returned. A tool that failed answers with {@code isError} set, not with a
     * JSON-RPC error: its {@link #content()} says why.
     *
     * @param content the content items ({@code {"type":"text","text":...}}, images, resources, ...)
     * @param structuredContent the structured result, or {@code null}
     * @param isError whether the tool reported a failure
     */
    public record Result(List<JsonNode> content, JsonNode structuredContent, boolean isError) {

        static Result of(JsonNode result) {
            List<JsonNode> content = new ArrayList<>();
            result.path("content").forEach(content::add);
            JsonNode structured = result.get("structuredContent");
            return new Result(List.copyOf(content), structured == null || structured.isNull() ? null : structured,
                    result.path("isError").asBoolean(false));
        }

        /** The text of the text items, joined with newlines. */
        public String text() {
            return content.stream().filter(c -> "text".equals(c.path("type").asString(null)))
                    .map(c -> c.path("text").asString()).collect(Collectors.joining("\n"));
        }
    }
}
