package dev.processio.demo;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import java.util.Map;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /api/render}: Markdown to sanitized HTML, rendered by a Node worker. */
@RestController
class RenderController {

    private final NodeBridge bridge;
    private final DemoProperties.Render limits;
    private final boolean chaos;

    RenderController(NodeBridge bridge, DemoProperties properties, Environment environment) {
        this.bridge = bridge;
        this.limits = properties.render();
        this.chaos = environment.acceptsProfiles(Profiles.of("chaos"));
    }

    @PostMapping("/api/render")
    RenderResponse render(@RequestBody RenderRequest request) {
        String markdown = request.markdown();
        if (markdown == null || markdown.isBlank()) {
            throw new InputRejectedException(HttpStatus.BAD_REQUEST, "Empty document",
                    "\"markdown\" is missing or blank");
        }
        if (markdown.length() > limits.maxChars()) {
            throw new InputRejectedException(HttpStatus.CONTENT_TOO_LARGE, "Document too large",
                    "the document has " + markdown.length() + " characters; the limit is " + limits.maxChars()
                            + " (demo.render.max-chars)");
        }
        CallOptions options = limits.timeout() == null ? CallOptions.DEFAULTS : CallOptions.timeout(limits.timeout());
        long start = System.nanoTime();
        Rendered rendered = bridge.call("render", Map.of("markdown", markdown), Rendered.class, options);
        long micros = (System.nanoTime() - start) / 1_000;
        return new RenderResponse(rendered.html(), rendered.worker(), micros);
    }

    /** What the page needs to know about the server. */
    @GetMapping("/api/config")
    Map<String, Object> config() {
        return Map.of("chaos", chaos, "maxChars", limits.maxChars(), "pool", bridge.name());
    }

    record RenderRequest(String markdown) {
    }

    /** The worker's answer. */
    record Rendered(String html, long worker) {
    }

    /**
     * @param worker pid of the worker that rendered it
     * @param micros time of the bridge call, in microseconds
     */
    record RenderResponse(String html, long worker, long micros) {
    }
}
