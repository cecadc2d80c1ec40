package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridge;
import dev.processio.demo.DemoClient.Reply;
import dev.processio.mcp.McpTools;
import dev.processio.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

/**
 * The docs API over the real MCP server of the {@code docs} pool (server-filesystem from npm, as
 * bundled by the build) and the real render pool.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class DocsApiTests {

    static final List<String> SAMPLES = List.of("backpressure.md", "dialects.md", "faults.md", "pool.md",
            "quarantine.md");

    @LocalServerPort
    int port;

    @Autowired
    @Qualifier("docs")
    NodeBridge docs;

    @Autowired
    DocsServerFiles files;

    DemoClient client;

    @BeforeEach
    void client() {
        client = new DemoClient(port);
    }

    @Test
    void listsTheSampleDocuments() {
        Reply reply = client.get("/api/docs");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body().get("pool").asString()).isEqualTo("docs");
        assertThat(reply.body().get("documents").valueStream().map(JsonNode::asString)).containsExactlyElementsOf(SAMPLES);
    }

    @Test
    void readsADocumentThroughTheServerAndRendersItInTheRenderPool() {
        long docsCallsBefore = client.pool("docs").get("callsServed").asLong();

        Reply reply = client.get("/api/docs/dialects.md");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body().get("name").asString()).isEqualTo("dialects.md");
        assertThat(reply.body().get("markdown").asString()).startsWith("# Dialects\n");
        assertThat(reply.body().get("html").asString())
                .contains("<h1>Dialects</h1>", "<h2>This document came from an MCP server</h2>", "<table>")
                .contains("<code class=\"hljs language-java\">");
        long worker = reply.body().get("worker").asLong();
        assertThat(client.workers()).extracting(w -> w.get("pid").asLong()).contains(worker);
        // The listing that vets the name, then the read.
        assertThat(client.pool("docs").get("callsServed").asLong()).isGreaterThanOrEqualTo(docsCallsBefore + 2);
    }

    @Test
    void everySampleRenders() {
        for (String name : SAMPLES) {
            Reply reply = client.get("/api/docs/" + name);
            assertThat(reply.status()).as(name).isEqualTo(200);
            assertThat(reply.body().get("html").asString()).as(name).startsWith("<h1>");
        }
    }

    @Test
    void aNameTheListingDoesNotHaveIs404() {
        Reply reply = client.get("/api/docs/secrets.md");

        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().get("title").asString()).isEqualTo("Unknown document");
        assertThat(reply.body().get("detail").asString()).contains("secrets.md", "pool.md");
    }

    @Test
    void pathsOutOfTheDirectoryGetNoFile() {
        // Each is refused before the server is asked: by the web server (an encoded slash), by
        // Spring MVC (no such route once the dots are resolved), or by the name check.
        for (String path : List.of("/api/docs/..%2Ffilesystem-server.mjs", "/api/docs/%2E%2E",
                "/api/docs/..%5Cfilesystem-server.mjs", "/api/docs/filesystem-server.mjs", "/api/docs/docs")) {
            Reply reply = client.get(path);
            assertThat(reply.status()).as(path).isIn(400, 404);
            assertThat(reply.body().has("html")).as(path).isFalse();
            assertThat(reply.body().toString()).as(path).doesNotContain("createRequire");
        }
    }

    @Test
    void theServerItselfRefusesPathsOutsideItsDirectory() {
        McpTools tools = McpTools.of(docs);
        for (String path : List.of("../filesystem-server.mjs", "/etc/hostname")) {
            McpTools.Result result = tools.call("read_text_file", Map.of("path", path));
            assertThat(result.isError()).as(path).isTrue();
            assertThat(result.text()).as(path).startsWith("Access denied");
        }
    }

    @Test
    void aToolErrorIs502() throws Exception {
        // A name the listing has but the server will not read: a link out of its directory.
        Path link = files.directory().resolve("docs").resolve("outside.md");
        Files.createSymbolicLink(link, files.directory().resolve("filesystem-server.mjs"));
        try {
            Reply reply = client.get("/api/docs/outside.md");

            assertThat(reply.status()).isEqualTo(502);
            assertThat(reply.contentType()).startsWith("application/problem+json");
            assertThat(reply.body().get("code").asString()).isEqualTo("tool-failed");
            assertThat(reply.body().get("pool").asString()).isEqualTo("docs");
            assertThat(reply.body().get("tool").asString()).isEqualTo("read_text_file");
            assertThat(reply.body().get("detail").asString()).contains("Access denied", "symlink");
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void theActuatorShowsTheServerOfEachDocsWorker() {
        JsonNode pool = client.pool("docs");
        assertThat(pool.get("workers").valueStream().toList()).hasSize(1).allSatisfy(w -> {
            assertThat(w.get("state").asString()).isEqualTo("READY");
            assertThat(w.at("/server/name").asString()).isEqualTo("secure-filesystem-server");
            assertThat(w.at("/server/protocolVersion").asString()).isEqualTo("2025-11-25");
            assertThat(w.at("/server/capabilities").has("tools")).isTrue();
        });
        assertThat(client.get("/actuator/health").body().at("/components/processio/components/docs/status").asString())
                .isEqualTo("UP");
        assertThat(client.get("/api/config").body().get("docsPool").asString()).isEqualTo("docs");
    }
}
