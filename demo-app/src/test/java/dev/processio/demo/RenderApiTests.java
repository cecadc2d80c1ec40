package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/** The render API over real Node workers, without the chaos profile. */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "demo.render.max-chars=1000")
@DirtiesContext
class RenderApiTests {

    @LocalServerPort
    int port;

    DemoClient client;

    @BeforeEach
    void client() {
        client = new DemoClient(port);
    }

    @Test
    void rendersHeadingsHighlightedCodeAndRemovesScripts() {
        Reply reply = client.render("""
                # Title

                ## Subtitle

                ```java
                int answer = 42; // the answer
                ```

                <script>alert('x')</script>
                <a href="javascript:alert(1)" onclick="alert(2)">link</a>
                """);

        assertThat(reply.status()).isEqualTo(200);
        String html = reply.body().get("html").asString();
        assertThat(html).contains("<h1>Title</h1>", "<h2>Subtitle</h2>")
                .contains("<code class=\"hljs language-java\">")
                .contains("<span class=\"hljs-type\">int</span>")
                .contains("<span class=\"hljs-comment\">// the answer</span>")
                .doesNotContain("<script", "alert('x')", "javascript:", "onclick");
        long worker = reply.body().get("worker").asLong();
        assertThat(client.workers()).extracting(w -> w.get("pid").asLong()).contains(worker);
        assertThat(reply.body().get("micros").asLong()).isPositive();
    }

    @Test
    void emptyDocumentIs400() {
        for (String body : new String[] {"{\"markdown\":\"\"}", "{\"markdown\":\"  \\n \"}", "{}"}) {
            Reply reply = client.post("/api/render", body);
            assertThat(reply.status()).as(body).isEqualTo(400);
            assertThat(reply.contentType()).startsWith("application/problem+json");
            assertThat(reply.body().get("title").asString()).isEqualTo("Empty document");
        }
    }

    @Test
    void malformedJsonIs400ProblemDetail() {
        Reply reply = client.post("/api/render", "{\"markdown\":");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.contentType()).startsWith("application/problem+json");
    }

    @Test
    void documentOverTheLimitIs413() {
        Reply reply = client.render("x".repeat(1001));
        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().get("detail").asString()).contains("1001", "1000", "demo.render.max-chars");

        assertThat(client.render("x".repeat(1000)).status()).isEqualTo(200);
    }

    @Test
    void chaosIsOffWithoutItsProfile() {
        assertThat(client.get("/api/config").body().get("chaos").asBoolean()).isFalse();
        assertThat(client.post("/api/chaos/crash", "{}").status()).isEqualTo(404);
    }

    @Test
    void actuatorShowsThePool() {
        Reply health = client.get("/actuator/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body().at("/components/processio/status").asString()).isEqualTo("UP");
        assertThat(client.get("/actuator/health/readiness").body().at("/components/processio/status").asString())
                .isEqualTo("UP");
        assertThat(client.workers()).hasSize(2).allSatisfy(w -> assertThat(w.get("state").asString()).isEqualTo("READY"));

        client.render("# counted");
        Reply metric = client.get("/actuator/metrics/processio.calls");
        assertThat(metric.status()).isEqualTo(200);
        assertThat(metric.body().get("measurements").valueStream().map(m -> m.get("statistic").asString()))
                .contains("COUNT", "TOTAL_TIME");
    }

    @Test
    void servesThePage() {
        Reply page = client.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body().asString()).contains("processio demo", "/api/render", "/actuator/processio");
    }
}
