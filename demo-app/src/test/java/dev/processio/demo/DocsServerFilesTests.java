package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridge;
import dev.processio.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The copy of {@code classpath:mcp/} that the docs pool runs in: private, the pool's working
 * directory, and gone with its servers when the context closes.
 */
@ExtendWith(NoLeaks.class)
class DocsServerFilesTests {

    @Test
    void theDocsPoolRunsInAPrivateCopyThatGoesWithTheContext() throws Exception {
        Path directory;
        List<ProcessHandle> servers;
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(DemoApplication.class)
                .web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "processio.pool.min-workers=1")
                .run()) {
            directory = context.getBean(DocsServerFiles.class).directory();
            assertThat(directory.resolve("filesystem-server.mjs")).isRegularFile();
            assertThat(directory.resolve("THIRD-PARTY-LICENSES.txt")).isRegularFile();
            assertThat(directory.resolve("docs/dialects.md")).content().startsWith("# Dialects\n");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory))).isEqualTo("rwx------");

            NodeBridge docs = context.getBean("docsNodeBridge", NodeBridge.class);
            servers = docs.snapshot().workers().stream()
                    .map(w -> ProcessHandle.of(w.pid()).orElseThrow()).toList();
            assertThat(servers).isNotEmpty();
            Path cwd = Path.of("/proc/" + servers.get(0).pid() + "/cwd");
            if (Files.exists(cwd)) { // Linux
                assertThat(cwd.toRealPath()).isEqualTo(directory.toRealPath());
            }
        }
        assertThat(servers).noneMatch(ProcessHandle::isAlive);
        assertThat(directory).doesNotExist();
    }
}
