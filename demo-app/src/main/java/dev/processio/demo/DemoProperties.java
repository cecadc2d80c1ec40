package dev.processio.demo;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code demo.*}: the demo's own settings.
 *
 * @param render limits of {@code POST /api/render}
 * @param chaos settings of the chaos actions (profile {@code chaos})
 */
@ConfigurationProperties("demo")
public record DemoProperties(Render render, Chaos chaos) {

    public DemoProperties {
        render = render == null ? new Render(0, null) : render;
        chaos = chaos == null ? new Chaos(null, 0, 0) : chaos;
    }

    /**
     * @param maxChars largest Markdown document accepted, in characters; larger ones get 413
     * @param timeout time limit of one render call, or none for {@code processio.call.timeout}
     */
    public record Render(int maxChars, Duration timeout) {

        public Render {
            maxChars = maxChars <= 0 ? 100_000 : maxChars;
        }
    }

    /**
     * @param hangTimeout time limit of the call that makes a worker hang
     * @param stallRenders renders sent after a worker stopped reading, so its stdin pipe fills
     * @param stallRenderChars size of each of those renders, in characters
     */
    public record Chaos(Duration hangTimeout, int stallRenders, int stallRenderChars) {

        public Chaos {
            hangTimeout = hangTimeout == null ? Duration.ofSeconds(1) : hangTimeout;
            stallRenders = stallRenders <= 0 ? 8 : stallRenders;
            stallRenderChars = stallRenderChars <= 0 ? 100_000 : stallRenderChars;
        }
    }
}
