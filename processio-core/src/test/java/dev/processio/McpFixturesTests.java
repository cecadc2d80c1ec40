package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.testing.McpServers;
import dev.processio.testing.NoLeaks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MCP servers the dialect tests run are there and start: each answers its first request.
 * Raw processes, no bridge, so that a failure here points at the fixture and not at the engine.
 */
@ExtendWith(NoLeaks.class)
class McpFixturesTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
            + "\"clientInfo\":{\"name\":\"processio-tests\",\"version\":\"0\"}}}";

    @TempDir
    Path root;

    @Test
    void theFilesystemServerAnswersInitialize() throws Exception {
        try (Server server = Server.start(McpServers.filesystem(root))) {
            JsonNode result = server.call(INITIALIZE).path("result");
            assertThat(result.path("protocolVersion").asString()).isEqualTo("2025-11-25");
            assertThat(result.path("serverInfo").path("name").asString()).isEqualTo("secure-filesystem-server");
            assertThat(result.path("capabilities").has("tools")).isTrue();
        }
    }

    @Test
    void theEverythingServerAnswersInitialize() throws Exception {
        try (Server server = Server.start(McpServers.everything())) {
            JsonNode result = server.call(INITIALIZE).path("result");
            assertThat(result.path("protocolVersion").asString()).isEqualTo("2025-11-25");
            assertThat(result.path("serverInfo").path("name").asString()).isEqualTo("mcp-servers/everything");
        }
    }

    @Test
    void theFilesystemServerStartsThroughNpxAsAGrandchild() throws Exception {
        try (Server server = Server.start(McpServers.npx(McpServers.FILESYSTEM_BIN, root.toString()))) {
            JsonNode result = server.call(INITIALIZE).path("result");
            assertThat(result.path("serverInfo").path("name").asString()).isEqualTo("secure-filesystem-server");
            // npm exec -> sh -c -> node: the server is not the process that was spawned.
            assertThat(server.process.descendants()
                    .filter(p -> p.info().commandLine().orElse("").contains("node_modules/.bin/" + McpServers.FILESYSTEM_BIN))
                    .map(p -> p.parent().map(ProcessHandle::pid).orElse(-1L)))
                    .singleElement().isNotEqualTo(server.process.pid());
        }
    }

    @Test
    void theStatelessServerAnswersDiscover() throws Exception {
        try (Server server = Server.start(McpServers.stateless())) {
            JsonNode result = server.call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{}}")
                    .path("result");
            assertThat(result.path("resultType").asString()).isEqualTo("complete");
            assertThat(result.path("supportedVersions").values()).extracting(JsonNode::asString)
                    .containsExactly("2026-07-28");
            assertThat(result.path("serverInfo").path("name").asString()).isEqualTo("processio-test-stateless");
        }
    }

    /** One server process; closing it closes its stdin, then kills what is left of its tree. */
    private static final class Server implements AutoCloseable {

        final Process process;
        private final OutputStream stdin;
        private final BufferedReader stdout;

        private Server(Process process) {
            this.process = process;
            this.stdin = process.getOutputStream();
            this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Server start(List<String> command) throws IOException {
            Path stderr = Files.createTempFile("mcp-fixture-", ".stderr");
            stderr.toFile().deleteOnExit();
            return new Server(new ProcessBuilder(command).redirectError(stderr.toFile()).start());
        }

        /** Sends a request with id 1 and returns its reply, skipping the notifications before it. */
        JsonNode call(String request) throws Exception {
            stdin.write((request + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            // readLine cannot time out by itself; close() ends the process, which ends the read.
            return CompletableFuture.supplyAsync(() -> {
                try {
                    for (String line; (line = stdout.readLine()) != null; ) {
                        JsonNode message = JSON.readTree(line);
                        if (message.path("id").asInt(-1) == 1 && !message.has("method")) {
                            return message;
                        }
                    }
                    throw new IllegalStateException("the server closed stdout without replying");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            // Taken now: once the spawned process is gone, its children are no longer its descendants.
            List<ProcessHandle> tree = process.descendants().toList();
            stdin.close(); // the servers end at end of input
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            // Through npx, the server's node outlives npm exec when it is busy; end it too.
            for (ProcessHandle p : tree) {
                p.onExit().completeOnTimeout(p, 10, TimeUnit.SECONDS).join();
                if (p.isAlive()) {
                    p.destroyForcibly();
                    p.onExit().get(10, TimeUnit.SECONDS);
                }
            }
            stdout.close();
        }
    }
}
