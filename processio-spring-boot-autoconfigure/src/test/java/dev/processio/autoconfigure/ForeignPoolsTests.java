package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridge;
import dev.processio.WorkerSnapshot;
import dev.processio.autoconfigure.endpoint.ProcessioEndpointAutoConfiguration;
import dev.processio.mcp.McpTools;
import dev.processio.testing.McpServers;
import dev.processio.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * An MCP server from npm and a Python module pooled side by side, from properties alone, as an
 * {@code application.yml} would give them.
 */
@ExtendWith(NoLeaks.class)
class ForeignPoolsTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class,
                    ProcessioEndpointAutoConfiguration.class));

    @TempDir
    Path data;

    @Test
    void aFilesystemMcpServerAndAPythonModuleRunSideBySide() throws Exception {
        McpServers.requireInstalled();
        Files.writeString(data.resolve("notes.md"), "three little words");
        String files = "processio.pools.files.";
        runner.withPropertyValues(
                files + "worker.command=" + String.join(",", McpServers.filesystem(data)),
                files + "worker.dialect=mcp",
                files + "pool.max-workers=2",
                "processio.pools.py.python.module=classpath:py/handlers.py").run(context -> {
                    assertThat(context).hasNotFailed();
                    NodeBridge filesBridge = context.getBean("filesNodeBridge", NodeBridge.class);
                    NodeBridge pyBridge = context.getBean("pyNodeBridge", NodeBridge.class);

                    String text = McpTools.of(filesBridge)
                            .call("read_text_file", Map.of("path", data.resolve("notes.md").toString())).text();
                    assertThat(text).isEqualTo("three little words");
                    assertThat(pyBridge.call("word_count", Map.of("text", text), Integer.class)).isEqualTo(3);

                    WorkerSnapshot mcp = filesBridge.snapshot().workers().get(0);
                    assertThat(mcp.server().name()).isEqualTo("secure-filesystem-server");
                    assertThat(mcp.server().protocolVersion()).isEqualTo("2025-11-25");
                    WorkerSnapshot python = pyBridge.snapshot().workers().get(0);
                    assertThat(python.server().name()).isEqualTo("processio");
                    assertThat(python.server().version()).startsWith("python 3.");
                    assertThat(python.server().capabilities().get("methods").toString())
                            .contains("word_count", "pid");
                });
    }
}
