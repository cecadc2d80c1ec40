package dev.processio.demo;

import dev.processio.NodeBridge;
import dev.processio.RemoteExecutionException;
import dev.processio.mcp.McpTools;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * The sample documents, served by the MCP server of the {@code docs} pool and rendered by the
 * render pool.
 *
 * <ul>
 *   <li>{@code GET /api/docs}: their names, from the server's {@code list_directory} tool;</li>
 *   <li>{@code GET /api/docs/{name}}: one, read with {@code read_text_file} and rendered, 404 for
 *       a name the listing does not have.</li>
 * </ul>
 *
 * Paths are relative: the server resolves them against the one directory it serves. Only names
 * that the listing returned are passed on, so no request can name another path; the server
 * would refuse one outside its directory anyway, with a tool error. A tool error (a result with
 * {@code isError}) or a JSON-RPC error from the server is a {@link ToolFailedException}.
 */
@RestController
class DocsController {

    private static final String LISTING_FILE = "[FILE] ";

    private final NodeBridge bridge;
    private final McpTools tools;
    private final Renderer renderer;

    DocsController(@Qualifier(DocsServerFiles.POOL) NodeBridge bridge, Renderer renderer) {
        this.bridge = bridge;
        this.tools = McpTools.of(bridge);
        this.renderer = renderer;
    }

    @GetMapping("/api/docs")
    DocumentList list() {
        return new DocumentList(bridge.name(), names());
    }

    @GetMapping("/api/docs/{name}")
    Document read(@PathVariable String name) {
        List<String> names = names();
        if (!names.contains(name)) {
            throw new InputRejectedException(HttpStatus.NOT_FOUND, "Unknown document",
                    "'" + name + "' is not one of the documents " + names);
        }
        String markdown = call("read_text_file", Map.of("path", name));
        Renderer.Rendering rendering = renderer.render(markdown);
        return new Document(name, markdown, rendering.html(), rendering.worker(), rendering.micros());
    }

    /** The Markdown files of the served directory; list_directory answers "[FILE] name" or "[DIR] name" per line. */
    private List<String> names() {
        return call("list_directory", Map.of("path", ".")).lines()
                .filter(line -> line.startsWith(LISTING_FILE))
                .map(line -> line.substring(LISTING_FILE.length()))
                .filter(file -> file.endsWith(".md"))
                .sorted()
                .toList();
    }

    private String call(String tool, Map<String, Object> arguments) {
        McpTools.Result result;
        try {
            result = tools.call(tool, arguments);
        } catch (RemoteExecutionException e) {
            throw new ToolFailedException(bridge.name(), tool, e.getMessage(), e);
        }
        if (result.isError()) {
            throw new ToolFailedException(bridge.name(), tool, result.text(), null);
        }
        return result.text();
    }

    /**
     * @param pool the pool whose server lists them
     * @param documents names for {@code GET /api/docs/{name}}, sorted
     */
    record DocumentList(String pool, List<String> documents) {
    }

    /**
     * @param markdown the document as the server read it
     * @param html as the render pool rendered it
     * @param worker pid of the render worker
     * @param micros time of the render call, in microseconds
     */
    record Document(String name, String markdown, String html, long worker, long micros) {
    }
}
