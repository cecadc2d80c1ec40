package dev.processio.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.BridgeStartupException;
import dev.processio.testing.FakeClock;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of the module watch that need no worker: the debounce, the error line, what is never watched. */
class ModuleWatchTests {

    @TempDir
    Path temp;

    @Test
    void aChangeIsDueOnceTheDirectoryHasBeenQuietFor300Ms() {
        FakeClock clock = new FakeClock();
        Debounce debounce = new Debounce(Duration.ofMillis(ModuleWatch.QUIET_MILLIS).toNanos());
        assertThat(debounce.remainingNanos(clock.getAsLong())).isEqualTo(Long.MAX_VALUE);
        debounce.changed("render.mjs", clock.getAsLong());
        clock.advance(Duration.ofMillis(200));
        debounce.changed("THIRD-PARTY-LICENSES.txt", clock.getAsLong());
        debounce.changed("render.mjs", clock.getAsLong());
        clock.advance(Duration.ofMillis(299));
        assertThat(debounce.take(clock.getAsLong())).isEmpty();
        assertThat(debounce.remainingNanos(clock.getAsLong())).isEqualTo(Duration.ofMillis(1).toNanos());
        clock.advance(Duration.ofMillis(1));
        assertThat(debounce.take(clock.getAsLong())).containsExactly("render.mjs", "THIRD-PARTY-LICENSES.txt");
        assertThat(debounce.isPending()).isFalse();
    }

    @Test
    void aNodeLoadErrorIsItsFileLineAndError() {
        String tail = """
                processio: failed to load module /app/js/render.mjs
                file:///app/js/render.mjs:12
                  return 2 )
                           ^

                SyntaxError: Unexpected token ')'
                    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)
                    at ModuleLoader.moduleStrategy (node:internal/modules/esm/translators:146:18)

                Node.js v20.20.2""";
        assertThat(ModuleWatch.loadError(moduleLoadFailed(tail)))
                .isEqualTo("/app/js/render.mjs:12: SyntaxError: Unexpected token ')'");
        String thrownWhileLoading = """
                file:///app/my%20js/render.mjs:3
                throw new Error('no config');
                ^

                Error: no config
                    at file:///app/my%20js/render.mjs:3:7""";
        assertThat(ModuleWatch.loadError(moduleLoadFailed(thrownWhileLoading)))
                .isEqualTo("/app/my js/render.mjs:3: Error: no config");
    }

    @Test
    void aPythonLoadErrorIsTheLastFileLineOfItsTraceback() {
        String tail = """
                Traceback (most recent call last):
                  File "/app/handlers.py", line 4, in <module>
                    import helpers
                  File "/app/helpers.py", line 2
                    def f(:
                          ^
                SyntaxError: invalid syntax""";
        assertThat(ModuleWatch.loadError(moduleLoadFailed(tail)))
                .isEqualTo("/app/helpers.py:2: SyntaxError: invalid syntax");
    }

    @Test
    void otherStartFailuresAreTheirMessage() {
        assertThat(ModuleWatch.loadError(new BridgeStartupException("p",
                BridgeStartupException.Reason.READY_TIMEOUT, "worker 1 did not become ready", null, "", null)))
                .isEqualTo("p: worker 1 did not become ready");
    }

    @Test
    void editorFilesAreNoChange() {
        assertThat(List.of(".render.mjs.swp", "render.mjs~", "4913", "#render.mjs#", "x.tmp", "__pycache__",
                "node_modules"))
                .allMatch(ModuleWatch::isEditorFile);
        assertThat(List.of("render.mjs", "helpers.py", "THIRD-PARTY-LICENSES.txt"))
                .noneMatch(ModuleWatch::isEditorFile);
    }

    @Test
    void aModuleInsideAnArchiveIsNeverWatched() throws Exception {
        Path jar = temp.resolve("app.jar");
        AtomicInteger reloads = new AtomicInteger();
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of("create", "true"))) {
            Files.createDirectories(zip.getPath("/js"));
            Path module = Files.writeString(zip.getPath("/js/render.mjs"), "export const a = 1;\n");
            assertThat(ModuleWatch.start("jar", module, new FakeClock(), () -> {
                reloads.incrementAndGet();
                return CompletableFuture.completedFuture(null);
            })).isNull();
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("processio-jar-watch"));
        assertThat(reloads).hasValue(0);
    }

    private static BridgeStartupException moduleLoadFailed(String tail) {
        return new BridgeStartupException("p", BridgeStartupException.Reason.MODULE_LOAD_FAILED,
                "p: worker 1 could not load its module; the worker said:\n" + tail, 3, tail, null);
    }
}
