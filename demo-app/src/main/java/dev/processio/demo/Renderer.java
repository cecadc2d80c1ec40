package dev.processio.demo;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Markdown to sanitized HTML in the render pool (the default one), within the limits of
 * {@code demo.render.*}: the one render path of {@code POST /api/render} and of the sample
 * documents. Thread-safe.
 */
@Component
class Renderer {

    private final NodeBridge bridge;
    private final DemoProperties.Render limits;
    private final CallOptions options;

    Renderer(NodeBridge bridge, DemoProperties properties) {
        this.bridge = bridge;
        this.limits = properties.render();
        this.options = limits.timeout() == null ? CallOptions.DEFAULTS : CallOptions.timeout(limits.timeout());
    }

    /**
     * @throws InputRejectedException for a blank document (400) or one over {@code demo.render.max-chars} (413)
     */
    Rendering render(String markdown) {
        if (markdown == null || markdown.isBlank()) {
            throw new InputRejectedException(HttpStatus.BAD_REQUEST, "Empty document",
                    "\"markdown\" is missing or blank");
        }
        if (markdown.length() > limits.maxChars()) {
            throw new InputRejectedException(HttpStatus.CONTENT_TOO_LARGE, "Document too large",
                    "the document has " + markdown.length() + " characters; the limit is " + limits.maxChars()
                            + " (demo.render.max-chars)");
        }
        long start = System.nanoTime();
        Rendered rendered = bridge.call("render", Map.of("markdown", markdown), Rendered.class, options);
        long micros = (System.nanoTime() - start) / 1_000;
        return new Rendering(rendered.html(), rendered.worker(), micros);
    }

    /** The render pool's name, for the page. */
    String pool() {
        return bridge.name();
    }

    /** Largest document accepted, in characters. */
    int maxChars() {
        return limits.maxChars();
    }

    /** The worker's answer. */
    record Rendered(String html, long worker) {
    }

    /**
     * @param worker pid of the worker that rendered it
     * @param micros time of the bridge call, in microseconds
     */
    record Rendering(String html, long worker, long micros) {
    }
}
