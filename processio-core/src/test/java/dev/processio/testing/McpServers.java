package dev.processio.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command lines of the MCP servers the tests run as workers: the real servers from npm that the
 * build installs from {@code src/test/mcp} (pinned in its {@code package-lock.json}), and the
 * hand-written {@code workers/mcp-stateless.mjs}.
 *
 * <p>The npm servers are {@code @modelcontextprotocol/server-filesystem} and
 * {@code @modelcontextprotocol/server-everything}, both on the TypeScript SDK 1.x: they speak
 * the 2025-11-25 revision ({@code initialize} handshake) and answer {@code server/discover} with
 * -32601. {@code mcp-stateless.mjs} speaks only the stateless 2026-07-28 revision.
 *
 * <p>Stateless and thread-safe.
 */
public final class McpServers {

    /** The system property the build sets to the install directory of the npm servers. */
    public static final String DIR_PROPERTY = "processio.test.mcp.dir";

    /** The bin name of {@code @modelcontextprotocol/server-filesystem}, for {@link #npx}. */
    public static final String FILESYSTEM_BIN = "mcp-server-filesystem";

    /** The bin name of {@code @modelcontextprotocol/server-everything}, for {@link #npx}. */
    public static final String EVERYTHING_BIN = "mcp-server-everything";

    private McpServers() {
    }

    /**
     * Where the build installed the npm servers: {@value #DIR_PROPERTY}, or {@code target/mcp}
     * for a test started outside Maven from the module directory.
     */
    public static Path dir() {
        String dir = System.getProperty(DIR_PROPERTY);
        return (dir == null || dir.isBlank() ? Path.of("target", "mcp") : Path.of(dir)).toAbsolutePath();
    }

    /**
     * {@code node <server-filesystem> roots...}: serves the files under the given directories.
     * Started without a root, the server waits for the client to offer roots (it asks with
     * {@code roots/list} when the client declares the {@code roots} capability).
     */
    public static List<String> filesystem(Path... roots) {
        List<String> command = new ArrayList<>();
        command.add(TestWorkers.node());
        command.add(entry("server-filesystem").toString());
        for (Path root : roots) {
            command.add(root.toString());
        }
        return command;
    }

    /**
     * {@code node <server-everything> stdio}: tools such as {@code echo {message}},
     * {@code get-sum {a, b}} and {@code trigger-long-running-operation {duration, steps}}
     * (seconds; progress notifications when the request carries a progress token).
     */
    public static List<String> everything() {
        return List.of(TestWorkers.node(), entry("server-everything").toString(), "stdio");
    }

    /**
     * {@code npx --no-install --prefix <dir> <bin> args...}: an installed server started the way
     * users configure MCP servers, through npx, without network. The spawned process is
     * {@code npm exec}, which runs {@code sh -c <bin>}, which runs {@code node}: the server's pid
     * is a grandchild of the spawned one. The {@code node} that runs the server is the one on the
     * PATH (the bin's {@code #!/usr/bin/env node}), not {@code $PROCESSIO_TEST_NODE}.
     *
     * @param bin {@link #FILESYSTEM_BIN} or {@link #EVERYTHING_BIN}
     */
    public static List<String> npx(String bin, String... args) {
        requireInstalled();
        List<String> command = new ArrayList<>(List.of("npx", "--no-install", "--prefix", dir().toString(), bin));
        command.addAll(List.of(args));
        return command;
    }

    /** {@code node workers/mcp-stateless.mjs args...}: see the options at the top of that file. */
    public static List<String> stateless(String... args) {
        return TestWorkers.rawNode("mcp-stateless.mjs", args);
    }

    /** Fails with a hint when the build has not installed the npm servers. */
    public static void requireInstalled() {
        entry("server-filesystem");
        entry("server-everything");
    }

    private static Path entry(String server) {
        Path entry = dir().resolve("node_modules/@modelcontextprotocol").resolve(server).resolve("dist/index.js");
        if (!Files.isRegularFile(entry)) {
            throw new IllegalStateException("no MCP test server at " + entry
                    + ": the build installs them before the tests (./mvnw -pl processio-core generate-test-resources)");
        }
        return entry;
    }
}
