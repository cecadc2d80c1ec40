package dev.processio.demo;

import java.util.Map;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /api/render}: Markdown to sanitized HTML, rendered by a Node worker. */
@RestController
class RenderController {

    private final Renderer renderer;
    private final boolean chaos;

    RenderController(Renderer renderer, Environment environment) {
        this.renderer = renderer;
        this.chaos = environment.acceptsProfiles(Profiles.of("chaos"));
    }

    @PostMapping("/api/render")
    Renderer.Rendering render(@RequestBody RenderRequest request) {
        return renderer.render(request.markdown());
    }

    /** What the page needs to know about the server. */
    @GetMapping("/api/config")
    Map<String, Object> config() {
        return Map.of("chaos", chaos, "maxChars", renderer.maxChars(), "pool", renderer.pool(),
                "docsPool", DocsServerFiles.POOL);
    }

    record RenderRequest(String markdown) {
    }
}
